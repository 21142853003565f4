// sovd.vehicle.VehicleService/ExecuteCommand (seed 001) over the
// diagnostics core: one request, one chunk per ECU (more when an answer is
// larger than the chunk limit), sequence numbers from 0, is_final on the
// last, errors only as a gRPC status. A client that cancels stops the ECU
// work; one that stops reading for the stream-idle time is cancelled.
#pragma once

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "sovd/core/audit.h"
#include "sovd/core/diagnostics.h"
#include "sovd_vehicle_service.grpc.pb.h"

namespace pharos::sovd::grpc_api {

struct ServiceOptions {
  size_t max_chunk_bytes = 1'000'000;  // the seed: "keep response chunks < 1 MB"
  std::chrono::milliseconds stream_idle{30000};
};

// Who is calling, or why they may not (PERMISSION_DENIED / UNAUTHENTICATED).
using CallerCheck = std::function<absl::StatusOr<std::string>(const grpc::CallbackServerContext&)>;

class VehicleService final : public ::sovd::vehicle::VehicleService::CallbackService {
 public:
  VehicleService(core::Diagnostics& diagnostics, core::AuditSink& audit, const Clock& clock,
                 CallerCheck check_caller, ServiceOptions options);
  ~VehicleService() override;

  grpc::ServerWriteReactor<::sovd::vehicle::CommandResponse>* ExecuteCommand(
      grpc::CallbackServerContext* context,
      const ::sovd::vehicle::CommandRequest* request) override;

 private:
  class Stream;
  struct Watchdog;

  core::Diagnostics& diagnostics_;
  core::AuditSink& audit_;
  const Clock& clock_;
  const CallerCheck check_caller_;
  const ServiceOptions options_;
  std::unique_ptr<Watchdog> watchdog_;
};

}  // namespace pharos::sovd::grpc_api
