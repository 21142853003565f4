// The podman recipe of docs/cni.md, tried as a user would: podman 4.3
// (Debian) on its CNI backend with pharos-cni, containers made from a
// directory (--rootfs with busybox: no images can be fetched here), podman's
// own state kept in the test's directory. Skipped where podman cannot run a
// container at all (the reason is printed).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "e2e/twin_fixture.h"

namespace pharos::e2e {
namespace {

class PodmanTest : public SeedTwinTest {
 protected:
  void SetUp() override {
    SeedTwinTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    std::string out;
    if (RunCommand("command -v podman && command -v runc && test -x /bin/busybox", &out) != 0) {
      GTEST_SKIP() << "podman, runc or busybox-static is not installed (scripts/install-deps.sh "
                      "installs them)";
    }
    std::string d = dir_.path() + "/podman";
    std::filesystem::create_directories(d + "/bin");
    std::filesystem::create_directories(d + "/net.d");
    std::filesystem::create_directories(d + "/rootfs/bin");
    std::filesystem::copy_file(PHAROS_CNI_BINARY, d + "/bin/pharos-cni");
    std::filesystem::permissions(d + "/bin/pharos-cni", std::filesystem::perms::owner_all);
    std::filesystem::copy_file("/bin/busybox", d + "/rootfs/bin/busybox");
    for (const char* tool : {"sh", "sleep", "ip", "ping"}) {
      std::filesystem::create_symlink("busybox", d + "/rootfs/bin/" + tool);
    }
    // The [network] keys docs/cni.md names.
    // (The limits: this machine does not let a container raise its own
    // above the test's; podman's default asks for 1,048,576 open files.)
    std::ofstream(d + "/containers.conf")
        << "[containers]\n"
           "default_ulimits = [\"nofile=1024:1024\", \"nproc=1024:1024\"]\n"
           "[network]\n"
           "network_backend = \"cni\"\n"
           "cni_plugin_dirs = [\""
        << d
        << "/bin\"]\n"
           "network_config_dir = \""
        << d << "/net.d\"\n";
    std::ofstream(d + "/net.d/vehicle.conflist")
        << R"({"cniVersion": "1.0.0", "name": "vehicle", "plugins": [{"type": "pharos-cni", )"
        << R"("vm": "vm1", "subnet": "10.2.1.0/24", "socket": ")" << dir_.path()
        << R"(/cni.sock"}]})";
    podman_ = "CONTAINERS_CONF=" + d + "/containers.conf podman --root " + d + "/storage" +
              " --runroot " + d +
              "/run --storage-driver vfs --runtime runc --cgroup-manager cgroupfs";
    rootfs_ = d + "/rootfs";
    if (int rc = Run("run --rm --network none --rootfs " + rootfs_ + " /bin/sh -c true", &out);
        rc != 0) {
      GTEST_SKIP() << "podman cannot run a container on this machine: " << out;
    }
  }
  void TearDown() override {
    if (!podman_.empty()) {
      std::string out;
      Run("rm -a -f -t 0", &out);  // their namespaces and pharos-cni DELs with them
      // conmon outlives `podman rm` a moment and still writes into podman's
      // directories: wait for every process of ours to go, then remove
      // them here (the fixture's directory removal must find them gone).
      // ("[c]onmon": the shell running pgrep must not match itself.)
      std::string ours = "pgrep -f '[c]onmon.*" + dir_.path() + "/podman'";
      for (int i = 0; i < 100 && RunCommand(ours, &out) == 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      for (int i = 0; i < 20; ++i) {
        std::error_code ec;
        std::filesystem::remove_all(dir_.path() + "/podman", ec);
        if (!ec) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
    SeedTwinTest::TearDown();
  }
  int Run(const std::string& args, std::string* out) {
    return RunCommand(podman_ + " " + args + " 2>&1", out);
  }
  // A container on the vehicle network, by name (pharos-cni's pod name).
  // `ip`: the address to ask for (podman's --ip, CNI_ARGS IP=), "" for any.
  int Start(const std::string& name, std::string* out, const std::string& ip = "") {
    return Run("run -d --name " + name + " --network vehicle" + (ip.empty() ? "" : " --ip " + ip) +
                   " --rootfs " + rootfs_ + " /bin/sleep 600",
               out);
  }

  std::string podman_, rootfs_;
};

TEST_F(PodmanTest, ContainersJoinTheVehicleAndAnAddressGivenAgainAnswersAtOnce) {
  constexpr int kContainers = 5;
  std::string out;
  for (int i = 0; i < kContainers; ++i) {
    ASSERT_EQ(Start("old" + std::to_string(i), &out), 0) << out;
  }
  std::map<std::string, std::string> leases = LeaseIps();
  std::set<std::string> first;
  for (int i = 0; i < kContainers; ++i) {
    std::string ip = leases["old" + std::to_string(i)];
    ASSERT_FALSE(ip.empty()) << "old" << i << " has no lease";
    first.insert(ip);
    EXPECT_TRUE(Ping("perception-pod", ip)) << ip;
  }
  // From inside a container too, with podman's own exec.
  ASSERT_EQ(Run("exec old0 /bin/ping -c 1 -W 1 10.2.1.2", &out), 0) << out;
  std::string names;
  for (int i = 0; i < kContainers; ++i) names += " old" + std::to_string(i);
  ASSERT_EQ(Run("rm -f -t 0" + names, &out), 0) << out;
  EXPECT_TRUE(LeaseIps().empty()) << "podman rm did not release the addresses (CNI DEL)";
  // Fresh addresses go first; containers asking for the old ones get them.
  int k = 0;
  for (const auto& ip : first) {
    ASSERT_EQ(Start("new" + std::to_string(k++), &out, ip), 0) << out;
  }
  std::set<std::string> again;
  for (const auto& [pod, ip] : LeaseIps()) again.insert(ip);
  ASSERT_EQ(again, first) << "the freed addresses were not handed out again: nothing tested";
  int late = 0;
  for (const auto& ip : again) late += Ping("perception-pod", ip) ? 0 : 1;  // 1 s each
  EXPECT_EQ(late, 0) << late << " of " << kContainers << " new containers did not answer in 1 s";
}

TEST_F(PodmanTest, AContainerNamedLikeAComponentOfTheVehicleIsRefusedWithTheReason) {
  std::string out;
  EXPECT_EQ(Start("control-pod", &out), 126);  // podman: the container cannot be started
  EXPECT_NE(out.find("pod_name 'control-pod' is already a component of the vehicle"),
            std::string::npos)
      << out;
  EXPECT_EQ(LeaseIps().count("control-pod"), 0u);
}

}  // namespace
}  // namespace pharos::e2e
