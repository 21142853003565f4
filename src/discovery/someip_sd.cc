#include "discovery/someip_sd.h"

#include <algorithm>

#include "common/strings.h"

namespace pharos::discovery {
namespace {

constexpr size_t kHeaderSize = 16;
constexpr size_t kEntrySize = 16;

class Reader {
 public:
  explicit Reader(std::span<const uint8_t> data) : data_(data) {}
  size_t offset() const { return offset_; }
  size_t left() const { return data_.size() - offset_; }
  uint8_t U8() { return data_[offset_++]; }
  uint16_t U16() {
    uint16_t v = static_cast<uint16_t>(data_[offset_] << 8 | data_[offset_ + 1]);
    offset_ += 2;
    return v;
  }
  uint32_t U24() {
    uint32_t v =
        uint32_t{data_[offset_]} << 16 | uint32_t{data_[offset_ + 1]} << 8 | data_[offset_ + 2];
    offset_ += 3;
    return v;
  }
  uint32_t U32() {
    uint32_t v = uint32_t{U16()} << 16;
    return v | U16();
  }
  void Skip(size_t n) { offset_ += n; }

 private:
  std::span<const uint8_t> data_;
  size_t offset_ = 0;
};

absl::Status Bad(size_t offset, std::string_view what) {
  return absl::InvalidArgumentError(StrCat("SOME/IP-SD at byte ", offset, ": ", what));
}

void PutU8(std::vector<uint8_t>& out, uint8_t v) { out.push_back(v); }
void PutU16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}
void PutU24(std::vector<uint8_t>& out, uint32_t v) {
  out.push_back(static_cast<uint8_t>(v >> 16));
  PutU16(out, static_cast<uint16_t>(v));
}
void PutU32(std::vector<uint8_t>& out, uint32_t v) {
  PutU16(out, static_cast<uint16_t>(v >> 16));
  PutU16(out, static_cast<uint16_t>(v));
}
void SetU32(std::vector<uint8_t>& out, size_t at, uint32_t v) {
  out[at] = static_cast<uint8_t>(v >> 24);
  out[at + 1] = static_cast<uint8_t>(v >> 16);
  out[at + 2] = static_cast<uint8_t>(v >> 8);
  out[at + 3] = static_cast<uint8_t>(v);
}

bool IsServiceEntry(uint8_t type) { return type <= 0x01; }
bool IsEventgroupEntry(uint8_t type) { return type == 0x06 || type == 0x07; }

}  // namespace

const char* SdEntryTypeName(SdEntryType type) {
  switch (type) {
    case SdEntryType::kFindService:
      return "FindService";
    case SdEntryType::kOfferService:
      return "OfferService";
    case SdEntryType::kSubscribeEventgroup:
      return "SubscribeEventgroup";
    case SdEntryType::kSubscribeEventgroupAck:
      return "SubscribeEventgroupAck";
  }
  return "unknown";
}

absl::StatusOr<SdMessage> ParseSomeIpSd(std::span<const uint8_t> packet) {
  Reader r(packet);
  if (r.left() < kHeaderSize + 12) return Bad(0, "shorter than a SOME/IP-SD message (28 bytes)");
  uint16_t service = r.U16(), method = r.U16();
  if (service != kSdServiceId || method != kSdMethodId) {
    return Bad(0,
               StrCat("message id is not 0xFFFF8100 (service ", service, ", method ", method, ")"));
  }
  uint32_t length = r.U32();
  if (length < 8 || length - 8 > packet.size() - kHeaderSize) {
    return Bad(4,
               StrCat("length ", length, " does not match the ", packet.size(), "-byte datagram"));
  }
  SdMessage m;
  m.client_id = r.U16();
  m.session_id = r.U16();
  uint8_t protocol_version = r.U8(), interface_version = r.U8(), type = r.U8();
  r.Skip(1);  // return code
  if (protocol_version != 0x01) return Bad(12, "protocol version is not 1");
  if (interface_version != 0x01) return Bad(13, "interface version is not 1");
  if (type != 0x02) return Bad(14, "message type is not NOTIFICATION (0x02)");
  // Only what the length field covers; trailing bytes are not ours.
  size_t end = kHeaderSize + (length - 8);
  Reader body(packet.subspan(0, end));
  body.Skip(kHeaderSize);
  if (body.left() < 12) return Bad(kHeaderSize, "no room for flags and the entries length");
  uint8_t flags = body.U8();
  m.reboot = flags & 0x80;
  m.unicast = flags & 0x40;
  body.Skip(3);
  uint32_t entries_length = body.U32();
  if (entries_length % kEntrySize != 0) {
    return Bad(20, StrCat("entries length ", entries_length, " is not a multiple of 16"));
  }
  if (entries_length > body.left() - 4) {
    return Bad(20, StrCat("entries length ", entries_length, " runs past the message"));
  }
  size_t entries_at = body.offset();
  body.Skip(entries_length);
  size_t options_length_at = body.offset();
  uint32_t options_length = body.U32();
  if (options_length > body.left()) {
    return Bad(options_length_at,
               StrCat("options length ", options_length, " runs past the message"));
  }
  // The options, indexed as the entries refer to them.
  struct Option {
    uint8_t type;
    std::optional<SdEndpoint> endpoint;
  };
  std::vector<Option> options;
  size_t options_end = body.offset() + options_length;
  while (body.offset() < options_end) {
    size_t at = body.offset();
    if (options_end - at < 3) return Bad(at, "truncated option header");
    uint16_t option_length = body.U16();
    uint8_t option_type = body.U8();
    if (option_length < 1 || option_length > options_end - body.offset()) {
      return Bad(at, StrCat("option length ", option_length, " runs past the options array"));
    }
    size_t data_at = body.offset();
    Option o{option_type, std::nullopt};
    if (option_type == static_cast<uint8_t>(SdOptionType::kIpv4Endpoint) ||
        option_type == static_cast<uint8_t>(SdOptionType::kIpv4Multicast) ||
        option_type == static_cast<uint8_t>(SdOptionType::kIpv4SdEndpoint)) {
      if (option_length != 9) {
        return Bad(at, StrCat("IPv4 option length is ", option_length, ", not 9"));
      }
      body.Skip(1);  // reserved
      SdEndpoint e;
      e.address = Ipv4Address(body.U32());
      body.Skip(1);  // reserved
      e.l4_protocol = body.U8();
      e.port = body.U16();
      e.multicast = option_type == static_cast<uint8_t>(SdOptionType::kIpv4Multicast);
      if (e.l4_protocol != kL4Tcp && e.l4_protocol != kL4Udp) {
        return Bad(at, StrCat("L4 protocol ", static_cast<int>(e.l4_protocol),
                              " is neither TCP (6) nor UDP (17)"));
      }
      if (option_type != static_cast<uint8_t>(SdOptionType::kIpv4SdEndpoint)) o.endpoint = e;
    }
    body.Skip(data_at + option_length - body.offset());
    options.push_back(o);
  }
  // The entries, each with its two option runs.
  Reader entries(packet.subspan(0, entries_at + entries_length));
  entries.Skip(entries_at);
  while (entries.left() > 0) {
    size_t at = entries.offset();
    uint8_t type = entries.U8();
    uint8_t index1 = entries.U8(), index2 = entries.U8(), counts = entries.U8();
    if (!IsServiceEntry(type) && !IsEventgroupEntry(type)) {
      entries.Skip(12);  // unknown: ignored, as the specification wants
      continue;
    }
    SdEntry e;
    e.type = static_cast<SdEntryType>(type);
    e.service_id = entries.U16();
    e.instance_id = entries.U16();
    e.major_version = entries.U8();
    e.ttl = entries.U24();
    if (IsServiceEntry(type)) {
      e.minor_version = entries.U32();
    } else {
      entries.Skip(1);  // reserved (12 bits) + initial-data flag + counter, as 2 bytes
      e.counter = entries.U8() & 0x0F;
      e.eventgroup_id = entries.U16();
    }
    for (auto [first, count] :
         {std::pair<int, int>{index1, counts >> 4}, std::pair<int, int>{index2, counts & 0x0F}}) {
      if (count == 0) continue;
      if (first + count > static_cast<int>(options.size())) {
        return Bad(at, StrCat("entry refers to options ", first, "..", first + count - 1,
                              " but the message has ", options.size()));
      }
      for (int i = first; i < first + count; ++i) {
        if (options[i].endpoint) e.endpoints.push_back(*options[i].endpoint);
      }
    }
    m.entries.push_back(std::move(e));
  }
  return m;
}

std::vector<uint8_t> BuildSomeIpSd(const SdMessage& m) {
  std::vector<uint8_t> out;
  PutU16(out, kSdServiceId);
  PutU16(out, kSdMethodId);
  PutU32(out, 0);  // length, set at the end
  PutU16(out, m.client_id);
  PutU16(out, m.session_id);
  PutU8(out, 0x01);  // protocol version
  PutU8(out, 0x01);  // interface version
  PutU8(out, 0x02);  // NOTIFICATION
  PutU8(out, 0x00);  // E_OK
  PutU8(out, static_cast<uint8_t>((m.reboot ? 0x80 : 0) | (m.unicast ? 0x40 : 0)));
  PutU24(out, 0);
  PutU32(out, static_cast<uint32_t>(m.entries.size() * kEntrySize));
  std::vector<uint8_t> options;
  int option_index = 0;
  for (const auto& e : m.entries) {
    // Two runs of at most 15 options each, back to back.
    int count = static_cast<int>(e.endpoints.size());
    int first = std::min(count, 15), second = std::min(count - first, 15);
    PutU8(out, static_cast<uint8_t>(e.type));
    PutU8(out, static_cast<uint8_t>(first ? option_index : 0));
    PutU8(out, static_cast<uint8_t>(second ? option_index + first : 0));
    PutU8(out, static_cast<uint8_t>(first << 4 | second));
    PutU16(out, e.service_id);
    PutU16(out, e.instance_id);
    PutU8(out, e.major_version);
    PutU24(out, e.ttl & 0xFFFFFF);
    if (IsServiceEntry(static_cast<uint8_t>(e.type))) {
      PutU32(out, e.minor_version);
    } else {
      PutU8(out, 0);
      PutU8(out, e.counter & 0x0F);
      PutU16(out, e.eventgroup_id);
    }
    for (const auto& ep : std::span(e.endpoints).first(first + second)) {
      PutU16(options, 9);
      PutU8(options, static_cast<uint8_t>(ep.multicast ? SdOptionType::kIpv4Multicast
                                                       : SdOptionType::kIpv4Endpoint));
      PutU8(options, 0);
      PutU32(options, ep.address.value());
      PutU8(options, 0);
      PutU8(options, ep.l4_protocol);
      PutU16(options, ep.port);
      ++option_index;
    }
  }
  PutU32(out, static_cast<uint32_t>(options.size()));
  out.insert(out.end(), options.begin(), options.end());
  SetU32(out, 4, static_cast<uint32_t>(out.size() - 8));
  return out;
}

}  // namespace pharos::discovery
