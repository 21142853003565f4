// pharosctl as a person or a script uses it: exit codes and output.
#include <gtest/gtest.h>

#include <fstream>

#include "e2e/daemon_process.h"

namespace pharos::e2e {
namespace {

class PharosctlE2eTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(daemon_.Start()); }
  int Ctl(const std::string& args, std::string* out) {
    return RunCommand(
        std::string(PHAROSCTL_BINARY) + " --no-color --server " + daemon_.address() + " " + args,
        out);
  }
  std::string Example(const std::string& name) {
    return std::string(PHAROS_EXAMPLES_DIR) + "/" + name;
  }
  std::string Fixture(const std::string& name) {
    return std::string(PHAROS_FIXTURES_DIR) + "/" + name;
  }
  TempDir dir_;
  DaemonProcess daemon_{dir_.path()};
};

TEST_F(PharosctlE2eTest, ValidateExplainsFindings) {
  std::string out;
  EXPECT_EQ(Ctl("validate " + Fixture("outside_subnet.yaml"), &out), 1) << out;
  EXPECT_NE(out.find("outside_subnet.yaml:9:15: error: vm vm1 address 10.3.0.10 is outside its "
                     "subnet 10.2.0.0/24"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("at vehicle.socs[0].vms[0].ip"), std::string::npos) << out;
  EXPECT_NE(out.find("9 |           ip: \"10.3.0.10\""), std::string::npos) << out;
  EXPECT_NE(out.find("fix: "), std::string::npos) << out;
  EXPECT_EQ(Ctl("validate " + Fixture("syntax_error.yaml"), &out), 1) << out;
  EXPECT_NE(out.find("not valid YAML"), std::string::npos) << out;
  EXPECT_EQ(Ctl("validate " + Example("vehicle.yaml"), &out), 0) << out;
  EXPECT_NE(out.find("valid: 0 warning(s)"), std::string::npos) << out;
}

TEST_F(PharosctlE2eTest, ApplyVersionsStatusDiffRollback) {
  std::string out;
  ASSERT_EQ(Ctl("apply " + Example("vehicle.yaml"), &out), 0) << out;
  EXPECT_NE(out.find("version 1"), std::string::npos) << out;
  EXPECT_EQ(Ctl("apply " + Fixture("overlap.yaml"), &out), 1) << out;
  EXPECT_NE(out.find("not applied"), std::string::npos) << out;

  ASSERT_EQ(Ctl("status pod", &out), 0) << out;
  EXPECT_NE(out.find("perception-pod"), std::string::npos);
  EXPECT_NE(out.find("planned"), std::string::npos);
  EXPECT_EQ(Ctl("status no-such-thing", &out), 4) << out;

  ASSERT_EQ(Ctl("-o json status soc1", &out), 0) << out;
  EXPECT_NE(out.find("\"ip_address\": \"10.1.0.2\""), std::string::npos) << out;

  ASSERT_EQ(Ctl("diff --file " + Fixture("../fixtures/duplicate_name.yaml") + " 1", &out), 1)
      << out;  // the file does not validate
  ASSERT_EQ(Ctl("versions", &out), 0) << out;
  EXPECT_NE(out.find("* 1"), std::string::npos) << out;
  EXPECT_EQ(Ctl("rollback", &out), 1) << out;  // nothing older than version 1
  EXPECT_EQ(Ctl("rollback 9", &out), 4) << out;
  ASSERT_EQ(Ctl("plan", &out), 0) << out;
  EXPECT_NE(out.find("netns ph-vm1 (vm1) forwarding"), std::string::npos) << out;
}

TEST_F(PharosctlE2eTest, UnreachableServerIsExitCode3) {
  std::string out;
  EXPECT_EQ(RunCommand(std::string(PHAROSCTL_BINARY) + " --server 127.0.0.1:1 status", &out), 3)
      << out;
  EXPECT_NE(out.find("not reachable"), std::string::npos) << out;
}

// `policy explain` works offline from the files, with the code pharosd
// compiles from; `policy status` asks the daemon.
TEST_F(PharosctlE2eTest, PolicyExplainNamesTheDecidingRuleOffline) {
  std::string files = " -f " + Example("vehicle.yaml") + " -f " + Example("security-policy.yaml");
  std::string out;
  ASSERT_EQ(Ctl("-o json policy explain perception-pod control-pod 8080/tcp" + files, &out), 0)
      << out;
  EXPECT_NE(out.find("\"action\": \"allow\""), std::string::npos) << out;
  EXPECT_NE(out.find("\"rule\": \"allow_perception_to_control\""), std::string::npos) << out;
  ASSERT_EQ(Ctl("-o json policy explain perception-pod control-pod 22/tcp" + files, &out), 0);
  EXPECT_NE(out.find("\"action\": \"deny\""), std::string::npos) << out;
  EXPECT_NE(out.find("\"rule\": \"default_action\""), std::string::npos) << out;
  ASSERT_EQ(Ctl("-o json policy explain perception-pod control-pod 8080/udp" + files, &out), 0);
  EXPECT_NE(out.find("\"action\": \"deny\""), std::string::npos) << out;
  // Bad input: exit 2 with a message; unknown endpoint: exit 4.
  EXPECT_EQ(Ctl("policy explain perception-pod control-pod 8080/sctp" + files, &out), 2) << out;
  EXPECT_EQ(Ctl("policy explain perception-pod nowhere 80/tcp" + files, &out), 4) << out;
  // tls_verified: only the TLS ingress's connections, from the cloud gateway.
  TempDir dir;
  std::string vehicle = ReadFile(Example("vehicle.yaml"));
  vehicle.replace(vehicle.find("              namespace: control\n"), 0,
                  "              services: [{name: update-service, port: 443, protocol: tcp}]\n");
  std::ofstream(dir.path() + "/cloud.yaml")
      << vehicle << "  cloud:\n    subnet: \"10.9.0.0/24\"\n    endpoints:\n"
      << "      - {name: update-server, ip: \"10.9.0.10\"}\n";
  std::string cloud =
      " -f " + dir.path() + "/cloud.yaml -f " + Example("security-policy.yaml");
  ASSERT_EQ(Ctl("-o json policy explain 10.9.0.1 update-service --tls-ingress" + cloud, &out), 0) << out;
  EXPECT_NE(out.find("\"rule\": \"allow_cloud_updates\""), std::string::npos) << out;
  ASSERT_EQ(Ctl("-o json policy explain 10.9.0.1 update-service" + cloud, &out), 0) << out;
  EXPECT_NE(out.find("\"rule\": \"default_action\""), std::string::npos) << out;
  ASSERT_EQ(Ctl("-o json policy explain update-server update-service --tls-ingress" + cloud, &out), 0);
  EXPECT_NE(out.find("\"rule\": \"default_action\""), std::string::npos) << out;
  // The daemon enforces nothing until a policy is configured.
  ASSERT_EQ(Ctl("policy status", &out), 0) << out;
  EXPECT_NE(out.find("no security policy is enforced"), std::string::npos) << out;
  EXPECT_NE(out.find("TLS ingress: off"), std::string::npos) << out;
}

}  // namespace
}  // namespace pharos::e2e

namespace pharos::e2e {
namespace {

// The habits of kubectl and the cilium CLI: global options anywhere,
// policy and emergency verbs, versions, completion, documented exit codes.
TEST_F(PharosctlE2eTest, GlobalOptionsAfterTheCommandPolicyEmergencyVersionCompletion) {
  std::string out;
  ASSERT_EQ(Ctl("apply " + Example("vehicle.yaml"), &out), 0) << out;
  ASSERT_EQ(Ctl("status soc1 -o json", &out), 0) << out;
  EXPECT_NE(out.find("\"ip_address\": \"10.1.0.2\""), std::string::npos) << out;
  ASSERT_EQ(Ctl("policy apply " + Example("security-policy.yaml"), &out), 0) << out;
  EXPECT_NE(out.find("applied"), std::string::npos) << out;
  ASSERT_EQ(Ctl("policy show", &out), 0) << out;
  EXPECT_NE(out.find("allow_perception_to_control"), std::string::npos) << out;
  EXPECT_NE(out.find("(default)"), std::string::npos) << out;
  EXPECT_NE(out.find("8080"), std::string::npos) << out;
  // A bad policy: findings with their path, exit 1, the old one stays.
  TempDir dir;
  std::ofstream(dir.path() + "/bad.yaml")
      << "security_policy:\n  default_action: deny\n  rules:\n    - name: x\n"
         "      action: allow\n      protocol: carrier-pigeon\n";
  EXPECT_EQ(Ctl("policy apply " + dir.path() + "/bad.yaml", &out), 1) << out;
  EXPECT_NE(out.find("security_policy.rules[0].protocol"), std::string::npos) << out;
  ASSERT_EQ(Ctl("policy show -o json", &out), 0) << out;
  EXPECT_NE(out.find("allow_perception_to_control"), std::string::npos) << out;

  ASSERT_EQ(Ctl("emergency activate minimal", &out), 0) << out;
  EXPECT_NE(out.find("'minimal' is active"), std::string::npos) << out;
  ASSERT_EQ(Ctl("emergency status", &out), 0) << out;
  EXPECT_NE(out.find("minimal"), std::string::npos) << out;
  EXPECT_EQ(Ctl("emergency activate panic", &out), 2) << out;  // not a mode: usage
  ASSERT_EQ(Ctl("emergency deactivate", &out), 0) << out;
  ASSERT_EQ(Ctl("emergency status", &out), 0) << out;
  EXPECT_NE(out.find("no emergency mode is active"), std::string::npos) << out;

  ASSERT_EQ(Ctl("version", &out), 0) << out;
  EXPECT_NE(out.find("client: pharosctl " PHAROS_VERSION), std::string::npos) << out;
  EXPECT_NE(out.find("server: pharosd " PHAROS_VERSION), std::string::npos) << out;
  EXPECT_NE(out.find("plan dataplane"), std::string::npos) << out;

  ASSERT_EQ(Ctl("completion bash", &out), 0) << out;
  EXPECT_NE(out.find("complete -o default -F _pharosctl pharosctl"), std::string::npos);
  EXPECT_NE(out.find("[\"_ policy\"]=\"status apply show explain\""), std::string::npos) << out;
  // The script is valid bash and completes a subcommand.
  std::ofstream(dir.path() + "/complete.sh") << out;
  ASSERT_EQ(RunCommand("bash -c 'source " + dir.path() +
                           "/complete.sh; COMP_WORDS=(pharosctl pol); COMP_CWORD=1; _pharosctl; "
                           "echo ${COMPREPLY[@]}'",
                       &out),
            0)
      << out;
  EXPECT_EQ(out, "policy\n");
  EXPECT_EQ(Ctl("completion fish", &out), 2) << out;
}

TEST_F(PharosctlE2eTest, RefusedCredentialsAreExitCode6) {
  TempDir dir;
  std::ofstream(dir.path() + "/tokens") << "viewer-token-0123456789 viewer alice\n";
  DaemonProcess secured(dir.path() + "/state",
                        {"--dataplane=plan", "--callback-endpoint=none",
                         "--auth-tokens=" + dir.path() + "/tokens"});
  ASSERT_TRUE(secured.Start());
  std::string ctl = std::string(PHAROSCTL_BINARY) + " --no-color --server " + secured.address();
  std::string out;
  EXPECT_EQ(RunCommand(ctl + " status", &out), 6) << out;
  EXPECT_NE(out.find("not authenticated"), std::string::npos) << out;
  EXPECT_EQ(RunCommand(ctl + " teardown --token viewer-token-0123456789", &out), 6) << out;
  EXPECT_NE(out.find("permission denied: alice (viewer) may not call Teardown"),
            std::string::npos)
      << out;
  EXPECT_EQ(RunCommand(ctl + " status --token viewer-token-0123456789", &out), 0) << out;
}

}  // namespace
}  // namespace pharos::e2e
