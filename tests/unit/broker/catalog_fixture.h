// A small VSS catalog and an in-memory store for the broker's unit tests, built through the real
// VSS loader.
#pragma once

#include <string>

#include "broker/core/catalog.h"
#include "broker/core/signal_store.h"

namespace pharos::broker::testing {

// Vehicle.Speed (float sensor, max 250), Vehicle.Cabin.DoorCount (uint8
// attribute, default 4), Vehicle.Cabin.Light.Mode (string actuator,
// allowed OFF/ON/AUTO), Vehicle.Cabin.Seat.Position (uint16 actuator,
// max 1000), Vehicle.Gear (int8 sensor), Vehicle.Tags (string[] attribute).
inline const char* kSmallCatalog = R"({
  "Vehicle": {"type": "branch", "description": "root", "children": {
    "Speed": {"type": "sensor", "datatype": "float", "unit": "km/h", "max": 250, "description": "speed"},
    "Gear": {"type": "sensor", "datatype": "int8", "description": "gear"},
    "Tags": {"type": "attribute", "datatype": "string[]", "description": "tags"},
    "Cabin": {"type": "branch", "description": "cabin", "children": {
      "DoorCount": {"type": "attribute", "datatype": "uint8", "default": 4, "description": "doors"},
      "Light": {"type": "branch", "description": "light", "children": {
        "Mode": {"type": "actuator", "datatype": "string", "allowed": ["OFF", "ON", "AUTO"], "description": "mode"}
      }},
      "Seat": {"type": "branch", "description": "seat", "children": {
        "Position": {"type": "actuator", "datatype": "uint16", "min": 0, "max": 1000, "description": "pos"}
      }}
    }}
  }}
})";

Catalog SmallCatalog(const std::map<std::string, SignalId>& known = {});

// The broker's store in memory; `fail` makes value writes fail.
class MemoryStore final : public SignalStore {
 public:
  absl::StatusOr<std::map<std::string, SignalId>> LoadIds() override { return ids; }
  absl::Status SaveIds(const std::map<std::string, SignalId>& more) override {
    for (const auto& [p, id] : more) ids.emplace(p, id);
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<StoredValue>> LoadValues() override {
    std::vector<StoredValue> out;
    for (const auto& [key, v] : values) out.push_back(v);
    return out;
  }
  absl::Status SaveValue(const StoredValue& v) override {
    if (fail) return absl::UnavailableError("disk full");
    values[{v.id, v.kind}] = v;
    return absl::OkStatus();
  }
  std::map<std::string, SignalId> ids;
  std::map<std::pair<SignalId, ValueKind>, StoredValue> values;
  bool fail = false;
};

}  // namespace pharos::broker::testing
