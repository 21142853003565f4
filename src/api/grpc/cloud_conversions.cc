#include "api/grpc/cloud_conversions.h"

#include <chrono>

#include "common/clock.h"

namespace pharos::api {

cloud::FeedConfig FeedConfigOf(const pharos::api::v1::ConfigureCloudFeedingRequest& r) {
  cloud::FeedConfig c;
  c.enabled = r.enabled();
  c.interval_seconds = r.interval_seconds();
  c.data_fields.assign(r.data_fields().begin(), r.data_fields().end());
  c.target_endpoint = r.target_endpoint();
  return c;
}

void ToProto(const cloud::FeedStatus& s, pharos::api::v1::GetCloudFeedingStatusResponse* out) {
  out->set_enabled(s.config.enabled);
  out->set_interval_seconds(s.config.interval_seconds);
  out->set_last_feeding_time(s.outcome.last_feeding_time);
  out->set_last_feeding_success(s.outcome.last_success);
  out->set_last_error_message(s.outcome.last_error);
}

void ToProto(const cloud::FeedStatus& s, pharos::ctl::v1::GetCloudStatusResponse* out) {
  out->set_enabled(s.config.enabled);
  out->set_interval_seconds(s.config.interval_seconds);
  for (const std::string& f : s.config.data_fields) out->add_data_fields(f);
  out->set_target_endpoint(s.config.target_endpoint);
  out->set_last_feeding_time(s.outcome.last_feeding_time);
  out->set_last_feeding_success(s.outcome.last_success);
  out->set_last_error_message(s.outcome.last_error);
  out->set_connected(s.connected);
  out->set_uplink(s.uplink);
  out->set_queue_depth(s.queue.depth);
  out->set_queue_bytes(s.queue.bytes);
  if (s.queue.oldest_ms > 0) {
    out->set_oldest_queued(FormatIso8601Utc(
        std::chrono::system_clock::time_point(std::chrono::milliseconds(s.queue.oldest_ms))));
  }
  for (int p = 0; p < cloud::kPriorityCount; ++p) {
    (*out->mutable_queue_by_priority())[std::string(cloud::PriorityName(cloud::Priority(p)))] =
        s.queue.depth_by_priority[p];
  }
  out->set_dropped_full(s.queue.dropped_full);
  out->set_dropped_expired(s.queue.dropped_expired);
  out->set_items_sent(s.items_sent);
  out->set_batches_sent(s.batches_sent);
  out->set_bytes_sent(s.bytes_sent);
  out->set_raw_bytes(s.raw_bytes);
  out->set_compression_ratio(s.compression_ratio());
}

}  // namespace pharos::api
