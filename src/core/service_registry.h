// The service registry (spec §6): services registered over the API, by the
// pods Pharos sets up, and by discovery (SOME/IP-SD, DDS), persisted in the
// store. Each records where it runs (the vehicle component whose address
// it has) and its health status; every status change is reported through
// a ServiceStatusSink (the callback outbox: NotifyServiceStatusChange).
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "common/observers.h"
#include "core/config_controller.h"
#include "store/group_commit.h"
#include "store/service_store.h"

namespace pharos::core {

inline constexpr char kServiceRegistered[] = "registered";
inline constexpr char kServiceHealthy[] = "healthy";
inline constexpr char kServiceDegraded[] = "degraded";
inline constexpr char kServiceUnhealthy[] = "unhealthy";
inline constexpr char kServiceRemoved[] = "removed";

class ServiceStatusSink {
 public:
  virtual ~ServiceStatusSink() = default;
  virtual absl::Status ServiceStatusChanged(const std::string& service_id,
                                            const std::string& previous, const std::string& current,
                                            const std::string& details) = 0;
};

struct ServiceFilter {
  std::string protocol;
  std::string k8s_namespace;  // of the pod the service runs in
  std::string status;
  std::map<std::string, std::string> metadata;  // every pair must match
};

struct ServiceView {
  store::ServiceRecord record;
  std::string k8s_namespace;  // of `record.location`, when it is a pod
};

// Bounds on a registration's metadata (docs/configuration.md, Limits):
// KUKSA-style discovery needs a handful of entries, not thousands.
inline constexpr size_t kMaxMetadataEntries = 64;
inline constexpr size_t kMaxMetadataKeyBytes = 63;
inline constexpr size_t kMaxMetadataValueBytes = 1024;
// InvalidArgument naming the first bound `metadata` crosses.
absl::Status CheckMetadata(const std::map<std::string, std::string>& metadata);

class ServiceRegistry {
 public:
  // `db`: a connection of its own. `sink` may be null (nothing reported).
  ServiceRegistry(store::Database& db, ConfigController& controller, const Clock& clock,
                  ServiceStatusSink* sink);

  // The id; the same id again for the same name, protocol and endpoint.
  // InvalidArgument for a bad name, protocol, host or port.
  absl::StatusOr<std::string> Register(const std::string& name, const std::string& host, int port,
                                       const std::string& protocol,
                                       const std::map<std::string, std::string>& metadata,
                                       const std::string& source = "api");
  absl::Status Deregister(const std::string& id, const std::string& why = "deregistered");
  // NotFound for an unknown id; the health history starts over.
  absl::Status UpdateEndpoint(const std::string& id, const std::string& host, int port);
  // Records a health transition and reports it (no-op when unchanged).
  absl::Status SetStatus(const std::string& id, const std::string& status,
                         const std::string& details);

  absl::StatusOr<std::optional<store::ServiceRecord>> Get(const std::string& id);
  absl::StatusOr<std::vector<ServiceView>> List(const ServiceFilter& filter = {});
  // The stored rows only (never asks the ConfigController).
  absl::StatusOr<std::vector<store::ServiceRecord>> Records();
  // Services by name (the queries' way in: "perception-service").
  absl::StatusOr<std::vector<store::ServiceRecord>> FindByName(const std::string& name);

  // Services the vehicle's pods declare (`services:` of a pod block, also
  // of runtime pods) are registered with source "pod" while the pod has an
  // address, and deregistered when it goes or stops declaring them.
  absl::Status SyncPodServices();

  // Told after every change (the health monitor re-reads its targets, the
  // security controller re-resolves membership). Observers only signal.
  ObserverList<>& changes() { return changes_; }
  const store::GroupCommit& group_commit() const { return group_; }

 private:
  std::string LocationOf(const std::string& host);
  void Changed();

  std::mutex mu_;  // the connection, and read-modify-write of a row
  store::ServiceStore services_;
  store::GroupCommit group_;  // Register's writes, under mu_
  ConfigController& controller_;
  const Clock& clock_;
  ServiceStatusSink* sink_;
  ObserverList<> changes_;
};

// Validation shared with discovery: "" when fine, else what is wrong.
std::string CheckServiceProtocol(const std::string& protocol);
std::string CheckServiceHost(const std::string& host);

}  // namespace pharos::core
