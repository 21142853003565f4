// Runtime pods (RequestNetworkPod) with their address leases.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "store/sqlite_db.h"

namespace pharos::store {

struct RuntimePod {
  std::string name;
  std::string soc;
  std::string vm;
  std::string subnet;
  std::string ip;
  std::string spec_yaml;
  std::string request_id;
  std::string state;  // pending | ready
  std::string deadline_at;
  std::string created_at;
  std::string container_id;  // set by pharos-cni; "" for gRPC requests
  std::string origin;        // who asked, in words ("" for a plain request)
  std::string notes;         // told in the completion's details, ';' between notes
  std::string network;       // the network it joined by name ("" for none)
};

class PodStore {
 public:
  explicit PodStore(Database& db) : db_(db) {}
  // Inserts or replaces by name. AlreadyExists when the address is leased
  // to another pod (the UNIQUE(subnet, ip) constraint).
  absl::Status Put(const RuntimePod& pod);
  absl::Status SetState(const std::string& name, const std::string& state);
  absl::Status Remove(const std::string& name);
  // One transaction: `ready` become ready, `gone` are deleted.
  absl::Status Settle(const std::vector<std::string>& ready, const std::vector<std::string>& gone);
  absl::StatusOr<std::optional<RuntimePod>> Get(const std::string& name);
  // In request order (the last request for a pod counts): completions
  // follow it.
  absl::StatusOr<std::vector<RuntimePod>> List();

 private:
  Database& db_;
};

}  // namespace pharos::store
