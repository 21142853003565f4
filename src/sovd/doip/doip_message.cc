#include "sovd/doip/doip_message.h"

#include "fmt/format.h"

namespace pharos::sovd::doip {
namespace {

void Put16(Bytes& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}
void Put32(Bytes& out, uint32_t v) {
  Put16(out, static_cast<uint16_t>(v >> 16));
  Put16(out, static_cast<uint16_t>(v));
}
uint16_t Get16(std::span<const uint8_t> b, size_t at) {
  return static_cast<uint16_t>(b[at] << 8 | b[at + 1]);
}
uint32_t Get32(std::span<const uint8_t> b, size_t at) {
  return static_cast<uint32_t>(Get16(b, at)) << 16 | Get16(b, at + 2);
}

// Which payload lengths a type allows (ISO 13400-2 tables 17 ff.): an exact
// length, one of two (an optional trailing field), or a minimum.
struct LengthRule {
  uint32_t min;
  uint32_t alt;  // a second exact length; 0: none
  bool open;     // any length >= min
};

std::optional<LengthRule> RuleFor(PayloadType type) {
  switch (type) {
    case PayloadType::kGenericNack:
      return LengthRule{1, 0, false};
    case PayloadType::kVehicleIdRequest:
      return LengthRule{0, 0, false};
    case PayloadType::kVehicleIdRequestEid:
      return LengthRule{6, 0, false};
    case PayloadType::kVehicleIdRequestVin:
      return LengthRule{17, 0, false};
    case PayloadType::kVehicleAnnouncement:
      return LengthRule{32, 33, false};
    case PayloadType::kRoutingActivationRequest:
      return LengthRule{7, 11, false};
    case PayloadType::kRoutingActivationResponse:
      return LengthRule{9, 13, false};
    case PayloadType::kAliveCheckRequest:
      return LengthRule{0, 0, false};
    case PayloadType::kAliveCheckResponse:
      return LengthRule{2, 0, false};
    case PayloadType::kEntityStatusRequest:
      return LengthRule{0, 0, false};
    case PayloadType::kEntityStatusResponse:
      return LengthRule{3, 7, false};
    case PayloadType::kPowerModeRequest:
      return LengthRule{0, 0, false};
    case PayloadType::kPowerModeResponse:
      return LengthRule{1, 0, false};
    case PayloadType::kDiagnosticMessage:
      return LengthRule{5, 0, true};
    case PayloadType::kDiagnosticAck:
    case PayloadType::kDiagnosticNack:
      return LengthRule{5, 0, true};
  }
  return std::nullopt;
}

bool LengthAllowed(const LengthRule& rule, uint32_t length) {
  if (rule.open) return length >= rule.min;
  return length == rule.min || (rule.alt != 0 && length == rule.alt);
}

template <size_t N>
std::array<uint8_t, N> Take(std::span<const uint8_t> b, size_t at) {
  std::array<uint8_t, N> out{};
  for (size_t i = 0; i < N; ++i) out[i] = b[at + i];
  return out;
}

struct PayloadWriter {
  Bytes& out;
  void operator()(const GenericNack& m) { out.push_back(static_cast<uint8_t>(m.code)); }
  void operator()(const VehicleIdRequest&) {}
  void operator()(const VehicleIdRequestEid& m) {
    out.insert(out.end(), m.eid.begin(), m.eid.end());
  }
  void operator()(const VehicleIdRequestVin& m) { PutVin(m.vin); }
  void operator()(const VehicleAnnouncement& m) {
    PutVin(m.vin);
    Put16(out, m.logical_address);
    out.insert(out.end(), m.eid.begin(), m.eid.end());
    out.insert(out.end(), m.gid.begin(), m.gid.end());
    out.push_back(m.further_action);
    if (m.sync_status) out.push_back(*m.sync_status);
  }
  void operator()(const RoutingActivationRequest& m) {
    Put16(out, m.source_address);
    out.push_back(m.activation_type);
    Put32(out, 0);  // reserved by ISO 13400
    if (m.oem) Put32(out, *m.oem);
  }
  void operator()(const RoutingActivationResponse& m) {
    Put16(out, m.tester_address);
    Put16(out, m.entity_address);
    out.push_back(m.code);
    Put32(out, 0);
    if (m.oem) Put32(out, *m.oem);
  }
  void operator()(const AliveCheckRequest&) {}
  void operator()(const AliveCheckResponse& m) { Put16(out, m.source_address); }
  void operator()(const EntityStatusRequest&) {}
  void operator()(const EntityStatusResponse& m) {
    out.push_back(m.node_type);
    out.push_back(m.max_sockets);
    out.push_back(m.open_sockets);
    if (m.max_data_size) Put32(out, *m.max_data_size);
  }
  void operator()(const PowerModeRequest&) {}
  void operator()(const PowerModeResponse& m) { out.push_back(m.mode); }
  void operator()(const DiagnosticMessage& m) {
    Put16(out, m.source_address);
    Put16(out, m.target_address);
    out.insert(out.end(), m.user_data.begin(), m.user_data.end());
  }
  void operator()(const DiagnosticAck& m) {
    Put16(out, m.source_address);
    Put16(out, m.target_address);
    out.push_back(m.code);
    out.insert(out.end(), m.previous.begin(), m.previous.end());
  }
  // A VIN is 17 ASCII characters; shorter ones are padded as the standard's
  // "VIN not configured" value (0x00 or 0xFF) would be: with 0x00.
  void PutVin(const std::string& vin) {
    for (size_t i = 0; i < 17; ++i) out.push_back(i < vin.size() ? vin[i] : 0);
  }
};

std::string VinFrom(std::span<const uint8_t> b, size_t at) {
  return std::string(b.begin() + at, b.begin() + at + 17);
}

}  // namespace

std::string_view PayloadTypeName(PayloadType type) {
  switch (type) {
    case PayloadType::kGenericNack:
      return "generic header negative acknowledge";
    case PayloadType::kVehicleIdRequest:
      return "vehicle identification request";
    case PayloadType::kVehicleIdRequestEid:
      return "vehicle identification request with EID";
    case PayloadType::kVehicleIdRequestVin:
      return "vehicle identification request with VIN";
    case PayloadType::kVehicleAnnouncement:
      return "vehicle announcement";
    case PayloadType::kRoutingActivationRequest:
      return "routing activation request";
    case PayloadType::kRoutingActivationResponse:
      return "routing activation response";
    case PayloadType::kAliveCheckRequest:
      return "alive check request";
    case PayloadType::kAliveCheckResponse:
      return "alive check response";
    case PayloadType::kEntityStatusRequest:
      return "entity status request";
    case PayloadType::kEntityStatusResponse:
      return "entity status response";
    case PayloadType::kPowerModeRequest:
      return "diagnostic power mode request";
    case PayloadType::kPowerModeResponse:
      return "diagnostic power mode response";
    case PayloadType::kDiagnosticMessage:
      return "diagnostic message";
    case PayloadType::kDiagnosticAck:
      return "diagnostic message positive acknowledge";
    case PayloadType::kDiagnosticNack:
      return "diagnostic message negative acknowledge";
  }
  return "unknown payload type";
}

std::string_view RoutingCodeName(uint8_t code) {
  switch (static_cast<RoutingCode>(code)) {
    case RoutingCode::kUnknownSourceAddress:
      return "denied: unknown source address";
    case RoutingCode::kAllSocketsActive:
      return "denied: all sockets registered and active";
    case RoutingCode::kSourceAddressMismatch:
      return "denied: source address differs from the one registered on this socket";
    case RoutingCode::kSourceAddressAlreadyActive:
      return "denied: source address already active on another socket";
    case RoutingCode::kMissingAuthentication:
      return "denied: missing authentication";
    case RoutingCode::kRejectedConfirmation:
      return "denied: rejected confirmation";
    case RoutingCode::kUnsupportedActivationType:
      return "denied: unsupported activation type";
    case RoutingCode::kRequiresTls:
      return "denied: requires a TLS socket";
    case RoutingCode::kSuccess:
      return "routing successfully activated";
    case RoutingCode::kConfirmationRequired:
      return "activated, confirmation required";
  }
  return "reserved routing activation code";
}

std::string_view DiagnosticNackName(uint8_t code) {
  switch (static_cast<DiagnosticNackCode>(code)) {
    case DiagnosticNackCode::kInvalidSourceAddress:
      return "invalid source address";
    case DiagnosticNackCode::kUnknownTargetAddress:
      return "unknown target address";
    case DiagnosticNackCode::kMessageTooLarge:
      return "diagnostic message too large";
    case DiagnosticNackCode::kOutOfMemory:
      return "out of memory";
    case DiagnosticNackCode::kTargetUnreachable:
      return "target unreachable";
    case DiagnosticNackCode::kUnknownNetwork:
      return "unknown network";
    case DiagnosticNackCode::kTransportProtocolError:
      return "transport protocol error";
  }
  return "reserved diagnostic negative acknowledge code";
}

std::string_view HeaderNackName(uint8_t code) {
  switch (static_cast<HeaderNack>(code)) {
    case HeaderNack::kIncorrectPattern:
      return "incorrect pattern format";
    case HeaderNack::kUnknownPayloadType:
      return "unknown payload type";
    case HeaderNack::kMessageTooLarge:
      return "message too large";
    case HeaderNack::kOutOfMemory:
      return "out of memory";
    case HeaderNack::kInvalidPayloadLength:
      return "invalid payload length";
  }
  return "reserved header negative acknowledge code";
}

std::string AddressText(uint16_t address) { return fmt::format("0x{:04X}", address); }

std::variant<Header, HeaderError> DecodeHeader(std::span<const uint8_t> b, uint32_t max_payload) {
  if (b.size() < kHeaderSize) {
    return HeaderError{HeaderNack::kIncorrectPattern,
                       fmt::format("a DoIP header is {} bytes, got {}", kHeaderSize, b.size())};
  }
  Header h;
  h.version = b[0];
  if (static_cast<uint8_t>(~b[1]) != b[0] ||
      (h.version != kVersionAny && (h.version < kVersion2010 || h.version > kVersion2019))) {
    return HeaderError{HeaderNack::kIncorrectPattern,
                       fmt::format("protocol version 0x{:02X}, inverse 0x{:02X}", b[0], b[1])};
  }
  h.type = static_cast<PayloadType>(Get16(b, 2));
  h.payload_length = Get32(b, 4);
  std::optional<LengthRule> rule = RuleFor(h.type);
  if (!rule) {
    return HeaderError{HeaderNack::kUnknownPayloadType,
                       fmt::format("payload type 0x{:04X}", Get16(b, 2))};
  }
  if (h.payload_length > max_payload) {
    return HeaderError{
        HeaderNack::kMessageTooLarge,
        fmt::format("payload of {} bytes, the limit is {}", h.payload_length, max_payload)};
  }
  if (!LengthAllowed(*rule, h.payload_length)) {
    return HeaderError{
        HeaderNack::kInvalidPayloadLength,
        fmt::format("{} with a payload of {} bytes", PayloadTypeName(h.type), h.payload_length)};
  }
  return h;
}

PayloadType TypeOf(const Message& message) {
  struct Visitor {
    PayloadType operator()(const GenericNack&) { return PayloadType::kGenericNack; }
    PayloadType operator()(const VehicleIdRequest&) { return PayloadType::kVehicleIdRequest; }
    PayloadType operator()(const VehicleIdRequestEid&) { return PayloadType::kVehicleIdRequestEid; }
    PayloadType operator()(const VehicleIdRequestVin&) { return PayloadType::kVehicleIdRequestVin; }
    PayloadType operator()(const VehicleAnnouncement&) { return PayloadType::kVehicleAnnouncement; }
    PayloadType operator()(const RoutingActivationRequest&) {
      return PayloadType::kRoutingActivationRequest;
    }
    PayloadType operator()(const RoutingActivationResponse&) {
      return PayloadType::kRoutingActivationResponse;
    }
    PayloadType operator()(const AliveCheckRequest&) { return PayloadType::kAliveCheckRequest; }
    PayloadType operator()(const AliveCheckResponse&) { return PayloadType::kAliveCheckResponse; }
    PayloadType operator()(const EntityStatusRequest&) { return PayloadType::kEntityStatusRequest; }
    PayloadType operator()(const EntityStatusResponse&) {
      return PayloadType::kEntityStatusResponse;
    }
    PayloadType operator()(const PowerModeRequest&) { return PayloadType::kPowerModeRequest; }
    PayloadType operator()(const PowerModeResponse&) { return PayloadType::kPowerModeResponse; }
    PayloadType operator()(const DiagnosticMessage&) { return PayloadType::kDiagnosticMessage; }
    PayloadType operator()(const DiagnosticAck& m) {
      return m.positive ? PayloadType::kDiagnosticAck : PayloadType::kDiagnosticNack;
    }
  };
  return std::visit(Visitor{}, message);
}

Bytes Encode(const Message& message, uint8_t version) {
  Bytes out;
  out.reserve(kHeaderSize + 16);
  out.push_back(version);
  out.push_back(static_cast<uint8_t>(~version));
  Put16(out, static_cast<uint16_t>(TypeOf(message)));
  Put32(out, 0);  // the length, patched below
  std::visit(PayloadWriter{out}, message);
  uint32_t length = static_cast<uint32_t>(out.size() - kHeaderSize);
  for (int i = 0; i < 4; ++i) out[4 + i] = static_cast<uint8_t>(length >> (24 - 8 * i));
  return out;
}

absl::StatusOr<Message> DecodePayload(PayloadType type, std::span<const uint8_t> b) {
  std::optional<LengthRule> rule = RuleFor(type);
  if (!rule) {
    return absl::InvalidArgumentError(
        fmt::format("unknown DoIP payload type 0x{:04X}", static_cast<uint16_t>(type)));
  }
  if (!LengthAllowed(*rule, static_cast<uint32_t>(b.size()))) {
    return absl::InvalidArgumentError(
        fmt::format("{} with a payload of {} bytes", PayloadTypeName(type), b.size()));
  }
  switch (type) {
    case PayloadType::kGenericNack:
      return GenericNack{static_cast<HeaderNack>(b[0])};
    case PayloadType::kVehicleIdRequest:
      return VehicleIdRequest{};
    case PayloadType::kVehicleIdRequestEid:
      return VehicleIdRequestEid{Take<6>(b, 0)};
    case PayloadType::kVehicleIdRequestVin:
      return VehicleIdRequestVin{VinFrom(b, 0)};
    case PayloadType::kVehicleAnnouncement: {
      VehicleAnnouncement m;
      m.vin = VinFrom(b, 0);
      m.logical_address = Get16(b, 17);
      m.eid = Take<6>(b, 19);
      m.gid = Take<6>(b, 25);
      m.further_action = b[31];
      if (b.size() == 33) m.sync_status = b[32];
      return m;
    }
    case PayloadType::kRoutingActivationRequest: {
      RoutingActivationRequest m{Get16(b, 0), b[2], std::nullopt};
      if (b.size() == 11) m.oem = Get32(b, 7);
      return m;
    }
    case PayloadType::kRoutingActivationResponse: {
      RoutingActivationResponse m{Get16(b, 0), Get16(b, 2), b[4], std::nullopt};
      if (b.size() == 13) m.oem = Get32(b, 9);
      return m;
    }
    case PayloadType::kAliveCheckRequest:
      return AliveCheckRequest{};
    case PayloadType::kAliveCheckResponse:
      return AliveCheckResponse{Get16(b, 0)};
    case PayloadType::kEntityStatusRequest:
      return EntityStatusRequest{};
    case PayloadType::kEntityStatusResponse: {
      EntityStatusResponse m{b[0], b[1], b[2], std::nullopt};
      if (b.size() == 7) m.max_data_size = Get32(b, 3);
      return m;
    }
    case PayloadType::kPowerModeRequest:
      return PowerModeRequest{};
    case PayloadType::kPowerModeResponse:
      return PowerModeResponse{b[0]};
    case PayloadType::kDiagnosticMessage:
      return DiagnosticMessage{Get16(b, 0), Get16(b, 2), Bytes(b.begin() + 4, b.end())};
    case PayloadType::kDiagnosticAck:
    case PayloadType::kDiagnosticNack:
      return DiagnosticAck{type == PayloadType::kDiagnosticAck, Get16(b, 0), Get16(b, 2), b[4],
                           Bytes(b.begin() + 5, b.end())};
  }
  return absl::InternalError("unreachable");
}

absl::StatusOr<Message> Decode(std::span<const uint8_t> bytes, uint32_t max_payload) {
  auto header = DecodeHeader(bytes, max_payload);
  if (auto* error = std::get_if<HeaderError>(&header)) {
    return absl::InvalidArgumentError(fmt::format(
        "DoIP header: {} ({})", HeaderNackName(static_cast<uint8_t>(error->nack)), error->message));
  }
  const Header& h = std::get<Header>(header);
  if (bytes.size() != kHeaderSize + h.payload_length) {
    return absl::InvalidArgumentError(
        fmt::format("DoIP {}: the header announces {} payload bytes, {} arrived",
                    PayloadTypeName(h.type), h.payload_length, bytes.size() - kHeaderSize));
  }
  return DecodePayload(h.type, bytes.subspan(kHeaderSize));
}

}  // namespace pharos::sovd::doip
