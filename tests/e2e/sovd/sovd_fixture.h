// pharos-sovd end to end: the real pharos-ecu-sim and pharos-sovd binaries
// on loopback, driven by a client generated from the seed's proto.
#pragma once

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "e2e/daemon_process.h"
#include "sovd_vehicle_service.grpc.pb.h"

namespace pharos::e2e {

inline constexpr char kVehicle[] = "123e4567-e89b-12d3-a456-426614174000";
inline constexpr char kCommand[] = "550e8400-e29b-41d4-a716-446655440000";

struct Outcome {
  grpc::Status status;
  std::vector<::sovd::vehicle::CommandResponse> chunks;
};

class SovdTest : public ::testing::Test {
 protected:
  static std::string Ecu(const std::string& name) {
    return std::string(PHAROS_EXAMPLES_DIR) + "/sovd/ecus/" + name + ".yaml";
  }

  // The simulator with one entity on a free port; `ecus` are description files.
  // `entity_yaml`: more keys of the entity (indented by 4).
  void StartSim(const std::vector<std::string>& ecus = {Ecu("engine"), Ecu("brakes"), Ecu("body")},
                const std::string& entity_yaml = "") {
    std::filesystem::create_directories(dir_.path() + "/sim");
    std::ofstream sim(dir_.path() + "/sim/sim.yaml");
    sim << "entities:\n  - name: gateway\n    address: 127.0.0.1\n    port: 0\n"
        << entity_yaml << "    ecus:\n";
    for (const std::string& e : ecus) sim << "      - " << e << "\n";
    sim.close();
    ecu_files_ = ecus;
    sim_ = std::make_unique<DaemonProcess>(
        dir_.path() + "/sim", std::vector<std::string>{"--config", dir_.path() + "/sim/sim.yaml"},
        PharosEcuSim());
    ASSERT_TRUE(sim_->Start());
    // "gateway 127.0.0.1:PORT [tls=PORT]"
    const std::string& line = sim_->address();
    sim_port_ = std::stoi(line.substr(line.rfind(':') + 1));
    if (size_t tls = line.find("tls="); tls != std::string::npos) {
      sim_tls_port_ = std::stoi(line.substr(tls + 4));
    }
  }

  // Restarts the simulator on the port it had (after a kill -9).
  void RestartSim() {
    std::ofstream sim(dir_.path() + "/sim/sim.yaml");
    sim << "entities:\n  - name: gateway\n    address: 127.0.0.1\n    port: " << sim_port_
        << "\n    ecus:\n";
    for (const std::string& e : ecu_files_) sim << "      - " << e << "\n";
    sim.close();
    sim_ = std::make_unique<DaemonProcess>(
        dir_.path() + "/sim", std::vector<std::string>{"--config", dir_.path() + "/sim/sim.yaml"},
        PharosEcuSim());
    ASSERT_TRUE(sim_->Start());
  }

  // pharos-sovd serving kVehicle through the simulator's entity.
  void StartSovd(std::vector<std::string> args = {}, const std::string& extra_yaml = "") {
    std::filesystem::create_directories(dir_.path() + "/sovd");
    std::string path = dir_.path() + "/sovd/sovd.yaml";
    std::ofstream out(path);
    out << extra_yaml << "vehicles:\n  - id: " << kVehicle
        << "\n    entities:\n      - name: gateway\n        host: 127.0.0.1\n        port: "
        << sim_port_ << "\n"
        << sovd_entity_yaml_ << "        ecus:\n";
    for (const std::string& e : ecu_files_) out << "          - " << e << "\n";
    out.close();
    args.insert(args.begin(), {"--config", path});
    sovd_ = std::make_unique<DaemonProcess>(dir_.path() + "/sovd", args, PharosSovd());
    ASSERT_TRUE(sovd_->Start());
    stub_ = ::sovd::vehicle::VehicleService::NewStub(
        grpc::CreateChannel(sovd_->address(), grpc::InsecureChannelCredentials()));
  }

  ::sovd::vehicle::CommandRequest Request(const std::string& name,
                                          const std::map<std::string, std::string>& params = {},
                                          const std::string& vehicle = kVehicle) {
    ::sovd::vehicle::CommandRequest r;
    r.set_command_id(kCommand);
    r.set_vehicle_id(vehicle);
    r.set_command_name(name);
    for (const auto& [k, v] : params) (*r.mutable_command_params())[k] = v;
    return r;
  }

  Outcome Run(const ::sovd::vehicle::CommandRequest& request,
              std::chrono::milliseconds deadline = std::chrono::seconds(20),
              ::sovd::vehicle::VehicleService::Stub* stub = nullptr) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + deadline);
    auto reader = (stub ? stub : stub_.get())->ExecuteCommand(&ctx, request);
    Outcome out;
    ::sovd::vehicle::CommandResponse r;
    while (reader->Read(&r)) out.chunks.push_back(r);
    out.status = reader->Finish();
    return out;
  }
  Outcome Run(const std::string& name, const std::map<std::string, std::string>& params = {}) {
    return Run(Request(name, params));
  }

  // pharos-ecu-sim's control, as a person would use it.
  std::string Ctl(const std::string& command) {
    std::string out;
    RunCommand(std::string(PHAROS_ECU_SIM_BINARY) + " --control " + dir_.path() +
                   "/sim/control.sock ctl " + command,
               &out);
    return out;
  }

  TempDir dir_;
  std::vector<std::string> ecu_files_;
  int sim_port_ = 0, sim_tls_port_ = 0;
  std::string sovd_entity_yaml_;  // more keys of the entity in sovd.yaml (indented by 8)
  std::unique_ptr<DaemonProcess> sim_;
  std::unique_ptr<DaemonProcess> sovd_;
  std::unique_ptr<::sovd::vehicle::VehicleService::Stub> stub_;
};

}  // namespace pharos::e2e
