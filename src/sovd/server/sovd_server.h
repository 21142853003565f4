// pharos-sovd's wiring: the configuration, the diagnostics core, the gRPC
// front end with its TLS and caller checks, the audit log, and the
// registration in pharosd.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "serving/pharosd_registration.h"
#include "sovd/core/diagnostics.h"
#include "sovd/grpc/vehicle_service.h"
#include "sovd/rest/rest_server.h"
#include "sovd/server/audit_log.h"
#include "sovd/server/sovd_options.h"

namespace pharos::sovd::server {

class SovdServer {
 public:
  static absl::StatusOr<std::unique_ptr<SovdServer>> Start(const SovdOptions& options,
                                                           const Clock& clock);
  ~SovdServer();

  const std::string& address() const { return address_; }
  std::string rest_address() const { return rest_ ? rest_->address() : ""; }
  void Shutdown();

 private:
  SovdServer() = default;

  core::SovdConfig config_;
  std::vector<std::unique_ptr<core::SignalSource>> signal_sources_;  // OBD via pharos-broker
  std::unique_ptr<AuditLog> audit_;
  std::unique_ptr<core::Diagnostics> diagnostics_;
  std::unique_ptr<grpc_api::VehicleService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<rest::RestServer> rest_;
  std::unique_ptr<PharosdRegistration> registration_;  // after the server: it announces it
  std::string address_;
};

// The caller check of the gRPC front end: with mutual TLS the client
// certificate's identity (and, with an allow-list, only those on it);
// otherwise the peer address.
grpc_api::CallerCheck MakeCallerCheck(const SovdOptions& options);

}  // namespace pharos::sovd::server
