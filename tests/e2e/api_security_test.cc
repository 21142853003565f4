// Management API security against a real pharosd: mutual TLS with
// certificates made by openssl, static tokens and JWTs (signed here with
// OpenSSL), the three roles, the audit log, and the refusal to listen
// beyond loopback without TLS.
#include <google/protobuf/descriptor.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "auth/jwt.h"
#include "auth/permissions.h"
#include "e2e/daemon_process.h"
#include "e2e/generic_calls.h"
#include "e2e/test_pki.h"
#include "pharos/api/v1/pharos_network_manager.grpc.pb.h"
#include "pharos/api/v1/pharos_network_service_connection.grpc.pb.h"
#include "pharos/api/v1/pharos_service.grpc.pb.h"
#include "pharos/ctl/v1/pharos_control.grpc.pb.h"

namespace pharos::e2e {
namespace {

namespace v1 = pharos::api::v1;
namespace ctl = pharos::ctl::v1;

constexpr char kViewer[] = "viewer-token-0123456789";
constexpr char kOperator[] = "operator-token-0123456789";
constexpr char kAdmin[] = "admin-token-0123456789";

// An RS256 JWT signed with the PEM private key at `key_path`.
std::string SignJwt(const std::string& key_path, const nlohmann::json& claims) {
  auto token = auth::SignJwt(key_path, claims);
  return token.ok() ? *token : "";
}

int64_t Now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class ApiSecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string d = dir_.path();
    // A CA, a server certificate for 127.0.0.1, a client certificate, and
    // a key pair for JWTs (plus a stranger's key).
    std::string out;
    ASSERT_TRUE(MakeCa(d, "ca", &out)) << out;
    ASSERT_TRUE(MakeCertificate(d, "ca", "server", "IP:127.0.0.1", &out)) << out;
    ASSERT_TRUE(MakeCertificate(d, "ca", "client", "", &out)) << out;
    ASSERT_EQ(RunCommand("set -e; cd " + d +
                             "; openssl genpkey -algorithm RSA -out jwt.key 2>/dev/null"
                             "; openssl pkey -in jwt.key -pubout -out jwt.pub"
                             "; openssl genpkey -algorithm RSA -out stranger.key 2>/dev/null",
                         &out),
              0)
        << out;
    std::ofstream(d + "/tokens") << "# token role subject\n"
                                 << kViewer << " viewer alice\n"
                                 << kOperator << " operator bob\n"
                                 << kAdmin << " admin carol\n";
    daemon_ = std::make_unique<DaemonProcess>(
        d + "/state",
        std::vector<std::string>{"--dataplane=plan", "--callback-endpoint=none",
                                 "--tls-cert=" + d + "/server.pem", "--tls-key=" + d + "/server.key",
                                 "--tls-client-ca=" + d + "/ca.pem", "--auth-tokens=" + d + "/tokens",
                                 "--auth-jwt-key=" + d + "/jwt.pub"});
    ASSERT_TRUE(daemon_->Start());
    channel_ = Channel(true);
  }
  void TearDown() override {
    channel_.reset();
    daemon_.reset();
  }
  std::shared_ptr<grpc::Channel> Channel(bool client_cert) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = ReadFile(dir_.path() + "/ca.pem");
    if (client_cert) {
      ssl.pem_cert_chain = ReadFile(dir_.path() + "/client.pem");
      ssl.pem_private_key = ReadFile(dir_.path() + "/client.key");
    }
    return grpc::CreateChannel(daemon_->address(), grpc::SslCredentials(ssl));
  }
  static std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token) {
    auto c = std::make_unique<grpc::ClientContext>();
    c->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (!token.empty()) c->AddMetadata("authorization", "Bearer " + token);
    return c;
  }
  grpc::Status Status(const std::string& token) {
    v1::GetNetworkStatusResponse resp;
    return v1::PharosService::NewStub(channel_)->GetNetworkStatus(Ctx(token).get(), {}, &resp);
  }
  grpc::Status Apply(const std::string& token) {
    v1::ApplyConfigurationRequest req;
    req.set_config_yaml(ReadFile(std::string(PHAROS_EXAMPLES_DIR) + "/vehicle.yaml"));
    v1::ApplyConfigurationResponse resp;
    return v1::PharosService::NewStub(channel_)->ApplyConfiguration(Ctx(token).get(), req, &resp);
  }
  std::string Jwt(const std::string& key, const std::string& role, int64_t exp) {
    return SignJwt(dir_.path() + "/" + key, {{"sub", "piccolo-1"}, {"role", role}, {"exp", exp}});
  }

  TempDir dir_;
  std::unique_ptr<DaemonProcess> daemon_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(ApiSecurityTest, EachRoleGetsItsMethodsAndNoMore) {
  EXPECT_EQ(Status("").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Status("not-a-known-token-at-all").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(Status(kViewer).ok());
  grpc::Status s = Apply(kViewer);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(s.error_message().find("needs admin"), std::string::npos) << s.error_message();

  auto pharos = v1::PharosService::NewStub(channel_);
  v1::RegisterServiceRequest reg;
  reg.set_service_name("brake");
  reg.set_host("10.2.1.3");
  reg.set_port(9300);
  reg.set_protocol("someip");
  v1::RegisterServiceResponse reg_resp;
  EXPECT_TRUE(pharos->RegisterService(Ctx(kOperator).get(), reg, &reg_resp).ok());
  EXPECT_EQ(pharos->RegisterService(Ctx(kViewer).get(), reg, &reg_resp).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::ConfigureSecurityPolicyResponse pol;
  EXPECT_EQ(pharos->ConfigureSecurityPolicy(Ctx(kOperator).get(), {}, &pol).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(Apply(kAdmin).ok());

  // The audit log has who did what, refused calls included.
  ctl::ListAuditLogResponse audit;
  auto control = ctl::PharosControlService::NewStub(channel_);
  EXPECT_EQ(control->ListAuditLog(Ctx(kOperator).get(), {}, &audit).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(control->ListAuditLog(Ctx(kAdmin).get(), {}, &audit).ok());
  bool admin_apply = false, viewer_refused = false, operator_register = false;
  for (const auto& e : audit.entries()) {
    admin_apply |= e.principal() == "carol" && e.method() == "ApplyConfiguration" &&
                   e.result() == "OK" && e.role() == "admin";
    viewer_refused |= e.method() == "ApplyConfiguration" &&
                      e.result().find("PERMISSION_DENIED") == 0;
    operator_register |= e.principal() == "bob" && e.method() == "RegisterService";
    EXPECT_FALSE(e.at().empty());
    EXPECT_NE(e.peer().find("127.0.0.1"), std::string::npos) << e.peer();
  }
  EXPECT_TRUE(admin_apply);
  EXPECT_TRUE(viewer_refused);
  EXPECT_TRUE(operator_register);
  // Reads that pass are not audited; refused ones are (a failed
  // authentication is itself worth a line).
  bool refused_read = false;
  for (const auto& e : audit.entries()) {
    if (e.method() != "GetNetworkStatus") continue;
    EXPECT_NE(e.result(), "OK");
    refused_read |= e.result().find("UNAUTHENTICATED") == 0;
  }
  EXPECT_TRUE(refused_read);
}

TEST_F(ApiSecurityTest, JwtsAreVerifiedForSignatureExpiryAndRole) {
  EXPECT_TRUE(Apply(Jwt("jwt.key", "admin", Now() + 300)).ok());
  EXPECT_EQ(Apply(Jwt("jwt.key", "viewer", Now() + 300)).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  grpc::Status expired = Status(Jwt("jwt.key", "admin", Now() - 10));
  EXPECT_EQ(expired.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_NE(expired.error_message().find("expired"), std::string::npos);
  grpc::Status forged = Status(Jwt("stranger.key", "admin", Now() + 300));
  EXPECT_EQ(forged.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_NE(forged.error_message().find("signature"), std::string::npos);
  EXPECT_EQ(Status(Jwt("jwt.key", "superuser", Now() + 300)).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(ApiSecurityTest, MutualTlsRefusesAClientWithoutACertificate) {
  channel_ = Channel(false);
  grpc::Status s = Status(kAdmin);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  // And plaintext to a TLS port fails too.
  channel_ = grpc::CreateChannel(daemon_->address(), grpc::InsecureChannelCredentials());
  EXPECT_FALSE(Status(kAdmin).ok());
}

// The role each method needs, as docs/security.md gives it. A method that
// is not listed here needs admin: one added later without a role is
// closed, and this test says so until it is listed.
auth::Role ExpectedRole(const std::string& method) {
  static const std::map<std::string, auth::Role> roles{
      {"ValidateConfiguration", auth::Role::kViewer},
      {"GetNetworkStatus", auth::Role::kViewer},
      {"GetServiceConnectivity", auth::Role::kViewer},
      {"GetNetworkMetrics", auth::Role::kViewer},
      {"GetRouteInfo", auth::Role::kViewer},
      {"GetCloudFeedingStatus", auth::Role::kViewer},
      {"ListConfigVersions", auth::Role::kViewer},
      {"GetConfigVersion", auth::Role::kViewer},
      {"GetPlan", auth::Role::kViewer},
      {"ListNetworkEvents", auth::Role::kViewer},
      {"GetCallbackStatus", auth::Role::kViewer},
      {"ListLeases", auth::Role::kViewer},
      {"ListServices", auth::Role::kViewer},
      {"ListSecurityEvents", auth::Role::kViewer},
      {"GetSecurityStatus", auth::Role::kViewer},
      {"Watch", auth::Role::kViewer},
      {"GetVersion", auth::Role::kViewer},
      {"GetCloudStatus", auth::Role::kViewer},
      {"RequestNetworkPod", auth::Role::kOperator},
      {"SetupNetwork", auth::Role::kOperator},
      {"RemoveNetwork", auth::Role::kOperator},
      {"RegisterService", auth::Role::kOperator},
      {"DeregisterService", auth::Role::kOperator},
      {"UpdateServiceEndpoint", auth::Role::kOperator},
      {"TestConnectivity", auth::Role::kOperator},
  };
  auto it = roles.find(method);
  return it == roles.end() ? auth::Role::kAdmin : it->second;
}

// Every method of every service the running pharosd lists (server
// reflection: services added later are walked too), called without
// credentials, with the role just below the one it needs, and with that
// role (which must get past the check: the test would otherwise pass
// against a server that refuses everything).
TEST_F(ApiSecurityTest, EveryMethodOfEveryServedServiceRefusesACallerWithoutItsRole) {
  const std::map<auth::Role, std::string> token{{auth::Role::kViewer, kViewer},
                                                {auth::Role::kOperator, kOperator},
                                                {auth::Role::kAdmin, kAdmin}};
  grpc::GenericStub generic(channel_);
  // Linked in, so that the generated pool knows every service pharosd serves.
  (void)pharos::api::v1::NetworkSetupRequest::descriptor();
  std::vector<std::string> services = ReflectedServices(channel_);
  int checked = 0;
  for (const std::string& name : services) {
    // gRPC's own health and reflection services answer anyone (docs/security.md).
    if (name.rfind("grpc.", 0) == 0) continue;
    const google::protobuf::ServiceDescriptor* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(name);
    ASSERT_NE(service, nullptr) << "pharosd serves " << name << ", unknown to this test";
    for (int i = 0; i < service->method_count(); ++i) {
      const google::protobuf::MethodDescriptor* m = service->method(i);
      std::string method = "/" + service->full_name() + "/" + m->name();
      auth::Role needed = ExpectedRole(m->name());
      auto call = [&](const std::string& bearer) {
        auto ctx = Ctx(bearer);
        ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
        return CallGeneric(generic, ctx.get(), method, "", m->server_streaming());
      };
      EXPECT_EQ(call("").status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << method;
      if (needed > auth::Role::kViewer) {
        auth::Role below = static_cast<auth::Role>(static_cast<int>(needed) - 1);
        GenericAnswer refused = call(token.at(below));
        EXPECT_EQ(refused.status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
            << method << " with role " << auth::RoleName(below) << ": "
            << refused.status.error_message();
      }
      GenericAnswer allowed = call(token.at(needed));
      EXPECT_NE(allowed.status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << method;
      EXPECT_NE(allowed.status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
          << method << ": " << allowed.status.error_message();
      ++checked;
    }
  }
  EXPECT_GE(checked, 30) << "services listed: " << services.size();  // 18 + 11 + 1 methods
}

TEST(ApiListenTest, NonLoopbackWithoutTlsIsRefusedUnlessForced) {
  TempDir dir;
  std::string out;
  int rc = RunCommand(std::string(PHAROSD_BINARY) + " --dataplane=plan --listen 0.0.0.0:0" +
                          " --state-dir " + dir.path() + " --callback-endpoint=none",
                      &out);
  EXPECT_EQ(rc, 2) << out;
  EXPECT_NE(out.find("refusing to listen on 0.0.0.0:0 without TLS"), std::string::npos) << out;
  EXPECT_NE(out.find("--insecure-listen"), std::string::npos) << out;
}

}  // namespace
}  // namespace pharos::e2e
