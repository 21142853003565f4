// pharos-ecu-sim's configuration: the DoIP entities it runs and the ECU
// description files behind each (docs/sovd.md "pharos-ecu-sim").
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sovd/ecu/ecu_description.h"
#include "sovd/sim/doip_entity.h"

namespace pharos::sovd::sim {

struct EntityConfig {
  EntityOptions options;
  std::vector<ecu::EcuDescription> ecus;
};

struct SimConfig {
  std::vector<EntityConfig> entities;
};

// ECU file names are relative to the configuration file's folder.
// INVALID_ARGUMENT with file, line and YAML path of every problem; two
// ECUs of one entity with the same logical address are refused.
absl::StatusOr<SimConfig> ParseSimConfig(const std::string& yaml, const std::string& source);
absl::StatusOr<SimConfig> LoadSimConfig(const std::string& path);

}  // namespace pharos::sovd::sim
