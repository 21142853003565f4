// pharos-sovd's configuration file: the vehicles it serves, the DoIP
// entities of each and the ECU description files behind them, and the
// timing knobs (docs/sovd.md "Configuration").
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sovd/core/command.h"
#include "sovd/ecu/ecu_description.h"
#include "sovd/transport/doip_connection.h"
#include "sovd/transport/uds_client.h"

namespace pharos::sovd::core {

struct EcuEntry {
  ecu::EcuDescription description;
  size_t entity = 0;         // index into VehicleSpec::entities
  bool from_broker = false;  // OBD via pharos-broker: its DIDs are VSS signals (`vss:`)
};

struct VehicleSpec {
  std::string id;  // a UUID, lowercase with hyphens
  std::string name;
  std::vector<transport::ConnectionOptions> entities;
  std::vector<EcuEntry> ecus;  // in declaration order: the order of multi-ECU answers
  // OBD via pharos-broker (kuksa.val.v2): "" when the vehicle has none.
  std::string obd_broker;  // host:port
  std::string obd_token_file;

  const EcuEntry* FindEcu(uint16_t address) const;
};

struct SovdConfig {
  std::vector<VehicleSpec> vehicles;
  transport::UdsOptions uds;
  std::chrono::milliseconds default_timeout{60000};
  std::map<CommandKind, std::chrono::milliseconds> timeouts;  // per command
  std::chrono::milliseconds tester_present_interval{2000};

  const VehicleSpec* FindVehicle(const std::string& id) const;
  std::chrono::milliseconds TimeoutFor(CommandKind kind) const;
};

absl::StatusOr<SovdConfig> ParseSovdConfig(const std::string& yaml, const std::string& source);
absl::StatusOr<SovdConfig> LoadSovdConfig(const std::string& path);

// "550e8400-e29b-41d4-a716-446655440000": 8-4-4-4-12 lowercase hex digits.
bool IsUuid(std::string_view text);

}  // namespace pharos::sovd::core
