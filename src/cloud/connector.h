// The cloud connector (spec §8, §14.4): every interval it samples the
// feed's fields, queues them (store-and-forward) and sends the queue to
// the cloud, highest priority first, at the uplink's rate, batched and
// compressed; events are queued as they happen. pharosd's
// ConfigureCloudFeeding / GetCloudFeedingStatus are its two use cases.
//
// Threads: a worker (sampling, sending, receipts) and an event follower,
// both started by Start and joined by the destructor.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "cloud/endpoint.h"
#include "cloud/event_source.h"
#include "cloud/feed_queue.h"
#include "cloud/feed_store.h"
#include "cloud/field_source.h"
#include "cloud/scheduler.h"
#include "cloud/token_bucket.h"
#include "cloud/transport.h"
#include "common/clock.h"

namespace pharos::cloud {

struct ConnectorOptions {
  EndpointRules rules;
  TransportOptions transport;
  BatchLimits batch;
  int zstd_level = 3;                           // 0: send raw JSON
  std::chrono::milliseconds max_backoff{5000};  // between connection attempts
  // The vehicle's name (payload envelope, default topic pharos/<vehicle>).
  std::function<std::string()> vehicle_name;
  // The namespace a connection to `endpoint` is made from ("" or unset:
  // pharosd's own), asked before each attempt; an error refuses the
  // attempt (and says why in the feed's status).
  std::function<absl::StatusOr<std::string>(const Endpoint&)> transport_netns;
  // Makes the transport of an endpoint: MakeTransport (transports.h);
  // unit tests inject a fake.
  std::function<absl::StatusOr<std::unique_ptr<Transport>>(const Endpoint&,
                                                           const TransportOptions&)>
      make_transport;
};

// What GetCloudFeedingStatus and `pharosctl cloud status` show.
struct FeedStatus {
  FeedConfig config;
  FeedOutcome outcome;
  QueueStats queue;
  bool connected = false;
  std::string uplink;
  int64_t items_sent = 0, batches_sent = 0;
  int64_t bytes_sent = 0;  // on the wire (compressed)
  int64_t raw_bytes = 0;   // the same batches as JSON
  double compression_ratio() const {
    return bytes_sent == 0 ? 0.0 : static_cast<double>(raw_bytes) / static_cast<double>(bytes_sent);
  }
};

class CloudConnector {
 public:
  // The feed every call here is about (several feeds: docs/cloud.md).
  static constexpr char kFeed[] = "default";

  CloudConnector(FeedQueue& queue, FieldSource& pharos_fields, FieldSource* vss_fields,
                 EventSource* events, const Clock& clock, ConnectorOptions options);
  ~CloudConnector();
  CloudConnector(const CloudConnector&) = delete;

  // Loads the stored configuration and starts the threads (feeding if the
  // stored feed is enabled).
  absl::Status Start();
  // Validated (INVALID_ARGUMENT naming the problem, UNIMPLEMENTED for a
  // transport not built), stored, then applied; nothing changes on error.
  absl::Status Configure(const FeedConfig& config);
  absl::StatusOr<FeedStatus> Status();
  // The uplink in use and what it carries (the uplink manager sets it).
  void SetMode(const SendMode& mode);

 private:
  struct Applied {
    bool enabled = false;
    FeedConfig config;
    ValidFeed feed;
    uint64_t generation = 0;  // bumped by every Configure: the worker reconnects
  };
  void Work();
  void FollowEvents();
  void Sample(const Applied& applied);
  // Fills the transport's window; `wait` shortened to when the rate
  // allows the next batch. True when something was sent.
  bool SendSome(Transport& transport, const SendMode& mode, std::chrono::nanoseconds& wait);
  void Receipts(const Progress& progress);
  // Commits the receipts held (`now`, or once enough have gathered).
  void FlushReceipts(bool now);
  void Outcome(bool success, const std::string& error);
  struct Sent;
  absl::Status CountSent(const std::vector<Sent>& sent);
  Applied Current();

  FeedQueue& queue_;
  FieldSource& pharos_fields_;
  FieldSource* const vss_fields_;
  EventSource* const events_;
  const Clock& clock_;
  const ConnectorOptions options_;
  FeedStore store_;
  Scheduler scheduler_;
  TokenBucket bucket_;
  std::string instance_;

  std::mutex mu_;  // applied_, mode_, outcome_, the wakes; cv_ waits on it
  std::condition_variable cv_;
  Applied applied_;
  SendMode mode_;
  FeedOutcome outcome_;
  bool stopping_ = false;
  uint64_t wakes_ = 0;

  // The worker's own (no lock): batches in flight by transport token, and
  // the next one when it waits for the rate.
  struct Sent {
    Batch batch;
    OutgoingMessage message;
    int64_t json_bytes = 0;  // the batch as JSON
    int64_t wire_bytes = 0;  // as sent (compressed)
  };
  std::map<uint64_t, Sent> in_flight_;
  std::optional<Sent> held_;
  std::vector<Sent> unacked_;  // delivered, not yet out of the queue
  std::chrono::steady_clock::time_point unacked_since_;
  uint64_t next_token_ = 1;
  std::string header_vehicle_;
  std::atomic<bool> connected_ = false;
  std::atomic<int64_t> items_sent_ = 0, batches_sent_ = 0, bytes_sent_ = 0, raw_bytes_ = 0;

  std::thread worker_, follower_;
};

}  // namespace pharos::cloud
