// An ECU description: what pharos-sovd needs to talk to one ECU, and what
// pharos-ecu-sim needs to be one. One YAML file per ECU (docs/sovd.md "ECU
// descriptions"): its logical address, its DIDs and how their bytes encode
// physical values, its DTCs and what they mean, its routines, its security
// levels, and (for the simulator) its initial state and misbehaviour.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"

namespace pharos::sovd::ecu {

using Bytes = std::vector<uint8_t>;

enum class DataType { kUint8, kUint16, kUint32, kInt8, kInt16, kInt32, kFloat32, kAscii, kBytes };
std::string_view DataTypeName(DataType type);
bool IsNumeric(DataType type);

// What a caller reads and writes: a number (scaled), text, or raw bytes.
using PhysicalValue = std::variant<double, std::string, Bytes>;

// Who may do something: the session it needs (0: any) and the security
// level that must be unlocked (0: none).
struct AccessRule {
  uint8_t session = 0;
  uint8_t security_level = 0;
};

struct DidSpec {
  uint16_t id = 0;
  std::string name;
  DataType type = DataType::kBytes;
  size_t length = 0;  // bytes on the wire (fixed by the type for numbers)
  double scale = 1.0;
  double offset = 0.0;
  std::string unit;
  std::optional<AccessRule> write;  // absent: read-only
  std::string vss;                  // OBD-via-broker: the VSS signal answering it
  Bytes initial;                    // simulator: the value it starts with (raw)
};

struct DtcSpec {
  uint32_t dtc = 0;  // 3 bytes
  std::string description;
  uint8_t status = 0;                   // simulator: the initial status (0: not present)
  std::vector<uint16_t> snapshot_dids;  // what a freeze frame records
};

struct RoutineSpec {
  uint16_t id = 0;
  std::string name;
  uint32_t duration_ms = 0;  // simulator: how long it runs
  Bytes result;              // simulator: the status record of "request results"
  AccessRule access;
};

struct SecurityLevel {
  uint8_t level = 1;              // the odd "request seed" sub-function
  std::string algorithm = "xor";  // key_algorithm.h
  Bytes parameter;                // the algorithm's secret (e.g. the XOR mask)
  std::string program;            // "external": the program computing the key
  size_t seed_length = 4;
};

// Simulator only: how this ECU misbehaves.
struct Simulation {
  uint32_t response_delay_ms = 0;
  uint32_t response_pending_ms = 0;    // answer NRC 0x78 first, the response this much later
  uint32_t s3_timeout_ms = 5000;       // a non-default session without tester present ends
  std::map<uint8_t, uint8_t> nrc;      // SID → the NRC it always answers
  uint32_t security_delay_ms = 10000;  // after too many invalid keys
  uint8_t max_attempts = 3;
};

struct EcuDescription {
  std::string name;
  uint16_t logical_address = 0;
  std::string source;  // the file it came from
  std::vector<DidSpec> dids;
  std::vector<DtcSpec> dtcs;
  std::vector<RoutineSpec> routines;
  std::vector<SecurityLevel> security;
  std::vector<uint8_t> sessions = {0x01, 0x02, 0x03};
  Simulation simulation;

  const DidSpec* FindDid(uint16_t id) const;
  const DidSpec* FindDid(std::string_view name) const;
  const DtcSpec* FindDtc(uint32_t dtc) const;
  const RoutineSpec* FindRoutine(uint16_t id) const;
  const RoutineSpec* FindRoutine(std::string_view name) const;
  const SecurityLevel* FindSecurity(uint8_t level) const;
};

// Parses a description. INVALID_ARGUMENT lists every problem with its YAML
// path and line ("engine.yaml:12: dids[1].type: 'uint9' is not a type …").
absl::StatusOr<EcuDescription> ParseEcuDescription(const std::string& yaml,
                                                   const std::string& source);
absl::StatusOr<EcuDescription> LoadEcuDescription(const std::string& path);

// "0x10", "16", "0xF190": the numbers of descriptions and command parameters.
std::optional<uint64_t> ParseNumber(std::string_view text);

// Raw bytes ↔ physical value by a DID's encoding. Decode fails
// (INVALID_ARGUMENT) when the bytes do not fit the DID's length; Encode
// when the value has the wrong kind or does not fit the type's range.
absl::StatusOr<PhysicalValue> DecodeDid(const DidSpec& did, const Bytes& raw);
absl::StatusOr<Bytes> EncodeDid(const DidSpec& did, const PhysicalValue& value);
// A value given as text (YAML, a control command): a number for numeric
// DIDs, the text itself for ascii, hex for bytes.
absl::StatusOr<PhysicalValue> ValueFromText(const DidSpec& did, const std::string& text);

}  // namespace pharos::sovd::ecu
