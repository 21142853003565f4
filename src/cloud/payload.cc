#include "cloud/payload.h"

#include <zstd.h>

#include <map>

#include "common/fmt_absl.h"
#include "fmt/format.h"
#include "nlohmann/json.hpp"

namespace pharos::cloud {
namespace {

using Json = nlohmann::json;

Json ToJson(const FieldValue& v) {
  struct Visit {
    Json operator()(std::monostate) const { return nullptr; }
    Json operator()(bool b) const { return b; }
    Json operator()(int64_t i) const { return i; }
    Json operator()(double d) const { return d; }
    Json operator()(const std::string& s) const { return s; }
  };
  return std::visit(Visit{}, v);
}

std::string Dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

}  // namespace

std::vector<NewItem> SampleItems(const std::vector<FieldSample>& samples, std::string_view at,
                                 int64_t max_body_bytes) {
  std::map<int, std::vector<const FieldSample*>, std::greater<>> by_priority;
  for (const FieldSample& s : samples) by_priority[static_cast<int>(s.priority)].push_back(&s);
  std::vector<NewItem> items;
  for (const auto& [priority, list] : by_priority) {
    Json values = Json::object();
    int64_t size = 0;
    auto flush = [&] {
      if (values.empty()) return;
      Json body = {{"kind", "sample"}, {"at", at}, {"values", std::move(values)}};
      items.push_back({Priority(priority), Dump(body)});
      values = Json::object();
      size = 0;
    };
    for (const FieldSample* s : list) {
      Json v = ToJson(s->value);
      int64_t entry = static_cast<int64_t>(s->path.size() + Dump(v).size() + 4);
      if (size > 0 && size + entry > max_body_bytes) flush();
      values[s->path] = std::move(v);
      size += entry;
    }
    flush();
  }
  return items;
}

NewItem EventItem(const EventRecord& e) {
  Json event = {
      {"type", e.type}, {"subject", e.subject}, {"detail", e.detail}, {"journal_id", e.journal_id}};
  if (!e.severity.empty()) event["severity"] = e.severity;
  if (!e.previous.empty() || !e.current.empty()) {
    event["previous"] = e.previous;
    event["current"] = e.current;
  }
  Json body = {{"kind", "event"}, {"at", e.at}, {"field", e.field}, {"event", std::move(event)}};
  return {e.priority, Dump(body)};
}

std::string RenderBatch(const BatchHeader& h, const Batch& batch) {
  // The envelope through the JSON library (names are escaped), the bodies
  // spliced in as they were queued (they are JSON already).
  Json envelope = {{"schema", kPayloadSchema}, {"vehicle", h.vehicle},
                   {"feed", h.feed},           {"stream", PriorityName(batch.priority)},
                   {"uplink", h.uplink},       {"sent_at", h.sent_at}};
  std::string out = Dump(envelope);
  out.pop_back();  // the closing brace
  out.reserve(out.size() + static_cast<size_t>(batch.raw_bytes) + batch.items.size() * 96);
  out += ",\"items\":[";
  bool first = true;
  for (const QueuedItem& item : batch.items) {
    if (!first) out += ',';
    first = false;
    out += fmt::format("{{\"id\":\"{}-{}\",\"seq\":{},\"queued_ms\":{},\"data\":", h.instance,
                       item.seq, item.seq, item.queued_ms);
    out += item.body;
    out += '}';
  }
  out += "]}";
  return out;
}

absl::StatusOr<std::string> Compress(std::string_view raw, int level) {
  std::string out(ZSTD_compressBound(raw.size()), '\0');
  size_t n = ZSTD_compress(out.data(), out.size(), raw.data(), raw.size(), level);
  if (ZSTD_isError(n)) {
    return absl::InternalError(fmt::format("zstd: {}", ZSTD_getErrorName(n)));
  }
  out.resize(n);
  return out;
}

absl::StatusOr<std::string> Decompress(std::string_view frame) {
  unsigned long long size = ZSTD_getFrameContentSize(frame.data(), frame.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN ||
      size > 64ULL * 1024 * 1024) {
    return absl::InvalidArgumentError("not a zstd frame with a known size under 64 MiB");
  }
  std::string out(size, '\0');
  size_t n = ZSTD_decompress(out.data(), out.size(), frame.data(), frame.size());
  if (ZSTD_isError(n)) {
    return absl::InvalidArgumentError(fmt::format("zstd: {}", ZSTD_getErrorName(n)));
  }
  out.resize(n);
  return out;
}

bool IsZstdFrame(std::string_view p) {
  return p.size() >= 4 && static_cast<unsigned char>(p[0]) == 0x28 &&
         static_cast<unsigned char>(p[1]) == 0xb5 && static_cast<unsigned char>(p[2]) == 0x2f &&
         static_cast<unsigned char>(p[3]) == 0xfd;
}

std::string ValueText(const FieldValue& v) { return Dump(ToJson(v)); }

}  // namespace pharos::cloud
