// pharosd: parses its options, builds the Daemon (every part, in order),
// serves until SIGTERM or SIGINT, and stops.
#include <signal.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "common/clock.h"
#include "daemon/daemon.h"
#include "daemon/daemon_options.h"
#include "daemon/logging.h"

namespace {

// Written once serving, so a script can wait for it (and learn port 0's pick).
void WriteReadyFile(const std::string& path, const std::string& address) {
  std::string tmp = path + ".tmp";
  std::ofstream(tmp) << address << "\n";
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
}

}  // namespace

int main(int argc, char** argv) {
  // Block the shutdown signals before any thread starts, so only the
  // sigwait below receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  pharos::DaemonOptions options;
  if (auto code = pharos::ParseDaemonOptions(argc, argv, options)) return *code;
  if (!pharos::ConfigureLogging(options.log_level, options.log_format)) {
    fprintf(stderr, "pharosd: bad --log-level or --log-format\n");
    return 2;
  }
  pharos::SystemClock clock;
  absl::StatusOr<std::unique_ptr<pharos::Daemon>> daemon = pharos::Daemon::Start(options, clock);
  if (!daemon.ok()) {
    spdlog::error("{}", std::string(daemon.status().message()));
    // A bad flag or file is the caller's to fix (2); anything else is 1.
    bool usage = absl::IsInvalidArgument(daemon.status()) || absl::IsNotFound(daemon.status()) ||
                 absl::IsPermissionDenied(daemon.status());
    return usage ? 2 : 1;
  }
  if (!options.ready_file.empty()) WriteReadyFile(options.ready_file, (*daemon)->address());

  int received = 0;
  sigwait(&signals, &received);
  spdlog::info("signal {} received: shutting down", received);
  // A call may be in the middle of long work that no deadline interrupts
  // (a dataplane apply): past the bound, exit anyway. Nothing is lost:
  // every acknowledged change is durable, and the next start converges.
  std::thread([timeout = options.shutdown_timeout_seconds] {
    std::this_thread::sleep_for(std::chrono::seconds(timeout));
    spdlog::error("shutdown did not finish within {} s (--shutdown-timeout-seconds): exiting now",
                  timeout);
    spdlog::default_logger()->flush();
    std::_Exit(1);
  }).detach();
  (*daemon)->Shutdown();  // in-flight calls finish (5 s)
  daemon->reset();        // the parts stop, in reverse order
  return 0;
}
