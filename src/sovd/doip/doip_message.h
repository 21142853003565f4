// DoIP (ISO 13400-2) messages: the generic header and the payloads a tester
// and a DoIP entity exchange, encoded and decoded byte-exact. Pure: no
// sockets, no clock; the transport (doip_connection.h) and the simulator's
// entity (sim/doip_entity.h) both speak through this file.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"

namespace pharos::sovd::doip {

using Bytes = std::vector<uint8_t>;

inline constexpr uint16_t kPort = 13400;    // UDP_DISCOVERY and TCP_DATA
inline constexpr uint16_t kTlsPort = 3496;  // TCP_DATA over TLS (ISO 13400-2:2019)
inline constexpr size_t kHeaderSize = 8;

// Protocol versions of the generic header (ISO 13400-2 table 16).
inline constexpr uint8_t kVersion2010 = 0x01;
inline constexpr uint8_t kVersion2012 = 0x02;
inline constexpr uint8_t kVersion2019 = 0x03;
// Only in vehicle identification requests: "any version".
inline constexpr uint8_t kVersionAny = 0xFF;

enum class PayloadType : uint16_t {
  kGenericNack = 0x0000,
  kVehicleIdRequest = 0x0001,
  kVehicleIdRequestEid = 0x0002,
  kVehicleIdRequestVin = 0x0003,
  kVehicleAnnouncement = 0x0004,  // also the vehicle identification response
  kRoutingActivationRequest = 0x0005,
  kRoutingActivationResponse = 0x0006,
  kAliveCheckRequest = 0x0007,
  kAliveCheckResponse = 0x0008,
  kEntityStatusRequest = 0x4001,
  kEntityStatusResponse = 0x4002,
  kPowerModeRequest = 0x4003,
  kPowerModeResponse = 0x4004,
  kDiagnosticMessage = 0x8001,
  kDiagnosticAck = 0x8002,
  kDiagnosticNack = 0x8003,
};

// Generic header negative acknowledge codes (table 19).
enum class HeaderNack : uint8_t {
  kIncorrectPattern = 0x00,
  kUnknownPayloadType = 0x01,
  kMessageTooLarge = 0x02,
  kOutOfMemory = 0x03,
  kInvalidPayloadLength = 0x04,
};

// Routing activation response codes (table 25).
enum class RoutingCode : uint8_t {
  kUnknownSourceAddress = 0x00,
  kAllSocketsActive = 0x01,
  kSourceAddressMismatch = 0x02,
  kSourceAddressAlreadyActive = 0x03,
  kMissingAuthentication = 0x04,
  kRejectedConfirmation = 0x05,
  kUnsupportedActivationType = 0x06,
  kRequiresTls = 0x07,  // 2019
  kSuccess = 0x10,
  kConfirmationRequired = 0x11,
};

// Diagnostic message negative acknowledge codes (table 29).
enum class DiagnosticNackCode : uint8_t {
  kInvalidSourceAddress = 0x02,
  kUnknownTargetAddress = 0x03,
  kMessageTooLarge = 0x04,
  kOutOfMemory = 0x05,
  kTargetUnreachable = 0x06,
  kUnknownNetwork = 0x07,
  kTransportProtocolError = 0x08,
};

std::string_view PayloadTypeName(PayloadType type);
std::string_view RoutingCodeName(uint8_t code);
std::string_view DiagnosticNackName(uint8_t code);
std::string_view HeaderNackName(uint8_t code);

struct Header {
  uint8_t version = kVersion2012;
  PayloadType type = PayloadType::kGenericNack;
  uint32_t payload_length = 0;
};

// The header of a received message, checked as an entity must (ISO 13400-2
// figure 9): the sync pattern, a known payload type, a length within
// `max_payload`, and a length the type allows. A failure carries the NACK
// code the receiver answers with (and then closes the socket for the
// pattern and length errors).
struct HeaderError {
  HeaderNack nack;
  std::string message;
};
std::variant<Header, HeaderError> DecodeHeader(std::span<const uint8_t> bytes,
                                               uint32_t max_payload);

struct GenericNack {
  HeaderNack code = HeaderNack::kIncorrectPattern;
};
struct VehicleIdRequest {};
struct VehicleIdRequestEid {
  std::array<uint8_t, 6> eid{};
};
struct VehicleIdRequestVin {
  std::string vin;  // 17 characters
};
struct VehicleAnnouncement {
  std::string vin;  // 17 characters
  uint16_t logical_address = 0;
  std::array<uint8_t, 6> eid{};
  std::array<uint8_t, 6> gid{};
  uint8_t further_action = 0;  // 0x00 none, 0x10 routing activation for central security
  std::optional<uint8_t> sync_status;
};
struct RoutingActivationRequest {
  uint16_t source_address = 0;
  uint8_t activation_type = 0x00;  // 0x00 default, 0x01 WWH-OBD, 0xE0 central security
  std::optional<uint32_t> oem;
};
struct RoutingActivationResponse {
  uint16_t tester_address = 0;
  uint16_t entity_address = 0;
  uint8_t code = 0;
  std::optional<uint32_t> oem;
};
struct AliveCheckRequest {};
struct AliveCheckResponse {
  uint16_t source_address = 0;
};
struct EntityStatusRequest {};
struct EntityStatusResponse {
  uint8_t node_type = 0;  // 0x00 gateway, 0x01 node
  uint8_t max_sockets = 0;
  uint8_t open_sockets = 0;
  std::optional<uint32_t> max_data_size;
};
struct PowerModeRequest {};
struct PowerModeResponse {
  uint8_t mode = 0x01;  // 0x01 ready
};
struct DiagnosticMessage {
  uint16_t source_address = 0;
  uint16_t target_address = 0;
  Bytes user_data;  // the UDS message
};
// 0x8002 (positive) and 0x8003 (negative) share their layout.
struct DiagnosticAck {
  bool positive = true;
  uint16_t source_address = 0;
  uint16_t target_address = 0;
  uint8_t code = 0x00;
  Bytes previous;  // optional echo of the acknowledged message
};

using Message =
    std::variant<GenericNack, VehicleIdRequest, VehicleIdRequestEid, VehicleIdRequestVin,
                 VehicleAnnouncement, RoutingActivationRequest, RoutingActivationResponse,
                 AliveCheckRequest, AliveCheckResponse, EntityStatusRequest, EntityStatusResponse,
                 PowerModeRequest, PowerModeResponse, DiagnosticMessage, DiagnosticAck>;

PayloadType TypeOf(const Message& message);

// Header and payload, ready for the wire.
Bytes Encode(const Message& message, uint8_t version = kVersion2012);

// The payload of a message whose header DecodeHeader accepted.
// INVALID_ARGUMENT when the payload does not fit its type.
absl::StatusOr<Message> DecodePayload(PayloadType type, std::span<const uint8_t> payload);

// A whole datagram (UDP) or buffer: header and payload.
absl::StatusOr<Message> Decode(std::span<const uint8_t> bytes, uint32_t max_payload);

// "0x0E00": how logical addresses are written in logs, errors and payloads.
std::string AddressText(uint16_t address);

}  // namespace pharos::sovd::doip
