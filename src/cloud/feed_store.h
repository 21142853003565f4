// A feed's configuration and its last outcome, in cloud.db (cloud_feeds),
// so feeding resumes as configured after a restart; and small state
// (cloud_state): the instance id items are named by, the journal cursor.
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "cloud/endpoint.h"
#include "store/sqlite_db.h"

namespace pharos::cloud {

struct FeedOutcome {
  std::string last_feeding_time;  // ISO 8601 UTC; "" never
  bool last_success = false;
  std::string last_error;
};

struct StoredFeed {
  FeedConfig config;
  FeedOutcome outcome;
};

class FeedStore {
 public:
  explicit FeedStore(store::Database& db) : db_(db) {}
  absl::StatusOr<std::optional<StoredFeed>> Load(const std::string& feed);
  absl::Status SaveConfig(const std::string& feed, const FeedConfig& config,
                          const std::string& now);
  absl::Status SaveOutcome(const std::string& feed, const FeedOutcome& outcome);

  absl::StatusOr<std::optional<std::string>> State(const std::string& name);
  // Inside the caller's transaction when there is one.
  absl::Status SetState(const std::string& name, const std::string& value);
  // The id of this cloud.db: made (random) the first time.
  absl::StatusOr<std::string> InstanceId();

 private:
  store::Database& db_;
};

}  // namespace pharos::cloud
