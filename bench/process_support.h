// Child processes for the benchmarks that drive a daemon of their own:
// spawn it (killed with the benchmark), stop it, read its memory.
#pragma once

#include <fmt/format.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "bench_support.h"

namespace pharos::bench {

// A child process, killed with the benchmark.
inline pid_t Spawn(const std::vector<std::string>& argv, const std::string& log) {
  pid_t pid = fork();
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    FILE* f = freopen(log.c_str(), "w", stdout);
    f = freopen(log.c_str(), "a", stderr);
    (void)f;
    std::vector<char*> raw;
    for (const auto& a : argv) raw.push_back(const_cast<char*>(a.c_str()));
    raw.push_back(nullptr);
    execvp(raw[0], raw.data());
    _exit(127);
  }
  return pid;
}

inline void Stop(pid_t pid) {
  if (pid <= 0) return;
  kill(pid, SIGTERM);
  waitpid(pid, nullptr, 0);
}

inline long RssKb(pid_t pid) {
  std::string status = ReadAll(fmt::format("/proc/{}/status", pid));
  auto at = status.find("VmRSS:");
  return at == std::string::npos ? 0 : std::stol(status.substr(at + 6));
}

// Reads the first line of a ready file (an address), waiting up to 5 s.
inline std::string WaitForReadyFile(const std::string& path) {
  for (int i = 0; i < 100; ++i) {
    std::string text = ReadAll(path);
    if (!text.empty()) return text;
    usleep(50 * 1000);
  }
  return "";
}

}  // namespace pharos::bench
