// pharos-cni driven exactly as a container runtime drives a CNI plugin:
// a namespace the runtime (here: the test) made, a cleared environment
// with the CNI_* variables, the network configuration on stdin, the
// plugin's stdout and exit code read back; results checked against JSON
// schemas written from the CNI 1.0.0 specification (by Debian's python3-jsonschema).
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "e2e/twin_fixture.h"

namespace pharos::e2e {
namespace {

using nlohmann::json;

struct PluginRun {
  int exit_code = -1;
  std::string out;
  json answer;  // stdout parsed; null when it was empty
};

class CniPluginTest : public SeedTwinTest {
 protected:
  void SetUp() override {
    SeedTwinTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    config_ = {{"cniVersion", "1.0.0"},
               {"name", "vehicle"},
               {"type", "pharos-cni"},
               {"socket", dir_.path() + "/cni.sock"},
               {"vm", "vm1"},
               {"subnet", "10.2.1.0/24"},
               {"namespace", "planning"}};
  }
  void TearDown() override {
    SeedTwinTest::TearDown();
    RemoveNamespacesWithPrefix(runtime_prefix_);
  }

  // A namespace as a runtime makes it (never with pharosd's prefix).
  std::string RuntimeNamespace(const std::string& name) {
    std::string ns = runtime_prefix_ + name;
    std::string out;
    EXPECT_EQ(RunCommand("ip netns add " + ns, &out), 0) << out;
    return ns;
  }

  PluginRun Plugin(const std::string& command, const std::string& container,
                   const std::string& netns, const json& config, const std::string& args = "") {
    static std::atomic<int> serial{0};
    std::string stdin_file = dir_.path() + "/conf-" + std::to_string(serial++) + ".json";
    std::ofstream(stdin_file) << config.dump();
    std::string env = "env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin CNI_COMMAND=" + command +
                      " CNI_PATH=/opt/cni/bin CNI_IFNAME=eth0";
    if (!container.empty()) env += " CNI_CONTAINERID=" + container;
    if (!netns.empty()) env += " CNI_NETNS=/run/netns/" + netns;
    if (!args.empty()) env += " 'CNI_ARGS=" + args + "'";
    PluginRun run;
    run.exit_code = RunCommand(env + " " + PHAROS_CNI_BINARY + " < " + stdin_file, &run.out);
    if (!run.out.empty()) run.answer = json::parse(run.out, nullptr, false);
    return run;
  }

  // Validates with python3-jsonschema against tests/fixtures/cni/<schema>.
  ::testing::AssertionResult MatchesSchema(const json& j, const std::string& schema) {
    static std::atomic<int> serial{0};
    std::string file = dir_.path() + "/answer-" + std::to_string(serial++) + ".json";
    std::ofstream(file) << j.dump();
    std::string out;
    int rc = RunCommand(
        "/usr/bin/python3 -c 'import json, sys, jsonschema; "
        "jsonschema.validate(json.load(open(sys.argv[1])), json.load(open(sys.argv[2])))' " +
            file + " " + PHAROS_FIXTURES_DIR + "/cni/" + schema,
        &out);
    if (rc == 0) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << schema << ": " << out << "\n" << j.dump(2);
  }

  std::string runtime_prefix_ = "rt" + prefix_;
  json config_;
};

TEST_F(CniPluginTest, AddCheckDelExactlyAsARuntimeDoes) {
  PluginRun version = Plugin("VERSION", "", "", config_);
  ASSERT_EQ(version.exit_code, 0) << version.out;
  EXPECT_TRUE(MatchesSchema(version.answer, "version.schema.json"));

  std::string ns = RuntimeNamespace("web");
  PluginRun add = Plugin("ADD", "3f9c2a7e11d04b5c", ns, config_, "K8S_POD_NAME=web-0");
  ASSERT_EQ(add.exit_code, 0) << add.out;
  ASSERT_TRUE(MatchesSchema(add.answer, "result-1.0.0.schema.json"));
  const json& r = add.answer;
  ASSERT_EQ(r["interfaces"].size(), 1u);
  EXPECT_EQ(r["interfaces"][0]["name"], "eth0");
  EXPECT_EQ(r["interfaces"][0]["sandbox"], "/run/netns/" + ns);
  ASSERT_EQ(r["ips"].size(), 1u);
  EXPECT_EQ(r["ips"][0]["interface"], 0);
  EXPECT_EQ(r["ips"][0]["gateway"], "10.2.1.1");
  std::string address = r["ips"][0]["address"];
  std::string ip = address.substr(0, address.find('/'));
  EXPECT_EQ(address.rfind("10.2.1.", 0), 0u) << address;
  EXPECT_EQ(address.substr(address.find('/')), "/24");
  EXPECT_NE(ip, "10.2.1.2");  // the seed's pods keep theirs
  EXPECT_NE(ip, "10.2.1.3");
  bool has_default = false;
  for (const auto& route : r["routes"]) has_default |= route["dst"] == "0.0.0.0/0";
  EXPECT_TRUE(has_default) << r.dump(2);

  // The kernel agrees with the result: the MAC, and real packets both ways.
  std::string link;
  ASSERT_EQ(RunCommand("ip -n " + ns + " -br link show eth0", &link), 0) << link;
  EXPECT_NE(link.find(r["interfaces"][0]["mac"].get<std::string>()), std::string::npos) << link;
  std::string out;
  EXPECT_EQ(RunCommand("ip netns exec " + ns + " ping -c 1 -W 1 10.2.1.2", &out), 0) << out;
  EXPECT_TRUE(Ping("perception-pod", ip));
  EXPECT_EQ(LeaseIps()["web-0"], ip);

  // A repeated ADD (a runtime retrying) changes nothing.
  PluginRun again = Plugin("ADD", "3f9c2a7e11d04b5c", ns, config_, "K8S_POD_NAME=web-0");
  ASSERT_EQ(again.exit_code, 0) << again.out;
  EXPECT_EQ(again.answer["ips"], r["ips"]);

  // CHECK with the ADD's result as prevResult: silent success.
  json check_config = config_;
  check_config["prevResult"] = r;
  PluginRun check = Plugin("CHECK", "3f9c2a7e11d04b5c", ns, check_config);
  EXPECT_EQ(check.exit_code, 0) << check.out;
  EXPECT_TRUE(check.out.empty()) << check.out;
  // ... and a failure when prevResult says something else.
  json wrong = check_config;
  wrong["prevResult"]["ips"][0]["address"] = "10.2.1.250/24";
  PluginRun mismatch = Plugin("CHECK", "3f9c2a7e11d04b5c", ns, wrong);
  EXPECT_EQ(mismatch.exit_code, 1);
  EXPECT_TRUE(MatchesSchema(mismatch.answer, "error-1.0.0.schema.json"));
  EXPECT_EQ(mismatch.answer["code"], 103);

  // DEL: the interface leaves the runtime's namespace, which stays (it is
  // the runtime's); the address is released; a second DEL is fine too.
  PluginRun del = Plugin("DEL", "3f9c2a7e11d04b5c", ns, config_);
  EXPECT_EQ(del.exit_code, 0) << del.out;
  EXPECT_NE(RunCommand("ip -n " + ns + " link show eth0", &out), 0) << out;
  EXPECT_EQ(RunCommand("ip -n " + ns + " link show lo", &out), 0) << out;
  EXPECT_TRUE(LeaseIps().empty());
  auto names = NamespacesWithPrefix(prefix_);
  EXPECT_EQ(std::find(names.begin(), names.end(), prefix_ + "web-0"), names.end());
  EXPECT_FALSE(Ping("perception-pod", ip));
  PluginRun del_again = Plugin("DEL", "3f9c2a7e11d04b5c", "", config_);
  EXPECT_EQ(del_again.exit_code, 0) << del_again.out;
  // CHECK of what is gone: the container is unknown.
  PluginRun gone = Plugin("CHECK", "3f9c2a7e11d04b5c", ns, check_config);
  EXPECT_EQ(gone.exit_code, 1);
  EXPECT_EQ(gone.answer["code"], 3);
}

TEST_F(CniPluginTest, APodWhoseRuntimeNamespaceVanishedIsReleasedOnStart) {
  std::string keep = RuntimeNamespace("keep"), lost = RuntimeNamespace("lost");
  ASSERT_EQ(Plugin("ADD", "aaaa1", keep, config_, "K8S_POD_NAME=keep").exit_code, 0);
  ASSERT_EQ(Plugin("ADD", "aaaa2", lost, config_, "K8S_POD_NAME=lost").exit_code, 0);
  // pharosd dies; meanwhile the runtime drops one namespace without a DEL.
  daemon_->Kill9();
  std::string out;
  ASSERT_EQ(RunCommand("ip netns del " + lost, &out), 0) << out;
  StartDaemon();
  std::map<std::string, std::string> leases;
  for (int i = 0; i < 50; ++i) {
    leases = LeaseIps();
    if (leases.size() == 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(leases.size(), 1u);
  EXPECT_TRUE(leases.count("keep"));
  // The lost pod's name is gone too; the kept one still works.
  auto names = NamespacesWithPrefix(prefix_);
  EXPECT_EQ(std::find(names.begin(), names.end(), prefix_ + "lost"), names.end());
  EXPECT_EQ(RunCommand("ip netns exec " + keep + " ping -c 1 -W 1 10.2.1.2", &out), 0) << out;
  EXPECT_NE(daemon_->Log().find("released pod lost"), std::string::npos);
}

TEST_F(CniPluginTest, ErrorsComeBackInTheCniFormatWithTheRightCodes) {
  std::string ns = RuntimeNamespace("bad");
  struct Case {
    std::string what;
    json config;
    std::string netns;
    int code;
    std::string says;
  };
  json unknown_vm = config_, old_version = config_, no_subnet = config_, no_daemon = config_;
  unknown_vm["vm"] = "vm9";
  old_version["cniVersion"] = "9.9.9";
  no_subnet.erase("subnet");
  no_daemon["socket"] = dir_.path() + "/nobody.sock";
  std::vector<Case> cases = {
      {"unknown VM", unknown_vm, ns, 7, "vm9"},
      {"unsupported version", old_version, ns, 1, "9.9.9"},
      {"no subnet", no_subnet, ns, 7, "subnet"},
      {"no CNI_NETNS", config_, "", 4, "CNI_NETNS"},
      {"pharosd unreachable", no_daemon, ns, 11, "not reachable"},
      // Refused before anything is leased, as CNI's "invalid environment".
      {"not a namespace", config_, "../../etc/hostname", 4, "not a network namespace"},
  };
  for (const auto& c : cases) {
    PluginRun run = Plugin("ADD", "c0ffee" + std::to_string(c.code), c.netns, c.config);
    EXPECT_EQ(run.exit_code, 1) << c.what << ": " << run.out;
    EXPECT_TRUE(MatchesSchema(run.answer, "error-1.0.0.schema.json")) << c.what;
    EXPECT_EQ(run.answer.value("code", 0), c.code) << c.what << ": " << run.out;
    EXPECT_NE(run.out.find(c.says), std::string::npos) << c.what << ": " << run.out;
  }
  // Nothing half-made: no lease, no namespace for any of them.
  EXPECT_TRUE(LeaseIps().empty());
  for (const auto& name : NamespacesWithPrefix(prefix_)) {
    EXPECT_EQ(name.find("cni-c0ffee"), std::string::npos) << name;
  }
  std::string out;
  EXPECT_NE(RunCommand("ip -n " + ns + " link show eth0", &out), 0) << out;
}

TEST_F(CniPluginTest, TenContainersAddedAtOnceGetDistinctReachableAddresses) {
  constexpr int kContainers = 10;
  std::vector<std::string> namespaces;
  for (int i = 0; i < kContainers; ++i) namespaces.push_back(RuntimeNamespace(std::to_string(i)));
  std::vector<PluginRun> runs(kContainers);
  std::vector<std::thread> runtime;
  for (int i = 0; i < kContainers; ++i) {
    runtime.emplace_back(
        [&, i] { runs[i] = Plugin("ADD", "beef" + std::to_string(i), namespaces[i], config_); });
  }
  for (auto& t : runtime) t.join();
  std::set<std::string> addresses;
  for (int i = 0; i < kContainers; ++i) {
    ASSERT_EQ(runs[i].exit_code, 0) << runs[i].out;
    std::string address = runs[i].answer["ips"][0]["address"];
    addresses.insert(address);
    std::string out;
    EXPECT_EQ(RunCommand("ip netns exec " + namespaces[i] + " ping -c 1 -W 1 10.2.1.3", &out), 0)
        << namespaces[i] << ": " << out;
  }
  EXPECT_EQ(addresses.size(), static_cast<size_t>(kContainers));
  for (int i = 0; i < kContainers; ++i) {
    EXPECT_EQ(Plugin("DEL", "beef" + std::to_string(i), namespaces[i], config_).exit_code, 0);
  }
  EXPECT_TRUE(LeaseIps().empty());
}

}  // namespace
}  // namespace pharos::e2e
