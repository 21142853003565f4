#include "app/watch.h"

#include <charconv>

#include "common/strings.h"

namespace pharos::app {

namespace {
constexpr std::string_view kTokenPrefix = "w1:";
constexpr int kBatch = 500;
}  // namespace

std::string ResumeToken(int64_t journal_id) { return StrCat(kTokenPrefix, journal_id); }

absl::StatusOr<std::optional<int64_t>> ParseResumeToken(std::string_view token) {
  if (token.empty()) return std::optional<int64_t>();
  int64_t id = -1;
  std::string_view digits = token.substr(std::min(token.size(), kTokenPrefix.size()));
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
  if (token.substr(0, kTokenPrefix.size()) != kTokenPrefix || ec != std::errc() ||
      end != digits.data() + digits.size() || id < 0) {
    return absl::InvalidArgumentError(StrCat(
        "resume_token '", token, "' is not a token this pharosd gave (they look like w1:42)"));
  }
  return std::optional<int64_t>(id);
}

const std::set<std::string>& WatchKinds() {
  static const auto* kinds =
      new std::set<std::string>{store::kJournalNetworkEvent, store::kJournalSecurityEvent,
                                store::kJournalServiceHealth, store::kJournalPodCompletion};
  return *kinds;
}

void WatchFeed::Wake() {
  {
    std::lock_guard lock(mu_);
    ++wakes_;
  }
  cv_.notify_all();
}

void WatchFeed::Close() {
  {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

absl::StatusOr<int64_t> WatchFeed::Newest() {
  std::lock_guard lock(mu_);
  return journal_.NewestId();
}

absl::StatusOr<WatchFeed::Batch> WatchFeed::Next(int64_t after, std::chrono::milliseconds wait) {
  std::unique_lock lock(mu_);
  Batch batch;
  auto deadline = std::chrono::steady_clock::now() + wait;
  while (true) {
    if (closed_) {
      batch.closed = true;
      return batch;
    }
    uint64_t seen = wakes_;
    absl::StatusOr<std::vector<store::JournalEntry>> rows = journal_.List(after, kBatch);
    if (!rows.ok()) return rows.status();
    if (!rows->empty()) {
      // Retention may have dropped what came right after `after`.
      batch.missed = rows->front().id - after - 1;
      batch.entries = std::move(*rows);
      return batch;
    }
    if (!cv_.wait_until(lock, deadline, [&] { return closed_ || wakes_ != seen; })) return batch;
  }
}

absl::StatusOr<WatchFeed::Batch> WatchCursor::Next(std::chrono::milliseconds wait) {
  absl::StatusOr<WatchFeed::Batch> batch = feed_->Next(after_, wait);
  if (!batch.ok() || batch->entries.empty()) return batch;
  after_ = batch->entries.back().id;
  if (kinds_.empty()) return batch;
  std::vector<store::JournalEntry> wanted;
  for (auto& e : batch->entries) {
    if (kinds_.count(e.kind)) wanted.push_back(std::move(e));
  }
  batch->entries = std::move(wanted);
  return batch;
}

}  // namespace pharos::app
