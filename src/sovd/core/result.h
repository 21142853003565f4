// What a command answers, per ECU: typed reports the front ends render
// (gRPC: one JSON chunk each; REST: the SOVD resource shapes).
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "sovd/ecu/ecu_description.h"

namespace pharos::sovd::core {

using Bytes = std::vector<uint8_t>;

struct DtcEntry {
  uint32_t dtc = 0;
  uint8_t status = 0;
  std::string description;  // from the ECU description, "" when it does not know the DTC
};
struct DtcReport {
  uint8_t status_mask = 0xFF;
  uint8_t availability_mask = 0;
  std::vector<DtcEntry> dtcs;
};
struct ClearReport {
  uint32_t group = 0;
};
struct DataEntry {
  uint16_t did = 0;
  std::string name;  // "" when the description does not know the DID
  std::string unit;
  Bytes raw;
  std::optional<ecu::PhysicalValue> value;  // decoded by the description
};
struct DataReport {
  std::vector<DataEntry> values;
};
struct WriteReport {
  uint16_t did = 0;
  std::string name;
};
struct FreezeFrameRecord {
  uint8_t number = 0;
  std::vector<DataEntry> values;
};
struct FreezeFrameReport {
  DtcEntry dtc;
  std::vector<FreezeFrameRecord> records;
};
struct RoutineReport {
  uint16_t id = 0;
  std::string name;
  uint8_t action = 0;
  Bytes status_record;
};
struct ResetReport {
  uint8_t type = 0;
};
struct SessionReport {
  uint8_t session = 0;
  uint32_t p2_ms = 0;
  uint32_t p2_star_ms = 0;
  bool kept_alive = false;  // tester present runs while it is open
};
struct SecurityReport {
  uint8_t level = 0;
  bool already_unlocked = false;
};

using Report = std::variant<DtcReport, ClearReport, DataReport, WriteReport, FreezeFrameReport,
                            RoutineReport, ResetReport, SessionReport, SecurityReport>;

struct EcuResult {
  std::string ecu_name;
  uint16_t address = 0;
  Report report;
};

}  // namespace pharos::sovd::core
