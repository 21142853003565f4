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

// A provider's kuksa.val.v2 OpenProviderStream.
class ProviderStream {
 public:
  using Stream =
      grpc::ClientReaderWriter<v2::OpenProviderStreamRequest, v2::OpenProviderStreamResponse>;
  explicit ProviderStream(v2::VAL::Stub& stub, const std::string& token = "")
      : ctx_(Call(token, 30)), stream_(stub.OpenProviderStream(ctx_.get())) {}
  bool ClaimActuator(const std::string& path, v2::OpenProviderStreamResponse* answer) {
    v2::OpenProviderStreamRequest req;
    *req.mutable_provide_actuation_request()->add_actuator_identifiers() = ByPath(path);
    return stream_->Write(req) && stream_->Read(answer);
  }
  bool ClaimSignal(int32_t id, v2::OpenProviderStreamResponse* answer) {
    v2::OpenProviderStreamRequest req;
    (*req.mutable_provide_signal_request()->mutable_signals_sample_intervals())[id].set_interval_ms(
        0);
    return stream_->Write(req) && stream_->Read(answer);
  }
  bool PublishValue(uint32_t request_id, int32_t id, const v2::Value& value) {
    v2::OpenProviderStreamRequest req;
    req.mutable_publish_values_request()->set_request_id(request_id);
    *(*req.mutable_publish_values_request()->mutable_data_points())[id].mutable_value() = value;
    return stream_->Write(req);
  }
  bool Acknowledge(int32_t id) {
    v2::OpenProviderStreamRequest req;
    *req.mutable_batch_actuate_stream_response()->mutable_signal_id() = ById(id);
    req.mutable_batch_actuate_stream_response()->mutable_error()->set_code(v2::ERROR_CODE_OK);
    return stream_->Write(req);
  }
  Stream& stream() { return *stream_; }
  // `drain`: read what is left here (false when another thread reads).
  grpc::Status Close(bool drain = true) {
    stream_->WritesDone();
    v2::OpenProviderStreamResponse rest;
    while (drain && stream_->Read(&rest)) {
    }
    return Finish();
  }
  grpc::Status Finish() { return stream_->Finish(); }

 private:
  std::unique_ptr<grpc::ClientContext> ctx_;
  std::unique_ptr<Stream> stream_;
};

}  // namespace pharos::e2e
