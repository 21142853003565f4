// Runtime pods (RequestNetworkPod) with their address leases, as typed rows:
// the pod's fields in columns, its services as a versioned JSON array.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "store/sqlite_db.h"

namespace pharos::store {

// A runtime pod's state. There is no stored "failed": a pod that cannot
// be set up is deleted, address and all, and its failure is told in its
// completion (CompleteNetworkSetting or the waiting pharos-cni call).
enum class PodState { kPending, kReady, kRemoving };
std::string_view PodStateName(PodState s);  // "pending", "ready", "removing"
std::optional<PodState> ParsePodState(std::string_view name);

struct StoredService {
  std::string name;
  int64_t port = 0;
  std::optional<std::string> protocol, kind;
  bool operator==(const StoredService&) const = default;
};

// What was asked for the pod besides its place and address (nullopt: not
// given). `networking_type` is always set ("cni" when not given).
struct StoredPodSpec {
  std::optional<std::string> k8s_namespace, networking_type, interface, bridge, netns;
  std::vector<StoredService> services;
  bool operator==(const StoredPodSpec&) const = default;
};

struct RuntimePod {
  std::string name;
  std::string soc;
  std::string vm;
  std::string subnet;
  std::string ip;
  StoredPodSpec spec;
  std::string request_id;
  PodState state = PodState::kPending;
  std::string deadline_at;
  std::string created_at;
  std::string container_id;  // set by pharos-cni; "" for gRPC requests
  std::string origin;        // who asked, in words ("" for a plain request)
  std::string notes;         // told in the completion's details, ';' between notes
  std::string network;       // the network it joined by name ("" for none)
  // A row written before pods were typed (schema < 12): `spec` is empty and
  // this is its pod block as YAML, which the core reads and rewrites.
  std::string legacy_spec_yaml;
};

class PodStore {
 public:
  explicit PodStore(Database& db) : db_(db) {}
  // Inserts or replaces by name (always as a typed row). AlreadyExists when
  // the address is leased to another pod (the UNIQUE(subnet, ip) constraint).
  absl::Status Put(const RuntimePod& pod);
  absl::Status SetState(const std::string& name, PodState state);
  absl::Status Remove(const std::string& name);
  // One transaction: `ready` become ready, `gone` are deleted.
  absl::Status Settle(const std::vector<std::string>& ready, const std::vector<std::string>& gone);
  absl::StatusOr<std::optional<RuntimePod>> Get(const std::string& name);
  // In request order (the last request for a pod counts): completions
  // follow it.
  absl::StatusOr<std::vector<RuntimePod>> List();
  absl::StatusOr<size_t> Count();

 private:
  Database& db_;
};

}  // namespace pharos::store
