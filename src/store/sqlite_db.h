// A thin RAII layer over SQLite: open in WAL mode, run migrations,
// prepared statements with typed binds, transactions. Errors are
// absl::Status with SQLite's message.
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace pharos::store {

class Database;

// A file's writer lock, shared by this process's connections to that file.
// `holder` lets a thread that already holds it (a transaction opened inside
// another, on a second connection) see so instead of waiting on itself.
struct FileWriterLock {
  std::timed_mutex mu;
  std::atomic<std::thread::id> holder;
};

// A prepared statement. One from Database::Prepare goes back to that
// connection's cache when destroyed (reset, bindings cleared).
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
  friend class Database;

  // A file's writer lock, shared by this process's connections to that file.
  // `holder` lets a thread that already holds it (a transaction opened inside
  // another, on a second connection) see so instead of waiting on itself.
  struct FileWriterLock {
    std::timed_mutex mu;
    std::atomic<std::thread::id> holder;
  };
  sqlite3* db_;
  sqlite3_stmt* stmt_;
  Database* home_ = nullptr;  // whose cache it returns to (null: finalized)
  std::string sql_;           // its key there
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
  // Prepared once per connection and text, then reused: preparing costs
  // more than running most of Pharos's statements.
  absl::StatusOr<Statement> Prepare(std::string_view sql);
  absl::Status Migrate(const std::vector<Migration>& migrations);
  absl::StatusOr<int> SchemaVersion();

  int64_t LastInsertId() const;
  sqlite3* raw() { return db_; }

 private:
  friend class Statement;
  friend class Transaction;
  explicit Database(sqlite3* db) : db_(db) {}
  void Return(std::string sql, sqlite3_stmt* stmt);
  sqlite3* db_;
  // Shared by this process's connections to the same file: transactions
  // queue here (woken at once) rather than in SQLite's busy wait.
  std::shared_ptr<FileWriterLock> file_writer_;
  std::mutex cache_mu_;
  // Idle statements by text; a text in use twice at once gets a second one.
  std::unordered_map<std::string, std::vector<sqlite3_stmt*>> idle_;
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
  void ReleaseWriter();
  // Whether this transaction holds its file's writer lock: not when it was
  // not had within the busy timeout, nor when this thread already held it
  // (such a transaction meets SQLite's busy wait instead of a deadlock).
  bool holds_writer_ = false;
};

}  // namespace pharos::store
