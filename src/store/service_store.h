// The service registry's rows: one per service instance (name, protocol
// and endpoint), with where it runs, who registered it and its health.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "store/sqlite_db.h"

namespace pharos::store {

struct ServiceRecord {
  std::string id;  // "svc-" + 16 hex digits, never reused
  std::string name;
  std::string protocol;  // dds | grpc | rest | someip
  std::string host;
  int port = 0;
  std::map<std::string, std::string> metadata;
  std::string location;  // the vehicle component whose address `host` is; "" outside
  std::string source;    // api | pod | someip | dds
  std::string status;    // registered | healthy | degraded | unhealthy
  std::string created_at;
  std::string updated_at;
};

class ServiceStore {
 public:
  explicit ServiceStore(Database& db) : db_(db) {}

  // AlreadyExists when the same name, protocol and endpoint is registered.
  absl::Status Insert(const ServiceRecord& service);
  // Endpoint, location and status together (an endpoint change is a new
  // health history); AlreadyExists when another instance has that endpoint.
  absl::Status Update(const ServiceRecord& service);
  absl::Status SetStatus(const std::string& id, const std::string& status, const std::string& at);
  absl::StatusOr<bool> Remove(const std::string& id);  // false: there was none
  absl::StatusOr<std::optional<ServiceRecord>> Get(const std::string& id);
  absl::StatusOr<std::optional<ServiceRecord>> Find(const std::string& name,
                                                    const std::string& protocol,
                                                    const std::string& host, int port);
  absl::StatusOr<std::vector<ServiceRecord>> List();  // by name, then id

 private:
  absl::StatusOr<std::optional<ServiceRecord>> One(Statement& st);
  Database& db_;
};

}  // namespace pharos::store
