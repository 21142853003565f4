// SOME/IP Service Discovery messages (AUTOSAR SOME/IP-SD protocol
// specification, R22-11): the SOME/IP header with Message ID 0xFFFF8100,
// then flags, the entries array and the options array. Written here
// because no Debian package provides a SOME/IP library; every field is
// big-endian (network order).
//
//   SOME/IP header (16 bytes)   service 0xFFFF, method 0x8100, length,
//                               client 0x0000, session, protocol 1,
//                               interface 1, type 0x02, return 0x00
//   flags (8) reserved (24)
//   entries length (32), entries (16 bytes each)
//   options length (32), options (length 16, type 8, reserved 8, data)
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/ipv4.h"

namespace pharos::discovery {

inline constexpr uint16_t kSdServiceId = 0xFFFF;
inline constexpr uint16_t kSdMethodId = 0x8100;
inline constexpr uint16_t kSdDefaultPort = 30490;

enum class SdEntryType : uint8_t {
  kFindService = 0x00,
  kOfferService = 0x01,  // an OfferService with TTL 0 is a StopOfferService
  kSubscribeEventgroup = 0x06,
  kSubscribeEventgroupAck = 0x07,
};

enum class SdOptionType : uint8_t {
  kConfiguration = 0x01,
  kLoadBalancing = 0x02,
  kIpv4Endpoint = 0x04,
  kIpv6Endpoint = 0x06,
  kIpv4Multicast = 0x14,
  kIpv6Multicast = 0x16,
  kIpv4SdEndpoint = 0x24,
  kIpv6SdEndpoint = 0x26,
};

inline constexpr uint8_t kL4Tcp = 0x06;
inline constexpr uint8_t kL4Udp = 0x11;

struct SdEndpoint {
  Ipv4Address address;
  uint8_t l4_protocol = kL4Udp;  // kL4Tcp | kL4Udp
  uint16_t port = 0;
  bool multicast = false;  // from an IPv4 Multicast option
  bool operator==(const SdEndpoint&) const = default;
};

// One entry, with the IPv4 endpoints its option runs point at resolved.
struct SdEntry {
  SdEntryType type = SdEntryType::kOfferService;
  uint16_t service_id = 0;
  uint16_t instance_id = 0;
  uint8_t major_version = 0;
  uint32_t ttl = 0;            // seconds, 24 bits; 0xFFFFFF = until the next reboot
  uint32_t minor_version = 0;  // service entries
  uint16_t eventgroup_id = 0;  // eventgroup entries
  uint8_t counter = 0;         // eventgroup entries (4 bits)
  std::vector<SdEndpoint> endpoints;
  bool operator==(const SdEntry&) const = default;

  bool IsStopOffer() const { return type == SdEntryType::kOfferService && ttl == 0; }
};

struct SdMessage {
  uint16_t client_id = 0;
  uint16_t session_id = 1;
  bool reboot = false;  // flags bit 7
  bool unicast = true;  // flags bit 6 (the sender can receive unicast)
  std::vector<SdEntry> entries;
  bool operator==(const SdMessage&) const = default;
};

// Parses one UDP payload. InvalidArgument naming the byte offset and what
// is wrong for anything malformed; unknown entry and option types are
// skipped (the specification says receivers ignore them), IPv6 options are
// skipped too (Pharos's vehicle is IPv4).
absl::StatusOr<SdMessage> ParseSomeIpSd(std::span<const uint8_t> packet);

// The bytes of `message`: each entry's endpoints become its option runs
// (at most 30 per entry, options are not shared between entries, indices
// are 8 bits: at most 255 endpoints in one message; beyond, they are cut).
std::vector<uint8_t> BuildSomeIpSd(const SdMessage& message);

const char* SdEntryTypeName(SdEntryType type);

}  // namespace pharos::discovery
