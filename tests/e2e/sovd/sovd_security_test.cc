// pharos-sovd's transport security: TLS, mutual TLS with an allow-list of
// vehicle backends, and the refusal to serve plaintext beyond loopback.
#include "e2e/sovd/sovd_fixture.h"
#include "e2e/test_pki.h"

namespace pharos::e2e {
namespace {

class SovdSecurityTest : public SovdTest {
 protected:
  void SetUp() override {
    pki_ = dir_.path() + "/pki";
    std::filesystem::create_directories(pki_);
    std::string log;
    ASSERT_TRUE(MakeCa(pki_, "ca", &log)) << log;
    ASSERT_TRUE(MakeCertificate(pki_, "ca", "pharos-sovd", "IP:127.0.0.1", &log)) << log;
    ASSERT_TRUE(MakeCertificate(pki_, "ca", "backend", "", &log)) << log;
    ASSERT_TRUE(MakeCertificate(pki_, "ca", "intruder", "", &log)) << log;
    if (!std::string(::testing::UnitTest::GetInstance()->current_test_info()->name())
             .starts_with("Doip")) {
      StartSim();
    }
  }

  std::unique_ptr<::sovd::vehicle::VehicleService::Stub> TlsStub(const std::string& client) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = ReadFile(pki_ + "/ca.pem");
    if (!client.empty()) {
      ssl.pem_private_key = ReadFile(pki_ + "/" + client + ".key");
      ssl.pem_cert_chain = ReadFile(pki_ + "/" + client + ".pem");
    }
    return ::sovd::vehicle::VehicleService::NewStub(
        grpc::CreateChannel(sovd_->address(), grpc::SslCredentials(ssl)));
  }

  std::vector<std::string> TlsFlags(bool mutual) {
    std::vector<std::string> flags = {"--tls-cert", pki_ + "/pharos-sovd.pem", "--tls-key",
                                      pki_ + "/pharos-sovd.key"};
    if (mutual) flags.insert(flags.end(), {"--tls-client-ca", pki_ + "/ca.pem"});
    return flags;
  }

  std::string pki_;
};

TEST_F(SovdSecurityTest, TlsServesAndPlaintextClientsAreRefused) {
  StartSovd(TlsFlags(false));
  auto tls = TlsStub("");
  Outcome ok =
      Run(Request("ReadDTC", {{"ecuAddress", "0x10"}}), std::chrono::seconds(10), tls.get());
  EXPECT_TRUE(ok.status.ok()) << ok.status.error_message();
  Outcome plain = Run(Request("ReadDTC"), std::chrono::seconds(3));  // stub_ is plaintext
  EXPECT_EQ(plain.status.error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(SovdSecurityTest, MutualTlsRefusesAClientWithoutACertificate) {
  StartSovd(TlsFlags(true));
  auto anonymous = TlsStub("");
  Outcome refused = Run(Request("ReadDTC"), std::chrono::seconds(3), anonymous.get());
  EXPECT_EQ(refused.status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << "the handshake fails: " << refused.status.error_message();
  auto backend = TlsStub("backend");
  Outcome ok = Run(Request("ReadDTC"), std::chrono::seconds(10), backend.get());
  EXPECT_TRUE(ok.status.ok()) << ok.status.error_message();
  std::string audit = ReadFile(dir_.path() + "/sovd/audit.log");
  EXPECT_NE(audit.find("\"caller\":\"backend\""), std::string::npos)
      << "the certificate's identity is who called: " << audit;
}

TEST_F(SovdSecurityTest, TheAllowListRefusesOtherBackends) {
  std::vector<std::string> flags = TlsFlags(true);
  flags.insert(flags.end(), {"--allow-client", "backend"});
  StartSovd(flags);
  auto intruder = TlsStub("intruder");
  Outcome refused = Run(Request("ClearDTC"), std::chrono::seconds(10), intruder.get());
  EXPECT_EQ(refused.status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(refused.status.error_message().find("intruder"), std::string::npos);
  EXPECT_EQ(Ctl("stats engine").find("\"0x14\""), std::string::npos) << "nothing was cleared";
  auto backend = TlsStub("backend");
  EXPECT_TRUE(Run(Request("ReadDTC"), std::chrono::seconds(10), backend.get()).status.ok());
  std::string audit = ReadFile(dir_.path() + "/sovd/audit.log");
  EXPECT_NE(audit.find("\"result\":\"PERMISSION_DENIED\""), std::string::npos) << audit;
}

// DoIP over TLS (ISO 13400-2:2019): an entity that requires it answers a
// plain socket's routing activation with 0x07; pharos-sovd, given a CA,
// falls back to the TLS port and verifies the entity's certificate.
TEST_F(SovdSecurityTest, DoipOverTlsWithFallbackFromThePlainPort) {
  StartSim({Ecu("engine")}, "    tls:\n      port: 0\n      cert: " + pki_ +
                                "/pharos-sovd.pem\n      key: " + pki_ +
                                "/pharos-sovd.key\n      require: true\n");
  ASSERT_NE(sim_tls_port_, 0);
  sovd_entity_yaml_ = "        tls:\n          port: " + std::to_string(sim_tls_port_) +
                      "\n          ca: " + pki_ + "/ca.pem\n";
  StartSovd();
  Outcome out = Run("ReadDTC");
  ASSERT_TRUE(out.status.ok()) << out.status.error_message();
  EXPECT_EQ(out.chunks.size(), 1u);
  EXPECT_NE(sovd_->Log().find("requires TLS"), std::string::npos) << "it fell back to TLS";
}

TEST_F(SovdSecurityTest, DoipEntityRequiringTlsRefusesAPlainTester) {
  StartSim({Ecu("engine")}, "    tls:\n      port: 0\n      cert: " + pki_ +
                                "/pharos-sovd.pem\n      key: " + pki_ +
                                "/pharos-sovd.key\n      require: true\n");
  StartSovd();  // no tls: for the entity
  Outcome out = Run("ReadDTC");
  EXPECT_EQ(out.status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_NE(out.status.error_message().find("requires a TLS socket"), std::string::npos)
      << out.status.error_message();
}

TEST_F(SovdSecurityTest, DoipMutualTlsRefusesATesterWithoutACertificate) {
  StartSim({Ecu("engine")}, "    tls:\n      port: 0\n      cert: " + pki_ +
                                "/pharos-sovd.pem\n      key: " + pki_ + "/pharos-sovd.key\n" +
                                "      ca: " + pki_ + "/ca.pem\n");
  sovd_entity_yaml_ = "        tls:\n          port: " + std::to_string(sim_tls_port_) +
                      "\n          only: true\n          ca: " + pki_ + "/ca.pem\n";
  StartSovd();
  Outcome refused = Run("ReadDTC");
  EXPECT_EQ(refused.status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_NE(refused.status.error_message().find("TLS"), std::string::npos)
      << refused.status.error_message();
  sovd_.reset();
  sovd_entity_yaml_ +=
      "          cert: " + pki_ + "/backend.pem\n          key: " + pki_ + "/backend.key\n";
  StartSovd();
  Outcome ok = Run("ReadDTC");
  EXPECT_TRUE(ok.status.ok()) << ok.status.error_message();
}

TEST_F(SovdSecurityTest, PlaintextBeyondLoopbackNeedsAFlag) {
  std::string out;
  int code = RunCommand(std::string(PHAROS_SOVD_BINARY) + " --config " + PHAROS_EXAMPLES_DIR +
                            "/sovd/sovd.yaml --address 0.0.0.0 --port 0",
                        &out);
  EXPECT_EQ(code, 2);
  EXPECT_NE(out.find("--allow-plaintext"), std::string::npos) << out;
  code = RunCommand(std::string(PHAROS_SOVD_BINARY) + " --config " + PHAROS_EXAMPLES_DIR +
                        "/sovd/sovd.yaml --allow-client backend",
                    &out);
  EXPECT_EQ(code, 2);
  EXPECT_NE(out.find("--tls-client-ca"), std::string::npos) << out;
}

TEST_F(SovdSecurityTest, ABadConfigurationNamesFileLineAndPath) {
  std::string path = dir_.path() + "/bad.yaml";
  std::ofstream(path) << "vehicles:\n  - id: 123e4567-E89B-12d3-a456-426614174000\n"
                         "    entities:\n      - name: gw\n        host: 127.0.0.1\n"
                         "        ecus: [missing.yaml]\n";
  std::string out;
  int code = RunCommand(std::string(PHAROS_SOVD_BINARY) + " --config " + path + " --port 0", &out);
  EXPECT_EQ(code, 2);
  EXPECT_NE(out.find("bad.yaml:2: vehicles[0].id"), std::string::npos) << out;
  EXPECT_NE(out.find("missing.yaml"), std::string::npos) << out;
}

}  // namespace
}  // namespace pharos::e2e
