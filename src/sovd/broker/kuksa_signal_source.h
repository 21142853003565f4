// SignalSource over kuksa.val.v2 GetValues: pharos-sovd as an ordinary
// client of pharos-broker (or any KUKSA databroker), with an optional
// bearer token. The call runs on gRPC's callback API; its completion is
// posted back to the core's I/O thread.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>

#include "kuksa/val/v2/val.grpc.pb.h"
#include "sovd/core/signal_source.h"

namespace pharos::sovd::broker {

class KuksaSignalSource final : public core::SignalSource {
 public:
  KuksaSignalSource(std::string address, std::string token);

  awaitable<absl::StatusOr<std::vector<std::optional<ecu::PhysicalValue>>>> Read(
      const std::vector<std::string>& paths, transport::CallContext& call) override;
  std::string Describe() const override;

 private:
  const std::string address_;
  const std::string token_;
  std::unique_ptr<kuksa::val::v2::VAL::Stub> stub_;
};

}  // namespace pharos::sovd::broker
