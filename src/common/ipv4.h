// IPv4 addresses and prefixes as plain values, parsed strictly: the vehicle
// YAML is written by people, and "10.2.1.05" or "10.2.1.0/33" must be
// reported, not guessed at.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pharos {

class Ipv4Address {
 public:
  constexpr Ipv4Address() = default;
  constexpr explicit Ipv4Address(uint32_t host_order) : value_(host_order) {}

  // nullopt when `text` is not a dotted quad; `why` (optional) says what is
  // wrong in words a person understands.
  static std::optional<Ipv4Address> Parse(std::string_view text,
                                          std::string* why = nullptr);

  constexpr uint32_t value() const { return value_; }
  std::string ToString() const;

  friend constexpr auto operator<=>(Ipv4Address, Ipv4Address) = default;

 private:
  uint32_t value_ = 0;
};

class Ipv4Prefix {
 public:
  constexpr Ipv4Prefix() = default;
  // `address` keeps whatever host bits it was given; see HasHostBits().
  constexpr Ipv4Prefix(Ipv4Address address, int length)
      : address_(address), length_(length) {}

  static std::optional<Ipv4Prefix> Parse(std::string_view text,
                                         std::string* why = nullptr);

  Ipv4Address address() const { return address_; }
  int length() const { return length_; }
  uint32_t mask() const {
    return length_ == 0 ? 0 : ~uint32_t{0} << (32 - length_);
  }
  Ipv4Address network() const { return Ipv4Address(address_.value() & mask()); }
  Ipv4Address broadcast() const {
    return Ipv4Address(network().value() | ~mask());
  }
  bool HasHostBits() const { return address_ != network(); }
  // The same prefix with host bits cleared.
  Ipv4Prefix Normalized() const { return Ipv4Prefix(network(), length_); }

  bool Contains(Ipv4Address a) const {
    return (a.value() & mask()) == network().value();
  }
  bool Contains(const Ipv4Prefix& other) const {
    return other.length_ >= length_ && Contains(other.network());
  }
  bool Overlaps(const Ipv4Prefix& other) const {
    return Contains(other) || other.Contains(*this);
  }
  // Number of usable host addresses (excludes network and broadcast for
  // prefixes shorter than /31, as the kernel and every IPAM do).
  uint64_t HostCount() const;
  // The n-th host (0-based) of the prefix; nullopt past the end.
  std::optional<Ipv4Address> Host(uint64_t n) const;
  // True when `a` is the network or broadcast address of a /0../30 prefix.
  bool IsNetworkOrBroadcast(Ipv4Address a) const;

  std::string ToString() const;  // "10.2.1.0/24" (as given, host bits kept)

  friend auto operator<=>(const Ipv4Prefix&, const Ipv4Prefix&) = default;

 private:
  Ipv4Address address_;
  int length_ = 0;
};

}  // namespace pharos
