// Watching what happens: the watch journal read from a given point and
// followed as it grows. A resume token ("w1:<id>") names the last entry a
// watcher was given; a watcher that comes back with it gets everything
// after, or is told how much the journal's retention dropped meanwhile.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "store/journal_store.h"

namespace pharos::app {

std::string ResumeToken(int64_t journal_id);
// "" -> nullopt (from now on); InvalidArgument for a token not made by ResumeToken.
absl::StatusOr<std::optional<int64_t>> ParseResumeToken(std::string_view token);
// The kinds a watcher may ask for (store::kJournal*).
const std::set<std::string>& WatchKinds();

// The journal as the watchers see it: one reading connection, woken by
// whoever commits new entries (the notifier), closed when pharosd stops.
class WatchFeed {
 public:
  // `db`: a connection of its own (the watchers read while others write).
  WatchFeed(store::Database& db, const Clock& clock) : journal_(db, clock, 0) {}
  void Wake();
  void Close();

  struct Batch {
    std::vector<store::JournalEntry> entries;
    int64_t missed = 0;   // entries dropped by retention before the first of `entries`
    bool closed = false;  // pharosd is stopping
  };
  // Entries after `after` (at most 500), waiting up to `wait` for one.
  absl::StatusOr<Batch> Next(int64_t after, std::chrono::milliseconds wait);
  absl::StatusOr<int64_t> Newest();

 private:
  std::mutex mu_;  // the connection and the flags
  std::condition_variable cv_;
  uint64_t wakes_ = 0;
  bool closed_ = false;
  store::JournalStore journal_;
};

// One watcher's position in the feed, of the kinds it asked for.
class WatchCursor {
 public:
  WatchCursor(WatchFeed& feed, int64_t after, std::set<std::string> kinds)
      : feed_(&feed), after_(after), kinds_(std::move(kinds)) {}
  // The token of the last entry given (or of where the watch started).
  std::string token() const { return ResumeToken(after_); }
  absl::StatusOr<WatchFeed::Batch> Next(std::chrono::milliseconds wait);

 private:
  WatchFeed* feed_;
  int64_t after_;
  std::set<std::string> kinds_;  // empty: all
};

}  // namespace pharos::app
