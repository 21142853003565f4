// The TLS ingress behind `tls_verified` in the twin: a cloud host reaches
// update-service only through pharosd's ingress on the cloud gateway, only
// with a client certificate from the vehicle's CA, and only while the
// policy's tls_verified rule allows it. Real TLS (OpenSSL on both ends),
// real nftables, real packets between namespaces.
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "e2e/test_pki.h"
#include "e2e/twin_fixture.h"

namespace pharos::e2e {
namespace {

using std::chrono::milliseconds;

constexpr char kControl[] = "10.2.1.3";
constexpr char kIngress[] = "10.9.0.1";  // the cloud gateway

std::string SeedWithCloud() {
  return ReadFile(std::string(PHAROS_EXAMPLES_DIR) + "/vehicle.yaml") + R"(  cloud:
    subnet: "10.9.0.0/24"
    endpoints:
      - name: update-server
        ip: "10.9.0.10"
)";
}

// What a TLS client in a namespace saw: the echo of its payload, or why not.
struct Exchange {
  std::string reply;
  std::string error;
  bool echoed_after_idle = false;  // the payload came back again after the pause
};

class TlsIngressTest : public SeedTwinTest {
 protected:
  void SetUp() override {
    // A write into a connection the ingress closed must fail, not kill the test.
    signal(SIGPIPE, SIG_IGN);
    pki_ = pki_dir_.path();
    std::string log;
    ASSERT_TRUE(MakeCa(pki_, "vehicle-ca", &log)) << log;
    ASSERT_TRUE(MakeCertificate(
        pki_, "vehicle-ca", "ingress",
        "DNS:update-service,DNS:*.vehicle.example,IP:" + std::string(kIngress), &log))
        << log;
    ASSERT_TRUE(MakeCertificate(pki_, "vehicle-ca", "update-client", "", &log)) << log;
    ASSERT_TRUE(MakeCa(pki_, "stranger-ca", &log)) << log;
    ASSERT_TRUE(MakeCertificate(pki_, "stranger-ca", "stranger", "", &log)) << log;
    extra_args_ = {"--ingress-cert=" + pki_ + "/ingress.pem",
                   "--ingress-key=" + pki_ + "/ingress.key",
                   "--ingress-client-ca=" + pki_ + "/vehicle-ca.pem", "--ingress-idle-timeout=1"};
    SeedTwinTest::SetUp();
  }

  // TLS from the cloud host to the ingress: `sni` names the service,
  // `client` the certificate to present ("" for none). The server is
  // verified against the vehicle CA and must be valid for `sni`.
  // With `idle`, the client then waits that long and tries once more.
  Exchange Send(const std::string& sni, const std::string& client, const std::string& payload,
                milliseconds idle = milliseconds(0)) {
    Exchange out;
    int fd = ConnectFromNetns(prefix_ + "update-server", kIngress, 443, 2000);
    if (fd < 0) return {"", "TCP connect to the ingress failed"};
    timeval timeout{3, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_load_verify_locations(ctx, (pki_ + "/vehicle-ca.pem").c_str(), nullptr);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    if (!client.empty()) {
      SSL_CTX_use_certificate_chain_file(ctx, (pki_ + "/" + client + ".pem").c_str());
      SSL_CTX_use_PrivateKey_file(ctx, (pki_ + "/" + client + ".key").c_str(), SSL_FILETYPE_PEM);
    }
    SSL* ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    SSL_set_tlsext_host_name(ssl, sni.c_str());
    SSL_set1_host(ssl, sni.c_str());
    if (SSL_connect(ssl) != 1) {
      out.error = "handshake failed";
    } else if (SSL_write(ssl, payload.data(), static_cast<int>(payload.size())) !=
               static_cast<int>(payload.size())) {
      out.error = "write failed";
    } else {
      char buf[512];
      while (out.reply.size() < payload.size()) {
        int n = SSL_read(ssl, buf, sizeof(buf));
        if (n <= 0) break;
        out.reply.append(buf, static_cast<size_t>(n));
      }
      if (out.reply != payload) out.error = "no echo";
      if (out.error.empty() && idle.count() > 0) {
        std::this_thread::sleep_for(idle);
        std::string again;
        if (SSL_write(ssl, payload.data(), static_cast<int>(payload.size())) > 0) {
          int n = SSL_read(ssl, buf, sizeof(buf));
          if (n > 0) again.assign(buf, static_cast<size_t>(n));
        }
        out.echoed_after_idle = again == payload;
      }
      SSL_shutdown(ssl);
    }
    if (!out.error.empty()) {
      char text[256] = "";
      ERR_error_string_n(ERR_get_error(), text, sizeof(text));
      out.error += std::string(": ") + text;
    }
    ERR_clear_error();
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    close(fd);
    return out;
  }

  void ConfigurePolicy(const std::string& yaml) {
    v1::ConfigureSecurityPolicyRequest req;
    req.set_security_policy_yaml(yaml);
    v1::ConfigureSecurityPolicyResponse resp;
    grpc::Status s = stub_->ConfigureSecurityPolicy(Ctx().get(), req, &resp);
    ASSERT_TRUE(s.ok() && resp.success()) << s.error_message() << "\n" << resp.message();
  }

  TempDir pki_dir_;
  std::string pki_;
};

TEST_F(TlsIngressTest, ACloudHostReachesUpdateServiceOnlyThroughTheIngressWithAValidClientCert) {
  CallbackReceiver piccolo;
  ASSERT_TRUE(piccolo.Start(port_));
  v1::ApplyConfigurationRequest apply;
  apply.set_config_yaml(SeedWithCloud());
  v1::ApplyConfigurationResponse applied;
  ASSERT_TRUE(stub_->ApplyConfiguration(Ctx().get(), apply, &applied).ok()) << applied.message();
  NetnsTcpServer update_service(prefix_ + "control-pod", 443, /*echo=*/true);
  ASSERT_TRUE(update_service.ok());
  v1::RegisterServiceRequest reg;
  reg.set_service_name("update-service");
  reg.set_host(kControl);
  reg.set_port(443);
  reg.set_protocol("rest");
  v1::RegisterServiceResponse registered;
  ASSERT_TRUE(stub_->RegisterService(Ctx().get(), reg, &registered).ok());

  // Without a policy the cloud host reaches the pod directly: the check
  // below can fail.
  int direct = ConnectFromNetns(prefix_ + "update-server", kControl, 443, 700);
  ASSERT_GE(direct, 0);
  close(direct);

  ConfigurePolicy(ReadFile(std::string(PHAROS_EXAMPLES_DIR) + "/security-policy.yaml"));
  EXPECT_LT(ConnectFromNetns(prefix_ + "update-server", kControl, 443, 700), 0)
      << "the cloud host reached update-service without the ingress";

  Exchange ok = Send("update-service", "update-client", "firmware chunk 1");
  EXPECT_EQ(ok.reply, "firmware chunk 1") << ok.error << "\n" << daemon_->Log();
  EXPECT_EQ(update_service.last_peer(), kIngress) << "forwarded from elsewhere than the ingress";
  // A longer name for the same service routes the same way.
  EXPECT_EQ(Send("update-service.vehicle.example", "update-client", "chunk 2").reply, "chunk 2");
  // A verified connection that carries nothing for longer than
  // --ingress-idle-timeout (1 s here) is closed; a shorter pause is not.
  EXPECT_TRUE(Send("update-service", "update-client", "ping", milliseconds(300)).echoed_after_idle);
  EXPECT_FALSE(
      Send("update-service", "update-client", "ping", milliseconds(2500)).echoed_after_idle)
      << "an idle connection was kept open";
  // After a crash, pharosd listens again with the policy it had.
  channel_.reset();
  daemon_->Kill9();
  StartDaemon();
  Exchange again = Send("update-service", "update-client", "after a crash");
  EXPECT_EQ(again.reply, "after a crash") << again.error << "\n" << daemon_->Log();

  uint64_t before = update_service.bytes();
  Exchange anonymous = Send("update-service", "", "let me in");
  EXPECT_EQ(anonymous.reply, "") << "forwarded without a client certificate";
  Exchange stranger = Send("update-service", "stranger", "let me in");
  EXPECT_EQ(stranger.reply, "") << "forwarded with a certificate from a foreign CA";
  Exchange unknown = Send("telemetry-service.vehicle.example", "update-client", "hello");
  EXPECT_EQ(unknown.reply, "") << "forwarded to a service nobody registered";
  EXPECT_EQ(unknown.error.rfind("no echo", 0), 0u)
      << "the handshake itself failed: " << unknown.error;
  std::this_thread::sleep_for(milliseconds(100));
  EXPECT_EQ(update_service.bytes(), before) << "a refused client's bytes reached the service";

  // pharosd reports what its ingress does.
  ctl::GetSecurityStatusResponse status;
  ASSERT_TRUE(ctl_->GetSecurityStatus(Ctx().get(), {}, &status).ok());
  EXPECT_TRUE(status.tls_ingress().enabled());
  EXPECT_EQ(status.tls_ingress().listening(),
            std::string(kIngress) + ":443 in " + prefix_ + "vehicle");
  EXPECT_GE(status.tls_ingress().forwarded(), 1u);  // since the restart
  EXPECT_GE(status.tls_ingress().refused(), 2u);
  EXPECT_GE(status.tls_ingress().unrouted(), 1u);

  // Piccolo hears about the refused client.
  auto events = piccolo.WaitForSecurityEvent(
      [](const v1::SecurityEventNotification& e) { return e.event_type() == "tls_refused"; },
      std::chrono::seconds(10));
  ASSERT_FALSE(events.empty()) << "no tls_refused event arrived\n" << daemon_->Log();
  const v1::SecurityEventNotification& refused = events.back();
  EXPECT_EQ(refused.severity(), v1::SecurityEventNotification::WARNING);
  EXPECT_EQ(refused.source(), "10.9.0.10");
  EXPECT_NE(refused.details().find("certificate"), std::string::npos) << refused.details();

  // The ingress is no bypass: without the tls_verified rule it cannot
  // reach the service either.
  ConfigurePolicy(R"(security_policy:
  default_action: deny
  rules:
    - name: allow_perception_to_control
      from: {namespace: perception}
      to: {namespace: control}
      ports: [8080, 8081]
      protocol: tcp
      action: allow
)");
  EXPECT_EQ(Send("update-service", "update-client", "chunk 3").reply, "")
      << "the ingress forwarded although no rule allows it";
  piccolo.Stop();
}

}  // namespace
}  // namespace pharos::e2e
