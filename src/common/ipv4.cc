#include "common/ipv4.h"

#include <charconv>
#include <vector>

#include "common/strings.h"

namespace pharos {
namespace {

void SetWhy(std::string* why, std::string text) {
  if (why) *why = std::move(text);
}

}  // namespace

std::optional<Ipv4Address> Ipv4Address::Parse(std::string_view text,
                                               std::string* why) {
  if (text.empty()) {
    SetWhy(why, "empty address");
    return std::nullopt;
  }
  std::vector<std::string_view> parts;
  for (size_t start = 0;;) {
    size_t dot = text.find('.', start);
    parts.push_back(text.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (parts.size() != 4) {
    SetWhy(why, StrCat("'", text, "' is not a dotted-quad IPv4 address (",
                             parts.size(), " parts instead of 4)"));
    return std::nullopt;
  }
  uint32_t value = 0;
  for (std::string_view part : parts) {
    if (part.empty() || part.size() > 3) {
      SetWhy(why, StrCat("'", text, "': octet '", part,
                               "' must have 1 to 3 digits"));
      return std::nullopt;
    }
    if (part.size() > 1 && part[0] == '0') {
      SetWhy(why, StrCat("'", text, "': octet '", part,
                               "' has a leading zero (ambiguous: octal?)"));
      return std::nullopt;
    }
    unsigned octet = 0;
    auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), octet);
    if (ec != std::errc() || end != part.data() + part.size()) {
      SetWhy(why, StrCat("'", text, "': octet '", part, "' is not a number"));
      return std::nullopt;
    }
    if (octet > 255) {
      SetWhy(why, StrCat("'", text, "': octet ", octet, " is above 255"));
      return std::nullopt;
    }
    value = (value << 8) | octet;
  }
  return Ipv4Address(value);
}

std::string Ipv4Address::ToString() const {
  return StrCat(value_ >> 24, ".", (value_ >> 16) & 0xff, ".",
                      (value_ >> 8) & 0xff, ".", value_ & 0xff);
}

std::optional<Ipv4Prefix> Ipv4Prefix::Parse(std::string_view text,
                                            std::string* why) {
  size_t slash = text.find('/');
  if (slash == std::string_view::npos) {
    SetWhy(why, StrCat("'", text,
                             "' has no prefix length (expected e.g. 10.2.1.0/24)"));
    return std::nullopt;
  }
  std::string inner;
  auto address = Ipv4Address::Parse(text.substr(0, slash), &inner);
  if (!address) {
    SetWhy(why, inner);
    return std::nullopt;
  }
  std::string_view len_text = text.substr(slash + 1);
  int length = -1;
  auto [end, ec] =
      std::from_chars(len_text.data(), len_text.data() + len_text.size(), length);
  if (len_text.empty() || ec != std::errc() ||
      end != len_text.data() + len_text.size() || length < 0 || length > 32) {
    SetWhy(why, StrCat("'", text, "': prefix length '", len_text,
                             "' must be a number from 0 to 32"));
    return std::nullopt;
  }
  return Ipv4Prefix(*address, length);
}

uint64_t Ipv4Prefix::HostCount() const {
  uint64_t size = uint64_t{1} << (32 - length_);
  return length_ >= 31 ? size : size - 2;
}

std::optional<Ipv4Address> Ipv4Prefix::Host(uint64_t n) const {
  if (n >= HostCount()) return std::nullopt;
  uint64_t offset = length_ >= 31 ? n : n + 1;
  return Ipv4Address(static_cast<uint32_t>(network().value() + offset));
}

bool Ipv4Prefix::IsNetworkOrBroadcast(Ipv4Address a) const {
  if (length_ >= 31) return false;
  return a == network() || a == broadcast();
}

std::string Ipv4Prefix::ToString() const {
  return StrCat(address_.ToString(), "/", length_);
}

}  // namespace pharos
