// Ethernet (MAC) addresses as plain values.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/ipv4.h"

namespace pharos {

struct MacAddress {
  std::array<uint8_t, 6> bytes{};

  // "02:50:0a:02:01:05"; nullopt for anything else (upper case accepted).
  static std::optional<MacAddress> Parse(std::string_view text);
  // A pod interface's address, derived from its IPv4 address: 02:50 (locally
  // administered, unicast) and the four address bytes. An address handed
  // to a new pod keeps the MAC its neighbours have cached for it, so the
  // new pod is reachable at once (docs/architecture.md, "Pod interfaces").
  static MacAddress DerivedFrom(Ipv4Address address);

  std::string ToString() const;
  friend auto operator<=>(const MacAddress&, const MacAddress&) = default;
};

}  // namespace pharos
