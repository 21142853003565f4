// A cloud.db in a fresh temporary directory, with its two connections.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

#include "cloud/feed_queue.h"
#include "store/sqlite_db.h"

namespace pharos::cloud::testing {

class CloudDb {
 public:
  CloudDb() {
    dir_ = std::filesystem::temp_directory_path() /
           ("pharos-cloud-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    Reopen();
  }
  ~CloudDb() {
    Close();
    std::filesystem::remove_all(dir_);
  }
  std::string path() const { return (dir_ / "cloud.db").string(); }

  // What a crash leaves: the connections closed, the file as it is.
  void Close() {
    queue_.reset();
    reader_.reset();
    db_.reset();
  }
  void Reopen(QueueLimits limits = {}, const Clock* clock = nullptr) {
    Close();
    db_ = std::move(store::Database::Open(path()).value());
    reader_ = std::move(store::Database::Open(path()).value());
    auto q = FeedQueue::Open(*db_, *reader_, clock ? *clock : system_, limits);
    ASSERT_TRUE(q.ok()) << q.status();
    queue_ = std::move(*q);
  }
  FeedQueue& queue() { return *queue_; }

 private:
  static inline int counter_ = 0;
  std::filesystem::path dir_;
  SystemClock system_;
  std::unique_ptr<store::Database> db_, reader_;
  std::unique_ptr<FeedQueue> queue_;
};

}  // namespace pharos::cloud::testing
