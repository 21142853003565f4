#include "store/sqlite_db.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <thread>

#include "common/strings.h"

namespace pharos::store {
namespace {

absl::Status SqliteError(sqlite3* db, std::string_view what) {
  return absl::InternalError(StrCat(what, ": ", sqlite3_errmsg(db)));
}

// Several connections (one per subsystem) write to one file; SQLite lets one
// write at a time. Its own busy timeout sleeps 1, 2, 5, 10 ... ms between
// tries, which made a registration wait milliseconds for an audit row's
// fsync of 0.2 ms. These waits start at 20 us and grow to 1 ms; the whole
// wait is bounded at about 5 s, as before.
int WaitForTheWriter(void*, int tries) {
  constexpr int kMaxMicros = 1000;
  constexpr int kGiveUpAfter = 5000 + 7;  // ~5 s of 1 ms waits after the ramp
  if (tries >= kGiveUpAfter) return 0;
  int micros = std::min(kMaxMicros, 20 << std::min(tries, 6));
  std::this_thread::sleep_for(std::chrono::microseconds(micros));
  return 1;
}

constexpr size_t kMaxIdlePerText = 4;

std::shared_ptr<FileWriterLock> WriterLockOf(const std::string& path) {
  static std::mutex mu;
  static std::map<std::string, std::weak_ptr<FileWriterLock>> locks;
  std::error_code ec;
  std::string key = path == ":memory:" ? "" : std::filesystem::weakly_canonical(path, ec).string();
  if (key.empty()) return std::make_shared<FileWriterLock>();  // a file of its own
  std::lock_guard lock(mu);
  std::shared_ptr<FileWriterLock> m = locks[key].lock();
  if (!m) {
    m = std::make_shared<FileWriterLock>();
    locks[key] = m;
  }
  return m;
}

}  // namespace

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_), stmt_(other.stmt_), home_(other.home_), sql_(std::move(other.sql_)) {
  other.stmt_ = nullptr;
}

Statement::~Statement() {
  if (!stmt_) return;
  if (home_) {
    home_->Return(std::move(sql_), stmt_);
  } else {
    sqlite3_finalize(stmt_);
  }
}

Statement& Statement::Bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

Statement& Statement::Bind(int index, std::string_view value) {
  // An empty view may have no data at all, which SQLite would bind as NULL.
  sqlite3_bind_text(stmt_, index, value.data() ? value.data() : "", static_cast<int>(value.size()),
                    SQLITE_TRANSIENT);
  return *this;
}

absl::Status Statement::ForEachRow(const std::function<void(const Statement&)>& row) {
  while (true) {
    absl::StatusOr<bool> more = Step();
    if (!more.ok()) return more.status();
    if (!*more) return absl::OkStatus();
    row(*this);
  }
}

Statement& Statement::BindBlob(int index, std::string_view bytes) {
  sqlite3_bind_blob(stmt_, index, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
  return *this;
}

std::string Statement::ColumnBlob(int col) const {
  const void* data = sqlite3_column_blob(stmt_, col);
  int size = sqlite3_column_bytes(stmt_, col);
  return data ? std::string(static_cast<const char*>(data), size) : std::string();
}

Statement& Statement::BindNull(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

absl::StatusOr<bool> Statement::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteError(db_, "sqlite step");
}

absl::Status Statement::Run() {
  while (true) {
    absl::StatusOr<bool> row = Step();
    if (!row.ok()) return row.status();
    if (!*row) return absl::OkStatus();
  }
}

int64_t Statement::ColumnInt(int col) const { return sqlite3_column_int64(stmt_, col); }

std::string Statement::ColumnText(int col) const {
  const unsigned char* text = sqlite3_column_text(stmt_, col);
  int size = sqlite3_column_bytes(stmt_, col);
  return text ? std::string(reinterpret_cast<const char*>(text), size) : std::string();
}

bool Statement::ColumnIsNull(int col) const {
  return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}

absl::StatusOr<std::unique_ptr<Database>> Database::Open(const std::string& path) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                               SQLITE_OPEN_FULLMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = raw ? sqlite3_errmsg(raw) : "out of memory";
    if (raw) sqlite3_close(raw);
    return absl::UnavailableError(
        StrCat("cannot open state database ", path, ": ", msg));
  }
  std::unique_ptr<Database> db(new Database(raw));
  db->file_writer_ = WriterLockOf(path);
  sqlite3_busy_handler(raw, WaitForTheWriter, nullptr);
  for (std::string_view pragma :
       {"PRAGMA journal_mode=WAL;", "PRAGMA synchronous=FULL;",
        "PRAGMA foreign_keys=ON;"}) {
    if (absl::Status s = db->Exec(pragma); !s.ok()) return s;
  }
  return db;
}

Database::~Database() {
  for (auto& [sql, stmts] : idle_) {
    for (sqlite3_stmt* st : stmts) sqlite3_finalize(st);
  }
  sqlite3_close(db_);
}

void Database::Return(std::string sql, sqlite3_stmt* stmt) {
  sqlite3_reset(stmt);  // ends its read, if it was stepped part of the way
  sqlite3_clear_bindings(stmt);
  std::lock_guard lock(cache_mu_);
  std::vector<sqlite3_stmt*>& idle = idle_[std::move(sql)];
  if (idle.size() >= kMaxIdlePerText) {
    sqlite3_finalize(stmt);
  } else {
    idle.push_back(stmt);
  }
}

absl::Status Database::Exec(std::string_view sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    return absl::InternalError(StrCat("sqlite: ", msg));
  }
  return absl::OkStatus();
}

absl::StatusOr<Statement> Database::Prepare(std::string_view sql) {
  std::string key(sql);
  sqlite3_stmt* stmt = nullptr;
  {
    std::lock_guard lock(cache_mu_);
    auto it = idle_.find(key);
    if (it != idle_.end() && !it->second.empty()) {
      stmt = it->second.back();
      it->second.pop_back();
    }
  }
  if (!stmt) {
    int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) return SqliteError(db_, "sqlite prepare");
  }
  Statement out(db_, stmt);
  out.home_ = this;
  out.sql_ = std::move(key);
  return out;
}

absl::StatusOr<int> Database::SchemaVersion() {
  absl::StatusOr<Statement> st = Prepare("PRAGMA user_version;");
  if (!st.ok()) return st.status();
  absl::StatusOr<bool> row = st->Step();
  if (!row.ok()) return row.status();
  return static_cast<int>(st->ColumnInt(0));
}

absl::Status Database::Migrate(const std::vector<Migration>& migrations) {
  absl::StatusOr<int> current = SchemaVersion();
  if (!current.ok()) return current.status();
  int latest = migrations.empty() ? 0 : migrations.back().version;
  if (*current > latest) {
    return absl::FailedPreconditionError(StrCat(
        "the state database has schema version ", *current,
        " but this pharosd knows only up to ", latest,
        "; it was written by a newer Pharos — upgrade, or use another --state-dir"));
  }
  for (const Migration& m : migrations) {
    if (m.version <= *current) continue;
    Transaction tx(*this);
    if (!tx.status().ok()) return tx.status();
    if (absl::Status s = Exec(m.sql); !s.ok()) {
      return absl::InternalError(StrCat("migration ", m.version, " (",
                                              m.description, ") failed: ", s.message()));
    }
    if (absl::Status s = Exec(StrCat("PRAGMA user_version=", m.version, ";"));
        !s.ok())
      return s;
    if (absl::Status s = tx.Commit(); !s.ok()) return s;
  }
  return absl::OkStatus();
}

int64_t Database::LastInsertId() const { return sqlite3_last_insert_rowid(db_); }

Transaction::Transaction(Database& db) : db_(db) {
  FileWriterLock& w = *db_.file_writer_;
  if (w.holder.load() != std::this_thread::get_id() && w.mu.try_lock_for(std::chrono::seconds(5))) {
    w.holder = std::this_thread::get_id();
    holds_writer_ = true;
  }
  begin_status_ = db_.Exec("BEGIN IMMEDIATE;");
  done_ = !begin_status_.ok();
  if (done_) ReleaseWriter();
}

Transaction::~Transaction() {
  if (!done_) (void)db_.Exec("ROLLBACK;");
  ReleaseWriter();
}

void Transaction::ReleaseWriter() {
  if (!holds_writer_) return;
  holds_writer_ = false;
  db_.file_writer_->holder = std::thread::id();
  db_.file_writer_->mu.unlock();
}

absl::Status Transaction::Commit() {
  done_ = true;
  absl::Status s = db_.Exec("COMMIT;");
  if (!s.ok()) (void)db_.Exec("ROLLBACK;");  // a failed COMMIT may leave it open
  ReleaseWriter();
  return s;
}

}  // namespace pharos::store
