#include "probes/service_prober.h"

#include <grpcpp/create_channel_posix.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <condition_variable>
#include <mutex>

#include "common/strings.h"
#include "diagnostics/probe.h"
#include "plan/naming.h"

namespace pharos::probes {
namespace {

std::string MetadataOr(const store::ServiceRecord& s, const std::string& key,
                       const std::string& fallback) {
  auto it = s.metadata.find(key);
  return it == s.metadata.end() || it->second.empty() ? fallback : it->second;
}

// grpc.health.v1.HealthCheckRequest{service} by hand (no generated health
// stubs in Debian): field 1, length-delimited.
std::string HealthRequest(const std::string& service) {
  if (service.empty()) return "";
  std::string bytes = "\x0a";
  bytes += static_cast<char>(service.size());  // names are short (< 128)
  return bytes + service;
}

// The `status` of a HealthCheckResponse: field 1, varint (1 = SERVING).
int HealthStatus(const std::string& bytes) {
  return bytes.size() >= 2 && bytes[0] == 0x08 ? bytes[1] : 0;
}

diagnostics::ProbeResult GrpcHealth(const std::string& ns, const std::string& from, Ipv4Address ip,
                                    int port, const std::string& service,
                                    std::chrono::milliseconds timeout) {
  diagnostics::ProbeResult connected;
  netlink::UniqueFd fd = diagnostics::ConnectTcp(ns, from, ip, port, timeout, &connected);
  if (fd.get() < 0) return connected;
  std::string target = StrCat(ip.ToString(), ":", port);
  // The connection was opened inside the namespace; gRPC takes it over.
  grpc::GenericStub stub(grpc::CreateInsecureChannelFromFd(target, fd.release()));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + timeout);
  std::string request = HealthRequest(service);
  grpc::Slice slice(request);
  grpc::ByteBuffer in(&slice, 1), out;
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  grpc::Status status;
  stub.UnaryCall(&ctx, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &in, &out,
                 [&](grpc::Status s) {
                   std::lock_guard lock(mu);
                   status = s;
                   done = true;
                   cv.notify_all();
                 });
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return done; });
  }
  if (status.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
    return {true, 0, StrCat(target, " answers gRPC (it has no grpc.health.v1 service)")};
  }
  if (!status.ok()) {
    return {false, 0, StrCat("grpc.health.v1 Check to ", target, ": ", status.error_message())};
  }
  std::vector<grpc::Slice> slices;
  std::string bytes;
  if (out.Dump(&slices).ok()) {
    for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  int serving = HealthStatus(bytes);
  static const char* kNames[] = {"UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"};
  std::string name = serving >= 0 && serving <= 3 ? kNames[serving] : "UNKNOWN";
  return {serving == 1, 0, StrCat("grpc.health.v1 at ", target, ": ", name)};
}

}  // namespace

bool ServiceProber::Checks(const store::ServiceRecord& s) const {
  return real_ && (s.source == "api" || s.source == "pod") && Ipv4Address::Parse(s.host);
}

bool ServiceProber::Check(const store::ServiceRecord& s, std::chrono::milliseconds timeout,
                          std::string* detail) {
  std::optional<Ipv4Address> ip = Ipv4Address::Parse(s.host);
  if (!ip) {
    *detail = StrCat("host ", s.host, " is not an address");
    return false;
  }
  // From one hop up: the VM for a pod, the SoC for a VM; this machine's own
  // namespace for services outside the vehicle.
  std::string ns, from = "pharosd";
  if (!s.location.empty()) {
    model::Topology topo = controller_.CurrentTopology();
    if (const model::TopologyNode* node = topo.FindNode(s.location)) {
      from = node->parent.empty() ? node->name : node->parent;
      ns = plan::NamespaceName(prefix_, from);
    }
  }
  diagnostics::ProbeResult r;
  if (s.protocol == "grpc") {
    r = GrpcHealth(ns, from, *ip, s.port, MetadataOr(s, "grpc_service", ""), timeout);
  } else if (s.protocol == "rest") {
    r = diagnostics::ProbeHttp(ns, from, *ip, s.port, MetadataOr(s, "health_path", "/"), timeout);
  } else {
    r = diagnostics::ProbeTcp(ns, from, *ip, s.port, timeout);
  }
  *detail = r.detail;
  return r.success;
}

}  // namespace pharos::probes
