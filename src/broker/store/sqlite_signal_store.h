// The broker's state in SQLite (WAL, synchronous=FULL, like pharosd's):
// the path -> id mapping and the persisted last values. A value is stored
// as its wire alternative and JSON text; SaveValue is durable when it
// returns.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "broker/core/signal_store.h"
#include "store/sqlite_db.h"

namespace pharos::broker {

class SqliteSignalStore final : public SignalStore {
 public:
  // Opens (creating) `path` and applies the broker's migrations.
  static absl::StatusOr<std::unique_ptr<SqliteSignalStore>> Open(const std::string& path);

  absl::StatusOr<std::map<std::string, SignalId>> LoadIds() override;
  absl::Status SaveIds(const std::map<std::string, SignalId>& ids) override;
  absl::StatusOr<std::vector<StoredValue>> LoadValues() override;
  absl::Status SaveValue(const StoredValue& value) override;

 private:
  explicit SqliteSignalStore(std::unique_ptr<store::Database> db) : db_(std::move(db)) {}
  std::mutex mu_;
  std::unique_ptr<store::Database> db_;
};

// The codec, public for its unit test: {"t": <alternative>, "v": <value>}.
std::string EncodeValue(const Value& value);
absl::StatusOr<Value> DecodeValue(std::string_view text);

}  // namespace pharos::broker
