#include "broker/store/sqlite_signal_store.h"

#include "fmt/format.h"
#include "nlohmann/json.hpp"

namespace pharos::broker {
namespace {

using nlohmann::json;

const std::vector<store::Migration>& Migrations() {
  static const std::vector<store::Migration> kMigrations = {
      {1, "signal ids and persisted values", R"sql(
        CREATE TABLE signal_ids (
          path TEXT PRIMARY KEY,
          id INTEGER NOT NULL UNIQUE
        );
        CREATE TABLE signal_values (
          id INTEGER NOT NULL,
          kind TEXT NOT NULL CHECK (kind IN ('current', 'target')),
          value TEXT NOT NULL,
          timestamp_ns INTEGER NOT NULL,
          PRIMARY KEY (id, kind)
        );
      )sql"},
  };
  return kMigrations;
}

template <size_t I>
bool DecodeAlternative(size_t index, const json& v, Value& out) {
  if constexpr (I < std::variant_size_v<Value>) {
    if (index == I) {
      using T = std::variant_alternative_t<I, Value>;
      if constexpr (std::is_same_v<T, std::monostate>) {
        out = std::monostate{};
      } else {
        out = v.get<T>();
      }
      return true;
    }
    return DecodeAlternative<I + 1>(index, v, out);
  }
  return false;
}

}  // namespace

std::string EncodeValue(const Value& value) {
  json j;
  j["t"] = value.index();
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          j["v"] = nullptr;
        } else {
          j["v"] = v;
        }
      },
      value);
  return j.dump();
}

absl::StatusOr<Value> DecodeValue(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("t") || !j["t"].is_number_unsigned()) {
    return absl::DataLossError(fmt::format("a stored value is not readable: {}", text));
  }
  Value out;
  try {
    if (!DecodeAlternative<0>(j["t"].get<size_t>(), j["v"], out)) {
      return absl::DataLossError(fmt::format("a stored value has an unknown type: {}", text));
    }
  } catch (const json::exception& e) {
    return absl::DataLossError(
        fmt::format("a stored value is not readable: {} ({})", text, e.what()));
  }
  return out;
}

absl::StatusOr<std::unique_ptr<SqliteSignalStore>> SqliteSignalStore::Open(
    const std::string& path) {
  auto db = store::Database::Open(path);
  if (!db.ok()) return db.status();
  if (absl::Status s = (*db)->Migrate(Migrations()); !s.ok()) return s;
  return std::unique_ptr<SqliteSignalStore>(new SqliteSignalStore(*std::move(db)));
}

absl::StatusOr<std::map<std::string, SignalId>> SqliteSignalStore::LoadIds() {
  std::lock_guard lock(mu_);
  std::map<std::string, SignalId> ids;
  auto stmt = db_->Prepare("SELECT path, id FROM signal_ids");
  if (!stmt.ok()) return stmt.status();
  absl::Status s = stmt->ForEachRow([&](const store::Statement& row) {
    ids.emplace(row.ColumnText(0), static_cast<SignalId>(row.ColumnInt(1)));
  });
  if (!s.ok()) return s;
  return ids;
}

absl::Status SqliteSignalStore::SaveIds(const std::map<std::string, SignalId>& ids) {
  std::lock_guard lock(mu_);
  store::Transaction tx(*db_);
  if (!tx.status().ok()) return tx.status();
  for (const auto& [path, id] : ids) {
    auto stmt = db_->Prepare("INSERT OR IGNORE INTO signal_ids (path, id) VALUES (?, ?)");
    if (!stmt.ok()) return stmt.status();
    if (absl::Status s = stmt->Bind(1, path).Bind(2, int64_t{id}).Run(); !s.ok()) return s;
  }
  return tx.Commit();
}

absl::StatusOr<std::vector<StoredValue>> SqliteSignalStore::LoadValues() {
  std::lock_guard lock(mu_);
  std::vector<StoredValue> out;
  absl::Status bad;
  auto stmt = db_->Prepare("SELECT id, kind, value, timestamp_ns FROM signal_values");
  if (!stmt.ok()) return stmt.status();
  absl::Status s = stmt->ForEachRow([&](const store::Statement& row) {
    auto value = DecodeValue(row.ColumnText(2));
    if (!value.ok()) {
      bad = value.status();
      return;
    }
    StoredValue v;
    v.id = static_cast<SignalId>(row.ColumnInt(0));
    v.kind = row.ColumnText(1) == "target" ? ValueKind::kTarget : ValueKind::kCurrent;
    v.datapoint.value = *std::move(value);
    v.datapoint.timestamp = Timestamp(std::chrono::duration_cast<Timestamp::duration>(
        std::chrono::nanoseconds(row.ColumnInt(3))));
    out.push_back(std::move(v));
  });
  if (!s.ok()) return s;
  if (!bad.ok()) return bad;
  return out;
}

absl::Status SqliteSignalStore::SaveValue(const StoredValue& value) {
  std::lock_guard lock(mu_);
  auto stmt = db_->Prepare(
      "INSERT INTO signal_values (id, kind, value, timestamp_ns) VALUES (?, ?, ?, ?) "
      "ON CONFLICT (id, kind) DO UPDATE SET value = excluded.value, "
      "timestamp_ns = excluded.timestamp_ns");
  if (!stmt.ok()) return stmt.status();
  int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                   value.datapoint.timestamp.time_since_epoch())
                   .count();
  return stmt->Bind(1, int64_t{value.id})
      .Bind(2, value.kind == ValueKind::kTarget ? "target" : "current")
      .Bind(3, EncodeValue(value.datapoint.value))
      .Bind(4, ns)
      .Run();
}

}  // namespace pharos::broker
