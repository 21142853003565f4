// Runs the reference CNI `bridge` plugin the way a container runtime does,
// for the benchmarks that compare Pharos with it.
#pragma once

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "netlink/netns.h"

namespace pharos::bench {

inline constexpr char kCniBridge[] = "/usr/lib/cni/bridge";

// CNI 1.0.0 config: bridge `<prefix>br` + host-local IPAM on `subnet`, leases
// in `data_dir`; no iptables (ipMasq off).
inline std::string CniConfig(const std::string& prefix, const std::string& subnet,
                             const std::string& data_dir) {
  return "{\"cniVersion\":\"1.0.0\",\"name\":\"" + prefix +
         "net\",\"type\":\"bridge\","
         "\"bridge\":\"" +
         prefix +
         "br\",\"isGateway\":true,\"ipMasq\":false,"
         "\"ipam\":{\"type\":\"host-local\",\"subnet\":\"" +
         subnet + "\",\"dataDir\":\"" + data_dir + "\"}}";
}

// Runs a CNI plugin (`plugin`: its path) like a runtime: env + config on
// stdin, spawned (posix_spawn, no copy of this process's memory) from
// inside the CNI "host" namespace (`host_ns`, "" for this process's), which
// the child inherits. Returns the milliseconds of the ADD, -1 on failure.
inline double CniAdd(const std::string& plugin, const std::string& host_ns,
                     const std::string& pod_ns, const std::string& id, const std::string& config) {
  int in[2];
  if (pipe2(in, O_CLOEXEC) < 0) return -1;
  std::vector<std::string> env = {
      "CNI_COMMAND=ADD",
      "CNI_CONTAINERID=" + id,
      "CNI_NETNS=" + std::string(pharos::netlink::kNetnsDirectory) + "/" + pod_ns,
      "CNI_IFNAME=eth0",
      "CNI_PATH=/usr/lib/cni",
      "PATH=/usr/sbin:/usr/bin:/sbin:/bin"};
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  char arg0[] = "cni-plugin";
  char* argv[] = {arg0, nullptr};
  auto start = std::chrono::steady_clock::now();
  pid_t pid = -1;
  int rc;
  {
    auto inside = pharos::netlink::ScopedNetns::Enter(host_ns);
    if (!inside.ok()) return -1;
    rc = posix_spawn(&pid, plugin.c_str(), &actions, nullptr, argv, envp.data());
  }
  posix_spawn_file_actions_destroy(&actions);
  close(in[0]);
  if (rc != 0) {
    close(in[1]);
    return -1;
  }
  (void)!write(in[1], config.data(), config.size());
  close(in[1]);
  int status = 0;
  waitpid(pid, &status, 0);
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? ms : -1;
}

}  // namespace pharos::bench
