// A thin RAII layer over SQLite: open in WAL mode, run migrations,
// prepared statements with typed binds, transactions. Errors are
// absl::Status with SQLite's message.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace pharos::store {

class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  Statement(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  ~Statement();

  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, std::string_view value);
  Statement& BindNull(int index);
  Statement& BindBlob(int index, std::string_view bytes);

  // Steps once: true when a row is available, false when done.
  absl::StatusOr<bool> Step();
  // Steps through every row, calling `row` for each.
  absl::Status ForEachRow(const std::function<void(const Statement&)>& row);
  // Steps to completion (for statements without rows).
  absl::Status Run();

  int64_t ColumnInt(int col) const;
  std::string ColumnText(int col) const;
  std::string ColumnBlob(int col) const;
  bool ColumnIsNull(int col) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

// A migration is SQL applied once; the schema version is PRAGMA
// user_version, so migrations only ever append.
struct Migration {
  int version;
  std::string_view description;
  std::string_view sql;
};

class Database {
 public:
  // Opens (creating if needed) `path` in WAL mode with foreign keys on and
  // synchronous=FULL: a configuration version, once acknowledged, survives
  // a crash or power loss. ":memory:" works for tests.
  static absl::StatusOr<std::unique_ptr<Database>> Open(const std::string& path);
  ~Database();

  absl::Status Exec(std::string_view sql);
  absl::StatusOr<Statement> Prepare(std::string_view sql);
  absl::Status Migrate(const std::vector<Migration>& migrations);
  absl::StatusOr<int> SchemaVersion();

  int64_t LastInsertId() const;
  sqlite3* raw() { return db_; }

 private:
  explicit Database(sqlite3* db) : db_(db) {}
  sqlite3* db_;
};

// BEGIN IMMEDIATE ... COMMIT, rolled back on destruction unless committed.
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  absl::Status status() const { return begin_status_; }
  absl::Status Commit();

 private:
  Database& db_;
  absl::Status begin_status_;
  bool done_ = false;
};

}  // namespace pharos::store
