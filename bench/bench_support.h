// Small helpers the root benchmarks share: timing, files, shell commands
// and an iperf3 run between two namespaces.
#pragma once

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

namespace pharos::bench {

using Clock = std::chrono::steady_clock;

inline double Ms(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

inline std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), {}};
}

// The exit status of a shell command.
inline int Run(const std::string& command) { return std::system(command.c_str()); }

// What a shell command prints on stdout.
inline std::string Output(const std::string& command) {
  FILE* p = popen(command.c_str(), "r");
  if (!p) return "";
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

// Gbit/s an iperf3 server (port 5201, one test) in `server_netns` received
// from a 3 s client in `client_netns` sending to target:port; 0 on failure.
inline double IperfGbps(const std::string& server_netns, const std::string& client_netns,
                        const std::string& target, int port) {
  if (Run(fmt::format("ip netns exec {} iperf3 -s -1 -D -p 5201", server_netns)) != 0) return 0;
  usleep(300 * 1000);
  std::string out = Output(fmt::format("ip netns exec {} iperf3 -c {} -p {} -t 3 -J 2>/dev/null",
                                       client_netns, target, port));
  nlohmann::json j = nlohmann::json::parse(out, nullptr, false);
  if (!j.is_object() || !j.contains("end")) return 0;
  return j["end"]["sum_received"]["bits_per_second"].get<double>() / 1e9;
}

}  // namespace pharos::bench
