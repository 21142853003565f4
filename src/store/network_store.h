// Networks set up at run time by name (Pullpiri's SetupNetwork): a pod
// bridge on a VM, kept across restarts until RemoveNetwork.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "store/sqlite_db.h"

namespace pharos::store {

struct RuntimeNetwork {
  std::string name;
  std::string soc;
  std::string vm;
  std::string subnet;
  std::string bridge;  // its own bridge; "" when it is a pod subnet the vehicle has anyway
  std::string mode;    // bridge
  std::string created_at;
};

class NetworkStore {
 public:
  explicit NetworkStore(Database& db) : db_(db) {}
  // AlreadyExists when the name is taken.
  absl::Status Add(const RuntimeNetwork& network);
  absl::Status Remove(const std::string& name);
  absl::StatusOr<std::optional<RuntimeNetwork>> Get(const std::string& name);
  // In the order they were set up.
  absl::StatusOr<std::vector<RuntimeNetwork>> List();

 private:
  Database& db_;
};

}  // namespace pharos::store
