#include "e2e/broker/broker_client.h"

#include <chrono>

#include "auth/jwt.h"

namespace pharos::e2e {

BrokerUnderTest::BrokerUnderTest(std::vector<std::string> args)
    : process_(dir_.path() + "/state", std::move(args), PharosBroker()) {
  std::filesystem::create_directories(dir_.path() + "/state");
}

std::shared_ptr<grpc::Channel> BrokerUnderTest::Channel() const {
  return grpc::CreateChannel(process_.address(), grpc::InsecureChannelCredentials());
}

std::unique_ptr<grpc::ClientContext> Call(const std::string& token, int seconds) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
  if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
  return ctx;
}

bool MakeKeyPair(const std::string& dir, const std::string& name, const std::string& kind) {
  std::string algorithm = kind == "rsa"     ? "-algorithm RSA -pkeyopt rsa_keygen_bits:2048"
                          : kind == "ec256" ? "-algorithm EC -pkeyopt ec_paramgen_curve:P-256"
                          : kind == "ec384" ? "-algorithm EC -pkeyopt ec_paramgen_curve:P-384"
                                            : "-algorithm ED25519";
  std::string base = dir + "/" + name;
  std::string out;
  return RunCommand("openssl genpkey " + algorithm + " -out " + base + ".key && openssl pkey -in " +
                        base + ".key -pubout -out " + base + ".pub",
                    &out) == 0;
}

std::string KuksaToken(const std::string& private_key, const std::string& scope, int valid_seconds,
                       const std::string& audience) {
  int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  nlohmann::json claims = {{"sub", "test-client"},
                           {"iss", "test"},
                           {"aud", nlohmann::json::array({audience})},
                           {"iat", now},
                           {"exp", now + valid_seconds},
                           {"scope", scope}};
  auto token = auth::SignJwt(private_key, claims);
  return token.ok() ? *token : "";
}

v2::SignalID ById(int32_t id) {
  v2::SignalID s;
  s.set_id(id);
  return s;
}
v2::SignalID ByPath(const std::string& path) {
  v2::SignalID s;
  s.set_path(path);
  return s;
}
v2::Value Float(float f) {
  v2::Value v;
  v.set_float_(f);
  return v;
}
v2::Value Uint32(uint32_t u) {
  v2::Value v;
  v.set_uint32(u);
  return v;
}
v2::Value String(const std::string& s) {
  v2::Value v;
  v.set_string(s);
  return v;
}

}  // namespace pharos::e2e
