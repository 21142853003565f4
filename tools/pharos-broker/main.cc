// pharos-broker: the vehicle signal broker. Parses its options (KUKSA's
// command line), starts the BrokerServer, serves until SIGTERM or SIGINT.
#include <signal.h>
#include <spdlog/spdlog.h>

#include <cstdio>

#include "broker/server/broker_server.h"
#include "common/clock.h"
#include "common/ready_file.h"
#include "daemon/logging.h"

int main(int argc, char** argv) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  pharos::broker::BrokerServerOptions options;
  if (auto code = pharos::broker::ParseBrokerOptions(argc, argv, options)) return *code;
  if (!pharos::ConfigureLogging(options.log_level, options.log_format)) {
    fprintf(stderr, "pharos-broker: bad --log-level or --log-format\n");
    return 2;
  }
  pharos::SystemClock clock;
  auto server = pharos::broker::BrokerServer::Start(options, clock);
  if (!server.ok()) {
    spdlog::error("{}", std::string(server.status().message()));
    bool usage = absl::IsInvalidArgument(server.status()) || absl::IsNotFound(server.status());
    return usage ? 2 : 1;
  }
  if (!options.ready_file.empty()) {
    // Further lines name the other front ends: "viss=host:port",
    // "viss_mqtt=VIN/Vehicle" (the request topic).
    std::vector<std::string> lines{(*server)->address()};
    if (std::string viss = (*server)->viss_address(); !viss.empty())
      lines.push_back("viss=" + viss);
    if (std::string topic = (*server)->viss_mqtt_topic(); !topic.empty()) {
      lines.push_back("viss_mqtt=" + topic);
    }
    pharos::WriteReadyFile(options.ready_file, lines);
  }
  int received = 0;
  sigwait(&signals, &received);
  spdlog::info("signal {} received: shutting down", received);
  (*server)->Shutdown();
  server->reset();
  return 0;
}
