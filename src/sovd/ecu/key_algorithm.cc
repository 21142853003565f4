#include "sovd/ecu/key_algorithm.h"

#include <stdio.h>
#include <sys/wait.h>

#include <map>
#include <mutex>

#include "common/fmt_absl.h"
#include "fmt/format.h"
#include "sovd/ecu/ecu_description.h"
#include "sovd/uds/uds_message.h"

namespace pharos::sovd::ecu {
namespace {

absl::StatusOr<std::vector<uint8_t>> Xor(const SecurityLevel& level,
                                         std::span<const uint8_t> seed) {
  const std::vector<uint8_t>& parameter = level.parameter;
  if (parameter.empty()) return absl::InvalidArgumentError("the xor algorithm needs a parameter");
  std::vector<uint8_t> key(seed.begin(), seed.end());
  for (size_t i = 0; i < key.size(); ++i) key[i] ^= parameter[i % parameter.size()];
  return key;
}

absl::StatusOr<std::vector<uint8_t>> Add(const SecurityLevel& level,
                                         std::span<const uint8_t> seed) {
  const std::vector<uint8_t>& parameter = level.parameter;
  std::vector<uint8_t> key(seed.begin(), seed.end());
  unsigned carry = 0;
  for (size_t i = 0; i < key.size(); ++i) {
    size_t k = key.size() - 1 - i;
    unsigned p = i < parameter.size() ? parameter[parameter.size() - 1 - i] : 0;
    unsigned sum = key[k] + p + carry;
    key[k] = static_cast<uint8_t>(sum);
    carry = sum >> 8;
  }
  return key;
}

// Runs the program; it must print the key in hex and exit 0.
absl::StatusOr<std::vector<uint8_t>> External(const SecurityLevel& level,
                                              std::span<const uint8_t> seed) {
  const std::string& program = level.program;
  if (program.empty()) return absl::InvalidArgumentError("external: no program given");
  // The arguments are hex digits only; the program path comes from the
  // operator's configuration, never from a caller.
  std::string command = fmt::format("'{}' {:02X} {}", program, level.level, uds::Hex(seed));
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return absl::InternalError(fmt::format("cannot run {}", program));
  std::string out;
  char buffer[256];
  while (size_t n = fread(buffer, 1, sizeof buffer, pipe)) out.append(buffer, n);
  int status = pclose(pipe);
  if (status != 0) {
    return absl::InternalError(fmt::format("key program {} failed (status {})", program, status));
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return uds::ParseHex(out);
}

std::mutex& RegistryMutex() {
  static std::mutex mu;
  return mu;
}
std::map<std::string, KeyFunction>& Registry() {
  static std::map<std::string, KeyFunction> registry = {
      {"xor", Xor}, {"add", Add}, {"external", External}};
  return registry;
}

}  // namespace

void RegisterKeyAlgorithm(const std::string& name, KeyFunction function) {
  std::lock_guard lock(RegistryMutex());
  Registry()[name] = std::move(function);
}

bool KnownKeyAlgorithm(const std::string& name) {
  std::lock_guard lock(RegistryMutex());
  return Registry().count(name) > 0;
}

absl::StatusOr<std::vector<uint8_t>> ComputeKey(const SecurityLevel& level,
                                                std::span<const uint8_t> seed) {
  KeyFunction function;
  {
    std::lock_guard lock(RegistryMutex());
    auto it = Registry().find(level.algorithm);
    if (it == Registry().end()) {
      return absl::NotFoundError(
          fmt::format("no key algorithm '{}' (xor, add, external, or one registered in code)",
                      level.algorithm));
    }
    function = it->second;
  }
  return function(level, seed);
}

}  // namespace pharos::sovd::ecu
