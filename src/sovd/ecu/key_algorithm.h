// SecurityAccess (0x27) key algorithms: seed in, key out. Real ECUs use
// OEM-secret functions; Pharos ships two documented toy ones for the
// simulator and the twin and lets a deployment add its own, either in code
// (Register) or as an external program ("external" with `program:`; it
// gets level and seed in hex as arguments and prints the key in hex), so no OEM secret has to live
// in Pharos's source.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace pharos::sovd::ecu {

struct SecurityLevel;

using KeyFunction = std::function<absl::StatusOr<std::vector<uint8_t>>(
    const SecurityLevel& level, std::span<const uint8_t> seed)>;

// Adds (or replaces) an algorithm by name. Not thread-safe against
// ComputeKey: register before serving.
void RegisterKeyAlgorithm(const std::string& name, KeyFunction function);

// "xor": seed XOR parameter (repeated); "add": seed + parameter as
// big-endian integers, modulo 2^(8·seed length); "external": see above.
// NOT_FOUND for an unknown algorithm.
absl::StatusOr<std::vector<uint8_t>> ComputeKey(const SecurityLevel& level,
                                                std::span<const uint8_t> seed);

bool KnownKeyAlgorithm(const std::string& name);

}  // namespace pharos::sovd::ecu
