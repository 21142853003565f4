// pharosd needs no privilege to plan: started as an unprivileged user
// (nobody, when the test runs as root) it stores versions, answers status
// and refuses what only a real dataplane can do, with a clear message.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "e2e/daemon_process.h"

namespace pharos::e2e {
namespace {

constexpr uid_t kNobody = 65534;
constexpr gid_t kNogroup = 65534;

// The real user id of a process, from /proc.
long UidOf(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Uid:", 0) == 0) return std::stol(line.substr(4));
  }
  return -1;
}

TEST(UnprivilegedE2eTest, APlanDaemonRunsWithoutPrivilegeAndIsDriven) {
  TempDir dir;
  DaemonProcess daemon(dir.path() + "/state");
  bool root = geteuid() == 0;
  if (root) daemon.RunAs(kNobody, kNogroup);
  ASSERT_TRUE(daemon.Start());
  EXPECT_EQ(UidOf(daemon.pid()), root ? static_cast<long>(kNobody) : static_cast<long>(getuid()));
  auto ctl = [&](const std::string& args, std::string* out) {
    return RunCommand(
        std::string(PHAROSCTL_BINARY) + " --no-color --server " + daemon.address() + " " + args,
        out);
  };
  std::string out;
  std::string vehicle = std::string(PHAROS_EXAMPLES_DIR) + "/vehicle.yaml";
  ASSERT_EQ(ctl("apply " + vehicle, &out), 0) << out << daemon.Log();
  EXPECT_NE(out.find("version 1"), std::string::npos) << out;
  ASSERT_EQ(ctl("status pod -o json", &out), 0) << out;
  EXPECT_NE(out.find("perception-pod"), std::string::npos) << out;
  ASSERT_EQ(ctl("versions", &out), 0) << out;
  EXPECT_NE(out.find("active"), std::string::npos) << out;
  // Real packets need a real dataplane; the refusal says which flag.
  EXPECT_NE(ctl("test perception-pod control-pod", &out), 0) << out;
  EXPECT_NE(out.find("--dataplane=plan"), std::string::npos) << out;
  // State survives a restart of the unprivileged daemon.
  EXPECT_EQ(daemon.Stop(), 0);
  ASSERT_TRUE(daemon.Start());
  ASSERT_EQ(ctl("status soc1", &out), 0) << out;
  EXPECT_NE(out.find("soc1"), std::string::npos) << out;
}

}  // namespace
}  // namespace pharos::e2e
