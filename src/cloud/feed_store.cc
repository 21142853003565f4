#include "cloud/feed_store.h"

#include "common/text.h"
#include "nlohmann/json.hpp"

namespace pharos::cloud {
namespace {

using Json = nlohmann::json;

std::string ConfigJson(const FeedConfig& c) {
  return Json{{"enabled", c.enabled},
              {"interval_seconds", c.interval_seconds},
              {"data_fields", c.data_fields},
              {"target_endpoint", c.target_endpoint}}
      .dump();
}

FeedConfig ConfigFrom(const std::string& text) {
  FeedConfig c;
  Json j = Json::parse(text, nullptr, false);
  if (!j.is_object()) return c;
  c.enabled = j.value("enabled", false);
  c.interval_seconds = j.value("interval_seconds", 60);
  c.data_fields = j.value("data_fields", std::vector<std::string>{});
  c.target_endpoint = j.value("target_endpoint", "");
  return c;
}

}  // namespace

absl::StatusOr<std::optional<StoredFeed>> FeedStore::Load(const std::string& feed) {
  auto st = db_.Prepare(
      "SELECT config, last_feeding_time, last_success, last_error FROM cloud_feeds WHERE name = ?");
  if (!st.ok()) return st.status();
  st->Bind(1, feed);
  absl::StatusOr<bool> row = st->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<StoredFeed>();
  StoredFeed f;
  f.config = ConfigFrom(st->ColumnText(0));
  f.outcome = {st->ColumnText(1), st->ColumnInt(2) != 0, st->ColumnText(3)};
  return std::optional<StoredFeed>(std::move(f));
}

absl::Status FeedStore::SaveConfig(const std::string& feed, const FeedConfig& config,
                                   const std::string& now) {
  auto st = db_.Prepare(
      "INSERT INTO cloud_feeds(name, config, updated_at) VALUES(?, ?, ?) "
      "ON CONFLICT(name) DO UPDATE SET config = excluded.config, updated_at = excluded.updated_at");
  if (!st.ok()) return st.status();
  return st->Bind(1, feed).Bind(2, ConfigJson(config)).Bind(3, now).Run();
}

absl::Status FeedStore::SaveOutcome(const std::string& feed, const FeedOutcome& o) {
  auto st = db_.Prepare(
      "UPDATE cloud_feeds SET last_feeding_time = ?, last_success = ?, last_error = ? "
      "WHERE name = ?");
  if (!st.ok()) return st.status();
  return st->Bind(1, o.last_feeding_time)
      .Bind(2, int64_t{o.last_success})
      .Bind(3, o.last_error)
      .Bind(4, feed)
      .Run();
}

absl::StatusOr<std::optional<std::string>> FeedStore::State(const std::string& name) {
  auto st = db_.Prepare("SELECT value FROM cloud_state WHERE name = ?");
  if (!st.ok()) return st.status();
  st->Bind(1, name);
  absl::StatusOr<bool> row = st->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<std::string>();
  return std::optional<std::string>(st->ColumnText(0));
}

absl::Status FeedStore::SetState(const std::string& name, const std::string& value) {
  auto st = db_.Prepare(
      "INSERT INTO cloud_state(name, value) VALUES(?, ?) "
      "ON CONFLICT(name) DO UPDATE SET value = excluded.value");
  if (!st.ok()) return st.status();
  return st->Bind(1, name).Bind(2, value).Run();
}

absl::StatusOr<std::string> FeedStore::InstanceId() {
  auto have = State("instance");
  if (!have.ok()) return have.status();
  if (*have) return **have;
  std::string id = RandomHexId("");
  if (absl::Status s = SetState("instance", id); !s.ok()) return s;
  return id;
}

}  // namespace pharos::cloud
