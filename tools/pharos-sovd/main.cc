// pharos-sovd: vehicle diagnostics. Serves sovd.vehicle.VehicleService
// (seed 001) over UDS on DoIP until SIGTERM or SIGINT (docs/sovd.md).
#include <signal.h>
#include <spdlog/spdlog.h>

#include <cstdio>

#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "common/ready_file.h"
#include "daemon/logging.h"
#include "sovd/server/sovd_server.h"

int main(int argc, char** argv) {
  // abseil's deadlock detection (on in Debian's build) costs every gRPC
  // lock a graph update; Pharos's own locks are tested without it.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  pharos::sovd::server::SovdOptions options;
  if (auto code = pharos::sovd::server::ParseSovdOptions(argc, argv, options)) return *code;
  if (!pharos::ConfigureLogging(options.log_level, options.log_format)) {
    fprintf(stderr, "pharos-sovd: bad --log-level or --log-format\n");
    return 2;
  }
  pharos::SystemClock clock;
  auto server = pharos::sovd::server::SovdServer::Start(options, clock);
  if (!server.ok()) {
    spdlog::error("{}", std::string(server.status().message()));
    bool usage = absl::IsInvalidArgument(server.status()) || absl::IsNotFound(server.status());
    return usage ? 2 : 1;
  }
  if (!options.ready_file.empty()) {
    // A further line names the REST view: "rest=host:port".
    std::vector<std::string> lines{(*server)->address()};
    if (std::string rest = (*server)->rest_address(); !rest.empty())
      lines.push_back("rest=" + rest);
    pharos::WriteReadyFile(options.ready_file, lines);
  }
  int received = 0;
  sigwait(&signals, &received);
  spdlog::info("signal {} received: shutting down", received);
  (*server)->Shutdown();
  server->reset();
  return 0;
}
