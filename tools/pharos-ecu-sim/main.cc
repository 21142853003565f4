// pharos-ecu-sim: simulated ECUs behind DoIP entities, so the twin (and the
// tests) have real diagnostic endpoints. `pharos-ecu-sim --config sim.yaml`
// serves; `pharos-ecu-sim ctl --control PATH inject engine P0101` changes a
// running one (docs/sovd.md "pharos-ecu-sim").
#include <signal.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <thread>

#include "common/clock.h"
#include "common/ready_file.h"
#include "daemon/logging.h"
#include "sovd/sim/sim_config.h"
#include "sovd/sim/sim_control.h"

namespace {

using namespace pharos::sovd;

int Control(const std::string& path, const std::vector<std::string>& words) {
  std::string line;
  for (const std::string& w : words) line += (line.empty() ? "" : " ") + w;
  absl::StatusOr<std::string> reply = sim::SendControl(path, line);
  if (!reply.ok()) {
    fprintf(stderr, "pharos-ecu-sim ctl: %s\n", std::string(reply.status().message()).c_str());
    return 1;
  }
  printf("%s\n", reply->c_str());
  return reply->rfind("ok", 0) == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"pharos-ecu-sim: simulated ECUs behind DoIP entities (ISO 13400-2, ISO 14229-1)"};
  app.set_version_flag("-V,--version", std::string("pharos-ecu-sim ") + PHAROS_VERSION);
  std::string config_path, control_path, ready_file, log_level = "info", log_format = "text";
  app.add_option("--config", config_path, "the entities and their ECU description files (YAML)");
  app.add_option("--control", control_path, "unix socket for run-time control (ctl)");
  app.add_option("--ready-file", ready_file,
                 "written once serving: one line per entity, NAME ADDRESS:PORT [tls=PORT]");
  app.add_option("--log-level", log_level, "trace|debug|info|warn|error")->capture_default_str();
  app.add_option("--log-format", log_format, "text|json")->capture_default_str();
  CLI::App* ctl = app.add_subcommand("ctl", "send one control command to a running simulator");
  std::vector<std::string> words;
  ctl->add_option("command", words,
                  "inject ECU DTC [STATUS] | clear ECU | set ECU DID VALUE | nrc ECU SID NRC|off "
                  "| delay ECU MS [PENDING_MS] | stats ECU | list")
      ->required();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (*ctl) {
    if (control_path.empty()) {
      fprintf(stderr, "pharos-ecu-sim ctl: give --control PATH (before ctl)\n");
      return 2;
    }
    return Control(control_path, words);
  }
  if (config_path.empty()) {
    fprintf(stderr, "pharos-ecu-sim: --config is required\n");
    return 2;
  }
  if (!pharos::ConfigureLogging(log_level, log_format)) {
    fprintf(stderr, "pharos-ecu-sim: bad --log-level or --log-format\n");
    return 2;
  }
  absl::StatusOr<sim::SimConfig> config = sim::LoadSimConfig(config_path);
  if (!config.ok()) {
    fprintf(stderr, "pharos-ecu-sim: %s\n", std::string(config.status().message()).c_str());
    return 2;
  }

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  pharos::SystemClock clock;
  asio::io_context io;
  std::vector<std::unique_ptr<sim::DoipEntity>> entities;
  std::vector<sim::DoipEntity*> pointers;
  for (sim::EntityConfig& entity : config->entities) {
    std::vector<std::unique_ptr<sim::SimulatedEcu>> ecus;
    for (ecu::EcuDescription& description : entity.ecus) {
      ecus.push_back(std::make_unique<sim::SimulatedEcu>(std::move(description), clock));
    }
    entities.push_back(std::make_unique<sim::DoipEntity>(io, entity.options, std::move(ecus)));
    if (absl::Status s = entities.back()->Start(); !s.ok()) {
      spdlog::error("{}", std::string(s.message()));
      return 1;
    }
    pointers.push_back(entities.back().get());
  }
  sim::ControlServer control(io, pointers);
  if (!control_path.empty()) {
    if (absl::Status s = control.Listen(control_path); !s.ok()) {
      spdlog::error("{}", std::string(s.message()));
      return 1;
    }
  }
  if (!ready_file.empty()) {
    std::vector<std::string> lines;
    for (sim::DoipEntity* entity : pointers) {
      std::string line = entity->options().name + " " + entity->options().address + ":" +
                         std::to_string(entity->tcp_port());
      if (entity->tls_port() != 0) line += " tls=" + std::to_string(entity->tls_port());
      lines.push_back(std::move(line));
    }
    pharos::WriteReadyFile(ready_file, lines);
  }
  std::thread runner([&] {
    auto guard = asio::make_work_guard(io);
    io.run();
  });
  int received = 0;
  sigwait(&signals, &received);
  spdlog::info("signal {} received: shutting down", received);
  asio::post(io, [&] {
    for (auto& entity : entities) entity->Stop();
    io.stop();
  });
  runner.join();
  return 0;
}
