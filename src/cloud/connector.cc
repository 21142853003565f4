#include "cloud/connector.h"

#include <algorithm>

#include "cloud/payload.h"
#include "common/fmt_absl.h"
#include "fmt/format.h"
#include "fmt/ranges.h"
#include "spdlog/spdlog.h"

namespace pharos::cloud {
namespace {

using std::chrono::milliseconds;
using Steady = std::chrono::steady_clock;

constexpr char kCursorState[] = "journal_cursor";
constexpr char kItemsSent[] = "items_sent";
constexpr char kBatchesSent[] = "batches_sent";
constexpr char kBytesSent[] = "bytes_sent";
constexpr char kRawBytes[] = "raw_bytes";
constexpr milliseconds kExpireEvery{60000};
constexpr milliseconds kOutcomeEvery{5000};  // how often an unchanged outcome is stored
constexpr milliseconds kAckEvery{50};        // receipts are committed together
constexpr size_t kAckBatches = 256;

std::vector<Field> FieldsOf(const ValidFeed& feed, Field::Kind kind, bool event) {
  std::vector<Field> out;
  for (const Field& f : feed.fields) {
    if (f.kind == kind && f.event == event) out.push_back(f);
  }
  return out;
}

bool Carries(const ValidFeed& feed, const std::string& field) {
  for (const Field& f : feed.fields) {
    if (f.text == field) return true;
  }
  return false;
}

}  // namespace

CloudConnector::CloudConnector(FeedQueue& queue, FieldSource& pharos_fields,
                               FieldSource* vss_fields, EventSource* events, const Clock& clock,
                               ConnectorOptions options)
    : queue_(queue),
      pharos_fields_(pharos_fields),
      vss_fields_(vss_fields),
      events_(events),
      clock_(clock),
      options_(std::move(options)),
      store_(queue.db()),
      scheduler_(queue, kFeed, options_.batch),
      bucket_(clock, 0, 1) {}

CloudConnector::~CloudConnector() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
  if (follower_.joinable()) follower_.join();
}

absl::Status CloudConnector::Start() {
  auto instance = store_.InstanceId();
  if (!instance.ok()) return instance.status();
  instance_ = *instance;
  auto stored = store_.Load(kFeed);
  if (!stored.ok()) return stored.status();
  auto counter = [&](const char* name, std::atomic<int64_t>& into) -> absl::Status {
    auto v = ReadCounter(queue_.db(), name);
    if (!v.ok()) return v.status();
    into = *v;
    return absl::OkStatus();
  };
  for (auto [name, into] :
       {std::pair{kItemsSent, &items_sent_}, std::pair{kBatchesSent, &batches_sent_},
        std::pair{kBytesSent, &bytes_sent_}, std::pair{kRawBytes, &raw_bytes_}}) {
    if (absl::Status s = counter(name, *into); !s.ok()) return s;
  }
  if (*stored) {
    outcome_ = (*stored)->outcome;
    applied_.config = (*stored)->config;
    // Stored by a Configure that passed these checks; a rule that has
    // since tightened (a flag) leaves the feed off, with the reason.
    auto valid = ValidateFeed(applied_.config, options_.rules);
    if (valid.ok()) {
      applied_.feed = std::move(*valid);
      applied_.enabled = applied_.config.enabled;
    } else {
      outcome_.last_error =
          fmt::format("the stored feed is not valid any more: {}", valid.status().message());
      spdlog::warn("cloud: {}", outcome_.last_error);
    }
    applied_.generation = 1;
  }
  worker_ = std::thread([this] { Work(); });
  if (events_ != nullptr) follower_ = std::thread([this] { FollowEvents(); });
  return absl::OkStatus();
}

absl::Status CloudConnector::Configure(const FeedConfig& requested) {
  FeedConfig config = requested;
  Applied before = Current();
  if (!config.enabled && config.data_fields.empty() && config.target_endpoint.empty()) {
    // "Stop": the feed keeps its fields and endpoint for the next start.
    config = before.config;
    config.enabled = false;
    if (requested.interval_seconds != 0) config.interval_seconds = requested.interval_seconds;
  }
  auto valid = ValidateFeed(config, options_.rules);
  if (!valid.ok()) return valid.status();
  if (config.enabled || !config.target_endpoint.empty()) {
    // The scheme has a transport (UNIMPLEMENTED otherwise), before anything is stored.
    auto probe = options_.make_transport(valid->endpoint, options_.transport);
    if (!probe.ok()) return probe.status();
  }
  for (const Field& f : valid->fields) {
    if (f.kind == Field::Kind::kVss && vss_fields_ == nullptr) {
      return absl::FailedPreconditionError(
          fmt::format("data field {}: pharosd has no signal broker to read VSS signals from "
                      "(start it with --cloud-signal-broker)",
                      f.text));
    }
  }
  absl::Status saved = queue_.Write(
      [&] { return store_.SaveConfig(kFeed, config, FormatIso8601Utc(clock_.Now())); });
  if (!saved.ok()) return saved;
  {
    std::lock_guard lock(mu_);
    applied_.config = config;
    applied_.feed = std::move(*valid);
    applied_.enabled = config.enabled;
    ++applied_.generation;
    ++wakes_;
  }
  cv_.notify_all();
  spdlog::info("cloud: feeding {} ({} s, {} fields, {})", config.enabled ? "on" : "off",
               config.interval_seconds, config.data_fields.size(), config.target_endpoint);
  return absl::OkStatus();
}

void CloudConnector::SetMode(const SendMode& mode) {
  {
    std::lock_guard lock(mu_);
    mode_ = mode;
    ++wakes_;
  }
  cv_.notify_all();
}

CloudConnector::Applied CloudConnector::Current() {
  std::lock_guard lock(mu_);
  return applied_;
}

absl::StatusOr<FeedStatus> CloudConnector::Status() {
  FeedStatus s;
  {
    std::lock_guard lock(mu_);
    s.config = applied_.config;
    s.config.enabled = applied_.enabled;
    s.outcome = outcome_;
    s.uplink = mode_.uplink;
  }
  auto queue = queue_.Stats(kFeed);
  if (!queue.ok()) return queue.status();
  s.queue = *queue;
  s.connected = connected_;
  s.items_sent = items_sent_;
  s.batches_sent = batches_sent_;
  s.bytes_sent = bytes_sent_;
  s.raw_bytes = raw_bytes_;
  return s;
}

void CloudConnector::Outcome(bool success, const std::string& error) {
  static thread_local Steady::time_point last_saved;
  FeedOutcome o;
  bool changed;
  {
    std::lock_guard lock(mu_);
    changed = outcome_.last_success != success || (!success && outcome_.last_error != error);
    outcome_.last_feeding_time = FormatIso8601Utc(clock_.Now());
    outcome_.last_success = success;
    if (!success) outcome_.last_error = error;
    o = outcome_;
  }
  auto now = Steady::now();
  if (changed || now - last_saved >= kOutcomeEvery) {
    last_saved = now;
    absl::Status s = queue_.Write([&] { return store_.SaveOutcome(kFeed, o); });
    if (!s.ok()) spdlog::warn("cloud: cannot store the feed's outcome: {}", s.message());
  }
}

void CloudConnector::Sample(const Applied& a) {
  std::vector<FieldSample> samples;
  std::vector<std::string> errors;
  std::vector<Field> pharos = FieldsOf(a.feed, Field::Kind::kPharos, false);
  if (!pharos.empty()) {
    auto read = pharos_fields_.Read(pharos, errors);
    if (read.ok()) {
      samples = std::move(*read);
    } else {
      errors.push_back(std::string(read.status().message()));
    }
  }
  if (Carries(a.feed, "pharos.cloud.uplink")) {
    std::lock_guard lock(mu_);
    samples.push_back({"pharos.cloud.uplink", mode_.uplink, Priority::kStatus});
  }
  std::vector<Field> vss = FieldsOf(a.feed, Field::Kind::kVss, false);
  if (!vss.empty() && vss_fields_ != nullptr) {
    auto read = vss_fields_->Read(vss, errors);
    if (read.ok()) {
      samples.insert(samples.end(), read->begin(), read->end());
    } else {
      errors.push_back(fmt::format("signals: {}", read.status().message()));
    }
  }
  if (!errors.empty()) {
    std::string why = fmt::format("sampling: {}", fmt::join(errors, "; "));
    spdlog::warn("cloud: {}", why);
    std::lock_guard lock(mu_);
    outcome_.last_error = why;
  }
  if (samples.empty()) return;
  std::vector<NewItem> items =
      SampleItems(samples, FormatIso8601Utc(clock_.Now()), options_.batch.max_bytes / 2);
  auto dropped = queue_.Enqueue(kFeed, items);
  if (!dropped.ok()) {
    spdlog::error("cloud: cannot queue a sample: {}", dropped.status().message());
  } else if (*dropped > 0) {
    spdlog::warn("cloud: the queue is full; {} of its oldest lowest-priority items dropped",
                 *dropped);
  }
}

void CloudConnector::FollowEvents() {
  // The journal id the feed has queued up to; kept in cloud.db so events
  // recorded while pharosd was down are sent after it starts. A feed that
  // is off forgets it: what happens meanwhile is not sent later.
  std::optional<int64_t> cursor;
  bool first = true;
  while (true) {
    Applied a;
    {
      std::unique_lock lock(mu_);
      if (stopping_) return;
      a = applied_;
    }
    bool wanted = a.enabled && !FieldsOf(a.feed, Field::Kind::kPharos, true).empty();
    if (!wanted) {
      if (cursor || first) {
        (void)queue_.Write([&] { return store_.SetState(kCursorState, ""); });
        cursor.reset();
        first = false;
      }
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, milliseconds(500),
                   [&] { return stopping_ || applied_.generation != a.generation; });
      continue;
    }
    first = false;
    if (!cursor) {
      auto stored = store_.State(kCursorState);
      auto newest = events_->Newest();
      if (!stored.ok() || !newest.ok()) {
        spdlog::warn("cloud: cannot read where the events left off");
        std::this_thread::sleep_for(milliseconds(500));
        continue;
      }
      if (*stored && !(*stored)->empty()) {
        cursor = std::stoll(**stored);
      } else {
        cursor = *newest;
        (void)queue_.Write([&] { return store_.SetState(kCursorState, std::to_string(*cursor)); });
      }
    }
    auto records = events_->Next(*cursor, milliseconds(500));
    if (!records.ok()) {
      spdlog::warn("cloud: reading events: {}", records.status().message());
      std::this_thread::sleep_for(milliseconds(500));
      continue;
    }
    if (records->empty()) continue;
    std::vector<NewItem> items;
    for (const EventRecord& r : *records) {
      if (Carries(a.feed, r.field)) items.push_back(EventItem(r));
    }
    int64_t last = records->back().journal_id;
    auto queued = queue_.Enqueue(
        kFeed, items, [&] { return store_.SetState(kCursorState, std::to_string(last)); });
    if (!queued.ok()) {
      spdlog::error("cloud: cannot queue events: {}", queued.status().message());
      std::this_thread::sleep_for(milliseconds(500));
      continue;
    }
    cursor = last;
    {
      std::lock_guard lock(mu_);
      ++wakes_;
    }
    cv_.notify_all();
  }
}

absl::Status CloudConnector::CountSent(const std::vector<Sent>& sent) {
  int64_t items = 0, wire = 0, json = 0;
  for (const Sent& s : sent) {
    items += static_cast<int64_t>(s.batch.items.size());
    wire += s.wire_bytes;
    json += s.json_bytes;
  }
  for (auto [name, n] :
       {std::pair{kItemsSent, items}, std::pair{kBatchesSent, static_cast<int64_t>(sent.size())},
        std::pair{kBytesSent, wire}, std::pair{kRawBytes, json}}) {
    if (absl::Status s = AddCounter(queue_.db(), name, n); !s.ok()) return s;
  }
  return absl::OkStatus();
}

void CloudConnector::Receipts(const Progress& progress) {
  for (uint64_t token : progress.delivered) {
    auto it = in_flight_.find(token);
    if (it == in_flight_.end()) continue;
    if (unacked_.empty()) unacked_since_ = Steady::now();
    unacked_.push_back(std::move(it->second));
    in_flight_.erase(it);
  }
  if (!progress.delivered.empty()) Outcome(true, "");
  for (const auto& [token, why] : progress.failed) {
    auto it = in_flight_.find(token);
    if (it == in_flight_.end()) continue;
    scheduler_.Failed(it->second.batch);
    in_flight_.erase(it);
    Outcome(false, std::string(why.message()));
  }
}

void CloudConnector::FlushReceipts(bool now) {
  // Receipts leave the queue together, at most every kAckEvery: a commit
  // (an fsync) per message would cap the rate at the disk's. A crash
  // before the commit sends them again (at least once).
  if (unacked_.empty()) return;
  if (!now && unacked_.size() < kAckBatches && Steady::now() - unacked_since_ < kAckEvery) return;
  absl::Status s = scheduler_.Delivered(unacked_, [&] { return CountSent(unacked_); });
  if (!s.ok()) {
    spdlog::error("cloud: cannot remove delivered batches from the queue: {}", s.message());
    for (const Sent& sent : unacked_) scheduler_.Failed(sent.batch);
  } else {
    for (const Sent& sent : unacked_) {
      items_sent_ += static_cast<int64_t>(sent.batch.items.size());
      batches_sent_ += 1;
      bytes_sent_ += sent.wire_bytes;
      raw_bytes_ += sent.json_bytes;
    }
  }
  unacked_.clear();
}

bool CloudConnector::SendSome(Transport& transport, const SendMode& mode,
                              std::chrono::nanoseconds& wait) {
  bool sent_any = false;
  bucket_.SetRate(mode.rate_bytes_per_second,
                  std::max<int64_t>(mode.rate_bytes_per_second, options_.batch.max_bytes));
  while (static_cast<int>(in_flight_.size()) < transport.window()) {
    if (!held_) {
      auto next = scheduler_.Next(mode);
      if (!next.ok()) {
        spdlog::error("cloud: cannot read the queue: {}", next.status().message());
        break;
      }
      if (!*next) break;
      Sent s;
      s.batch = std::move(**next);
      BatchHeader header{header_vehicle_, kFeed, mode.uplink, instance_,
                         FormatIso8601Utc(clock_.Now())};
      s.message.stream = std::string(PriorityName(s.batch.priority));
      s.message.key = fmt::format("{}-{}..{}-{}", instance_, s.batch.first_seq(), instance_,
                                  s.batch.last_seq());
      s.message.payload = RenderBatch(header, s.batch);
      s.json_bytes = static_cast<int64_t>(s.message.payload.size());
      if (options_.zstd_level > 0) {
        auto packed = Compress(s.message.payload, options_.zstd_level);
        if (packed.ok()) {
          s.message.payload = std::move(*packed);
          s.message.compressed = true;
        }
      }
      s.wire_bytes = static_cast<int64_t>(s.message.payload.size());
      held_ = std::move(s);
    }
    std::chrono::nanoseconds until = bucket_.Take(held_->wire_bytes);
    if (until.count() > 0) {
      wait = std::min(wait, until);
      break;
    }
    uint64_t token = next_token_++;
    if (absl::Status s = transport.Send(held_->message, token); !s.ok()) {
      scheduler_.Failed(held_->batch);
      held_.reset();
      Outcome(false, std::string(s.message()));
      break;
    }
    in_flight_.emplace(token, std::move(*held_));
    held_.reset();
    sent_any = true;
  }
  return sent_any;
}

void CloudConnector::Work() {
  std::unique_ptr<Transport> transport;
  TransportOptions transport_options;  // the current transport's
  uint64_t generation = 0;
  Steady::time_point next_sample = clock_.Monotonic();
  Steady::time_point next_attempt{};
  Steady::time_point next_expire = clock_.Monotonic() + kExpireEvery;
  milliseconds backoff{200};
  std::string connect_error;
  while (true) {
    Applied a;
    SendMode mode;
    uint64_t wakes;
    {
      std::lock_guard lock(mu_);
      if (stopping_) break;
      a = applied_;
      mode = mode_;
      wakes = wakes_;
    }
    if (a.generation != generation) {
      // A new configuration: a new connection, and whatever was in flight
      // is sent again on it.
      generation = a.generation;
      FlushReceipts(true);
      transport.reset();
      in_flight_.clear();
      held_.reset();
      scheduler_.Restart();
      connected_ = false;
      next_sample = clock_.Monotonic();
      next_attempt = {};
      if (a.enabled) {
        header_vehicle_ = options_.vehicle_name ? options_.vehicle_name() : "";
        TransportOptions& t = transport_options;
        t = options_.transport;
        if (t.client_id.empty()) t.client_id = fmt::format("pharos-{}", header_vehicle_);
        if (t.base_topic.empty()) {
          t.base_topic =
              fmt::format("pharos/{}", header_vehicle_.empty() ? "vehicle" : header_vehicle_);
        }
        auto made = options_.make_transport(a.feed.endpoint, t);
        if (made.ok()) {
          transport = std::move(*made);
        } else {
          Outcome(false, std::string(made.status().message()));
        }
      }
    }
    std::chrono::nanoseconds wait = milliseconds(1000);
    bool busy = false;
    Steady::time_point now = clock_.Monotonic();
    if (a.enabled && now >= next_sample) {
      Sample(a);
      next_sample = now + std::chrono::seconds(a.config.interval_seconds);
    }
    if (now >= next_expire) {
      next_expire = now + kExpireEvery;
      auto expired = queue_.Expire();
      if (expired.ok() && *expired > 0) {
        spdlog::warn("cloud: {} queued items were older than the queue's age limit, dropped",
                     *expired);
      }
    }
    if (transport && !transport->connected() && Steady::now() >= next_attempt &&
        options_.transport_netns) {
      // Where the endpoint is reached from, asked before every attempt:
      // the twin's cloud host comes and goes with the configuration.
      absl::StatusOr<std::string> where = options_.transport_netns(a.feed.endpoint);
      if (!where.ok()) {
        Outcome(false, std::string(where.status().message()));
        if (connect_error != where.status().message()) {
          spdlog::warn("cloud: not connecting: {}", where.status().message());
          connect_error = std::string(where.status().message());
        }
        next_attempt = Steady::now() + backoff;
        backoff = std::min(backoff * 2, options_.max_backoff);
      } else if (*where != transport_options.netns) {
        transport_options.netns = *where;
        auto made = options_.make_transport(a.feed.endpoint, transport_options);
        spdlog::info("cloud: {} reached from {}", a.feed.endpoint.url,
                     where->empty() ? std::string("pharosd's namespace") : "namespace " + *where);
        if (made.ok()) transport = std::move(*made);
      }
    }
    if (transport) {
      if (!transport->connected() && Steady::now() >= next_attempt) {
        absl::StatusOr<bool> up = transport->Connect();
        if (!up.ok()) {
          if (connect_error != up.status().message()) {
            spdlog::warn("cloud: cannot connect: {} (retrying)", up.status().message());
          }
          connect_error = std::string(up.status().message());
          Outcome(false, connect_error);
          next_attempt = Steady::now() + backoff;
          backoff = std::min(backoff * 2, options_.max_backoff);
        } else if (!*up) {
          wait = std::min<std::chrono::nanoseconds>(wait, milliseconds(20));  // under way
        }
      }
      if (transport->connected() && !connected_) {
        spdlog::info(
            "cloud: connected to {}{}", transport->Describe(),
            transport_options.netns.empty() ? "" : " from namespace " + transport_options.netns);
        backoff = milliseconds(200);
      }
      connected_ = transport->connected();
      if (transport->connected()) busy = SendSome(*transport, mode, wait);
      Progress progress = transport->Poll(in_flight_.empty() ? milliseconds(0) : milliseconds(20));
      if (progress.connection_lost) {
        spdlog::warn("cloud: lost the connection to {}", transport->Describe());
        next_attempt = Steady::now() + backoff;
      }
      busy |= !progress.delivered.empty() || !progress.failed.empty();
      Receipts(progress);
      FlushReceipts(false);
      if (!transport->connected()) {
        auto retry = next_attempt - Steady::now();
        wait = std::min<std::chrono::nanoseconds>(
            wait, std::max<std::chrono::nanoseconds>(retry, milliseconds(20)));
      } else if (!in_flight_.empty()) {
        busy = true;  // Poll waited already
      }
    }
    if (busy) continue;
    FlushReceipts(true);  // idle: nothing to amortise over
    if (a.enabled) {
      auto to_sample = next_sample - clock_.Monotonic();
      wait = std::min<std::chrono::nanoseconds>(wait,
                                                std::max<std::chrono::nanoseconds>(to_sample, {}));
    }
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, wait, [&] { return stopping_ || wakes_ != wakes; });
  }
  FlushReceipts(true);
  transport.reset();
}

}  // namespace pharos::cloud
