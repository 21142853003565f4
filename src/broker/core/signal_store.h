// The broker's persistence port: the path -> id mapping (ids stay stable
// across restarts) and the last value of the signals chosen to persist.
// The SQLite implementation is broker/store; tests use an in-memory one.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "broker/core/subscription.h"
#include "broker/core/types.h"

namespace pharos::broker {

struct StoredValue {
  SignalId id = 0;
  ValueKind kind = ValueKind::kCurrent;
  Datapoint datapoint;
};

class SignalStore {
 public:
  virtual ~SignalStore() = default;
  virtual absl::StatusOr<std::map<std::string, SignalId>> LoadIds() = 0;
  // Adds the ids not stored yet (an id once given is never taken back).
  virtual absl::Status SaveIds(const std::map<std::string, SignalId>& ids) = 0;
  virtual absl::StatusOr<std::vector<StoredValue>> LoadValues() = 0;
  // Durable when it returns OK (the broker acknowledges the write after).
  virtual absl::Status SaveValue(const StoredValue& value) = 0;
};

// Keeps nothing: a broker started without a state directory.
class NoSignalStore final : public SignalStore {
 public:
  absl::StatusOr<std::map<std::string, SignalId>> LoadIds() override {
    return std::map<std::string, SignalId>{};
  }
  absl::Status SaveIds(const std::map<std::string, SignalId>&) override { return absl::OkStatus(); }
  absl::StatusOr<std::vector<StoredValue>> LoadValues() override {
    return std::vector<StoredValue>{};
  }
  absl::Status SaveValue(const StoredValue&) override { return absl::OkStatus(); }
};

}  // namespace pharos::broker
