// Helpers for the broker's end-to-end tests: a real pharos-broker in a
// temporary directory, gRPC stubs generated from the owners' protos, and
// KUKSA-format tokens signed by keys the openssl command line makes.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "e2e/daemon_process.h"
#include "kuksa/val/v2/val.grpc.pb.h"
#include "nlohmann/json.hpp"

namespace pharos::e2e {

namespace v2 = ::kuksa::val::v2;

class BrokerUnderTest {
 public:
  explicit BrokerUnderTest(std::vector<std::string> args = {});
  bool Start() { return process_.Start(); }
  DaemonProcess& process() { return process_; }
  const std::string& dir() const { return dir_.path(); }
  std::shared_ptr<grpc::Channel> Channel() const;
  std::unique_ptr<v2::VAL::Stub> V2() const { return v2::VAL::NewStub(Channel()); }

 private:
  TempDir dir_;
  DaemonProcess process_;
};

// A context with a deadline and, when `token` is set, "authorization: Bearer".
std::unique_ptr<grpc::ClientContext> Call(const std::string& token = "", int seconds = 5);

// openssl genpkey: "rsa", "ec256", "ec384" or "ed25519" -> <dir>/<name>.key
// (private) and <name>.pub (public PEM). False on failure.
bool MakeKeyPair(const std::string& dir, const std::string& name, const std::string& kind);
// A KUKSA token: aud kuksa.val, exp in `valid_seconds` (negative: expired).
std::string KuksaToken(const std::string& private_key, const std::string& scope,
                       int valid_seconds = 600, const std::string& audience = "kuksa.val");

v2::SignalID ById(int32_t id);
v2::SignalID ByPath(const std::string& path);
v2::Value Float(float f);
v2::Value Uint32(uint32_t u);
v2::Value String(const std::string& s);

}  // namespace pharos::e2e
