#include "common/mac_address.h"

#include <cstdio>

#include "common/text.h"

namespace pharos {
namespace {


}  // namespace

std::optional<MacAddress> MacAddress::Parse(std::string_view text) {
  if (text.size() != 17) return std::nullopt;
  MacAddress mac;
  for (size_t i = 0; i < 6; ++i) {
    if (i > 0 && text[i * 3 - 1] != ':') return std::nullopt;
    int high = HexDigitValue(text[i * 3]);
    int low = HexDigitValue(text[i * 3 + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    mac.bytes[i] = static_cast<uint8_t>(high * 16 + low);
  }
  return mac;
}

MacAddress MacAddress::DerivedFrom(Ipv4Address address) {
  uint32_t v = address.value();
  return {{0x02, 0x50, static_cast<uint8_t>(v >> 24), static_cast<uint8_t>(v >> 16),
           static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)}};
}

std::string MacAddress::ToString() const {
  char text[18];
  snprintf(text, sizeof(text), "%02x:%02x:%02x:%02x:%02x:%02x", bytes[0], bytes[1], bytes[2],
           bytes[3], bytes[4], bytes[5]);
  return text;
}

}  // namespace pharos
