// The wire format of a feed (schema "pharos.cloud.v1", docs/cloud.md):
// each queued item's body is JSON rendered when it is queued; a batch
// wraps the items of one stream with their ids when it is sent, and is
// zstd-compressed when the feed says so. The only file of src/cloud that
// knows JSON or zstd.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "cloud/feed_queue.h"
#include "cloud/field_source.h"
#include "cloud/scheduler.h"

namespace pharos::cloud {

inline constexpr char kPayloadSchema[] = "pharos.cloud.v1";

// Samples taken at `at` as items: one per priority class, each split so
// no body exceeds `max_body_bytes` (a single value larger than that still
// goes, alone).
std::vector<NewItem> SampleItems(const std::vector<FieldSample>& samples, std::string_view at,
                                 int64_t max_body_bytes);

// Something that happened (a watch-journal entry), as one item.
struct EventRecord {
  std::string field;  // pharos.security.events | pharos.network.events
  Priority priority = Priority::kStatus;
  std::string at;
  std::string type;  // the journal's kind: security_event, network_event, ...
  std::string subject, severity, previous, current, detail;
  int64_t journal_id = 0;
};
NewItem EventItem(const EventRecord& event);

struct BatchHeader {
  std::string vehicle;
  std::string feed;
  std::string uplink;
  std::string instance;  // cloud.db's id: item ids are "<instance>-<seq>"
  std::string sent_at;
};
// The batch as JSON text: the envelope and each item with its id.
std::string RenderBatch(const BatchHeader& header, const Batch& batch);

// zstd frame of `raw` at `level`.
absl::StatusOr<std::string> Compress(std::string_view raw, int level);
absl::StatusOr<std::string> Decompress(std::string_view frame);
// Whether `payload` starts with zstd's frame magic (28 b5 2f fd).
bool IsZstdFrame(std::string_view payload);

// The text of a sample value (logs, pharosctl).
std::string ValueText(const FieldValue& v);

}  // namespace pharos::cloud
