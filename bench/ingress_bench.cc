// TLS ingress benchmark (needs root), in one run on this machine: iperf3
// from a cloud host to control-pod through a TLS relay on the cloud
// gateway, once through Pharos's ingress (TlsIngress, routed by SNI) and
// once through socat's OPENSSL-LISTEN relay (the peer: what an operator
// would set up by hand), with the same certificates, mutual TLS, and the
// same client side (a socat that wraps iperf3's TCP in TLS). Also the time
// to set up one verified connection, through each.
// Everything carries the prefix "pi<pid>-" and is removed at the end.
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

#include "bench_support.h"
#include "core/config_analysis.h"
#include "dataplane/linux_backend.h"
#include "dataplane/netlink_kernel.h"
#include "security/tls_ingress.h"

namespace {

using pharos::bench::Clock;
using pharos::bench::IperfGbps;
using pharos::bench::ReadAll;
using pharos::bench::Run;

// Gbit/s from the cloud host through its TLS wrapper on 127.0.0.1:`port`
// to control-pod.
double Iperf(const std::string& prefix, int port) {
  return IperfGbps(prefix + "control-pod", prefix + "update-server", "127.0.0.1", port);
}

// Mean milliseconds for one verified TLS connection to the relay over `n`
// sequential openssl s_client runs (process start included, the same for
// both relays).
double HandshakeMs(const std::string& prefix, const std::string& pki, int port, int n) {
  std::string command = fmt::format(
      "ip netns exec {0}update-server sh -c 'for i in $(seq {3}); do "
      "echo | openssl s_client -connect 10.9.0.1:{2} -servername update-service "
      "-cert {1}/client.pem -key {1}/client.key -CAfile {1}/ca.pem -quiet "
      ">/dev/null 2>&1; done'",
      prefix, pki, port, n);
  auto t0 = Clock::now();
  Run(command);
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count() / n;
}

}  // namespace

int main() {
  if (geteuid() != 0) {
    fprintf(stderr, "ingress bench: needs root (namespaces)\n");
    return 0;
  }
  if (Run("command -v socat >/dev/null && command -v iperf3 >/dev/null") != 0) {
    fprintf(stderr, "ingress bench: needs socat and iperf3 (scripts/install-deps.sh)\n");
    return 0;
  }
  // The set-up loop ends at a closed port behind both relays; not worth a line each.
  spdlog::set_level(spdlog::level::err);
  std::string prefix = fmt::format("pi{}-", getpid() % 1000);
  std::string pki = fmt::format("/tmp/{}pki", prefix);
  std::string yaml = ReadAll(std::string(PHAROS_EXAMPLES_DIR) + "/vehicle.yaml") +
                     "  cloud:\n    subnet: \"10.9.0.0/24\"\n    endpoints:\n"
                     "      - {name: update-server, ip: \"10.9.0.10\"}\n";
  pharos::core::Analysis a = pharos::core::AnalyzeConfig(yaml, {prefix, nullptr, nullptr});
  pharos::dataplane::LinuxBackend backend(
      std::make_unique<pharos::dataplane::NetlinkKernel>(),
      pharos::dataplane::BackendOptions{pharos::dataplane::DataplaneMode::kEmulated, "", prefix});
  auto cleanup = [&] {
    Run(fmt::format("pkill -f '^socat .*{}' >/dev/null 2>&1; rm -rf {}", pki, pki));
    (void)backend.Teardown();
  };
  if (!a.plan || !backend.Apply(*a.plan).ok()) {
    fprintf(stderr, "ingress bench: could not build the seed vehicle\n");
    cleanup();
    return 0;
  }
  std::string make = fmt::format(
      "set -e; mkdir -p {0}; cd {0}; "
      "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 1 "
      "-subj /CN=vehicle-ca; "
      "for n in ingress client; do openssl req -newkey rsa:2048 -nodes -keyout $n.key "
      "-out $n.csr -subj /CN=$n; done; "
      "printf 'subjectAltName=DNS:update-service,IP:10.9.0.1' > san.ext; "
      "openssl x509 -req -in ingress.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
      "-out ingress.pem -days 1 -extfile san.ext; "
      "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
      "-out client.pem -days 1",
      pki);
  if (Run("{ " + make + "; } >/dev/null 2>&1") != 0) {
    fprintf(stderr, "ingress bench: openssl could not make the certificates\n");
    cleanup();
    return 0;
  }

  auto ingress = pharos::security::TlsIngress::Create(
      {pki + "/ingress.pem", pki + "/ingress.key", pki + "/ca.pem", 443},
      [](const std::string& service) {
        std::vector<pharos::security::IngressBackend> out;
        if (service == "update-service") {
          out.push_back({*pharos::Ipv4Address::Parse("10.2.1.3"), 5201, "healthy"});
        }
        return out;
      },
      nullptr);
  if (!ingress.ok()) {
    fprintf(stderr, "ingress bench: %s\n", std::string(ingress.status().message()).c_str());
    cleanup();
    return 0;
  }
  (*ingress)->Start();
  absl::Status placed =
      (*ingress)->Place(pharos::security::IngressPlacementOf(a.topology, {prefix, ""}));
  // The peer: socat terminating the same TLS on the same gateway, port 4443.
  Run(
      fmt::format("ip netns exec {0}vehicle socat OPENSSL-LISTEN:4443,bind=10.9.0.1,reuseaddr,fork,"
                  "cert={1}/ingress.pem,key={1}/ingress.key,cafile={1}/ca.pem,verify=1 "
                  "TCP:10.2.1.3:5201,bind=10.9.0.1 >/dev/null 2>&1 &",
                  prefix, pki));
  // The client side, the same for both: plaintext on loopback, TLS out.
  for (auto [local, remote] : {std::pair{6443, 443}, std::pair{7443, 4443}}) {
    Run(fmt::format(
        "ip netns exec {0}update-server socat TCP-LISTEN:{2},bind=127.0.0.1,reuseaddr,fork "
        "OPENSSL:10.9.0.1:{3},cert={1}/client.pem,key={1}/client.key,cafile={1}/ca.pem,"
        "snihost=update-service,commonname=update-service >/dev/null 2>&1 &",
        prefix, pki, local, remote));
  }
  usleep(500 * 1000);

  std::printf("TLS relay on the cloud gateway, cloud host -> control-pod (iperf3, 3 s each)\n");
  if (!placed.ok())
    std::printf("  ingress not placed: %s\n", std::string(placed.message()).c_str());
  double pharos_gbps = Iperf(prefix, 6443);
  double socat_gbps = Iperf(prefix, 7443);
  std::printf("  Pharos TlsIngress: %6.2f Gbit/s\n", pharos_gbps);
  std::printf("  socat OPENSSL:     %6.2f Gbit/s\n", socat_gbps);
  if (socat_gbps > 0) std::printf("  ratio: %.2f x socat\n", pharos_gbps / socat_gbps);
  double pharos_ms = HandshakeMs(prefix, pki, 443, 50);
  double socat_ms = HandshakeMs(prefix, pki, 4443, 50);
  std::printf("verified connection set-up (openssl s_client, mean of 50)\n");
  std::printf("  Pharos TlsIngress: %6.2f ms\n  socat OPENSSL:     %6.2f ms\n", pharos_ms,
              socat_ms);
  pharos::security::IngressStats st = (*ingress)->stats();
  std::printf("  ingress: %lu accepted, %lu forwarded, %lu refused, %lu unrouted\n",
              static_cast<unsigned long>(st.accepted), static_cast<unsigned long>(st.forwarded),
              static_cast<unsigned long>(st.refused), static_cast<unsigned long>(st.unrouted));
  (*ingress)->Stop();
  cleanup();
  return 0;
}
