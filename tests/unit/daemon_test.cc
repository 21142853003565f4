// The Daemon's shape: options refused before anything is built, the parts
// started in dependency order, everything stopped and released.
#include "daemon/daemon.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "e2e/test_pki.h"

namespace pharos {
namespace {

class DaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("pharos-daemon-" + std::to_string(getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    options_.listen = "127.0.0.1:0";
    options_.state_dir = (dir_ / "state").string();
    options_.dataplane = dataplane::DataplaneMode::kPlan;
    options_.callback_endpoint = "none";
    options_.cni_socket = "none";
    options_.someip_sd_group = "none";
    options_.dds_domain = "none";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  static size_t Position(const std::vector<std::string>& started, const std::string& part) {
    return std::find(started.begin(), started.end(), part) - started.begin();
  }
  std::filesystem::path dir_;
  DaemonOptions options_;
  SystemClock clock_;
};

TEST_F(DaemonTest, BadOptionsAreRefusedNamingTheFlagBeforeAnythingIsBuilt) {
  options_.tls_cert = "server.pem";
  auto d = Daemon::Start(options_, clock_);
  EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(d.status().message().find("--tls-cert and --tls-key"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(options_.state_dir));
  options_.tls_cert.clear();
  options_.someip_sd_group = "10.0.0.1";
  EXPECT_NE(Daemon::Start(options_, clock_).status().message().find("--someip-sd-group"),
            std::string::npos);
  options_.someip_sd_group = "none";
  options_.dds_domain = "7x";
  EXPECT_NE(Daemon::Start(options_, clock_).status().message().find("--dds-domain"),
            std::string::npos);
  options_.dds_domain = "none";
  options_.dataplane = dataplane::DataplaneMode::kHost;
  EXPECT_NE(Daemon::Start(options_, clock_).status().message().find("--node"), std::string::npos);
  options_.dataplane = dataplane::DataplaneMode::kPlan;
  options_.tls_cert = (dir_ / "nope.pem").string();
  options_.tls_key = (dir_ / "nope.key").string();
  auto unreadable = Daemon::Start(options_, clock_);
  EXPECT_EQ(unreadable.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(unreadable.status().message().find("cannot read --tls-cert"), std::string::npos)
      << unreadable.status();
}

TEST_F(DaemonTest, PartsStartInDependencyOrderAndTheServerComesLast) {
  auto d = Daemon::Start(options_, clock_);
  ASSERT_TRUE(d.ok()) << d.status();
  const std::vector<std::string>& started = (*d)->started();
  ASSERT_FALSE(started.empty());
  EXPECT_EQ(started.back(), "grpc");
  EXPECT_LT(Position(started, "security-state"), Position(started, "recovery"));
  EXPECT_LT(Position(started, "recovery"), Position(started, "pods"));
  EXPECT_LT(Position(started, "pods"), Position(started, "grpc"));
  // The cloud connector feeds what recovery restored, before the API takes calls.
  EXPECT_LT(Position(started, "recovery"), Position(started, "cloud"));
  EXPECT_LT(Position(started, "cloud"), Position(started, "grpc"));
  // Plan mode: nothing that needs the kernel.
  EXPECT_EQ(Position(started, "drift-monitor"), started.size());
  EXPECT_EQ(Position(started, "event-monitor"), started.size());
  EXPECT_NE((*d)->address().find("127.0.0.1:"), std::string::npos);
  EXPECT_NE((*d)->address(), "127.0.0.1:0");
  d->reset();
  // Released: a second daemon on the same state starts again.
  auto again = Daemon::Start(options_, clock_);
  EXPECT_TRUE(again.ok()) << again.status();
}

TEST_F(DaemonTest, ATakenPortIsAnErrorNotAHang) {
  auto first = Daemon::Start(options_, clock_);
  ASSERT_TRUE(first.ok());
  options_.listen = (*first)->address();
  options_.state_dir = (dir_ / "other").string();
  auto second = Daemon::Start(options_, clock_);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(second.status().message().find("cannot listen"), std::string::npos);
}

// The TLS ingress reports refused clients to the event monitor, which must
// exist before the ingress starts (it did not: a start-order race). Real
// namespaces are not needed: no configuration is applied.
TEST_F(DaemonTest, TheEventMonitorStartsBeforeTheTlsIngressThatReportsToIt) {
  if (geteuid() != 0) GTEST_SKIP() << "the emulated dataplane needs root";
  std::string out;
  ASSERT_TRUE(e2e::MakeCa(dir_.string(), "ca", &out)) << out;
  ASSERT_TRUE(e2e::MakeCertificate(dir_.string(), "ca", "server", "IP:127.0.0.1", &out)) << out;
  options_.dataplane = dataplane::DataplaneMode::kEmulated;
  options_.interface_prefix = "dt" + std::to_string(getpid() % 1000) + "-";
  options_.ingress_cert = (dir_ / "server.pem").string();
  options_.ingress_key = (dir_ / "server.key").string();
  options_.ingress_client_ca = (dir_ / "ca.pem").string();
  auto d = Daemon::Start(options_, clock_);
  ASSERT_TRUE(d.ok()) << d.status();
  const std::vector<std::string>& started = (*d)->started();
  ASSERT_LT(Position(started, "tls-ingress"), started.size());
  EXPECT_LT(Position(started, "event-monitor"), Position(started, "tls-ingress"));
  EXPECT_LT(Position(started, "tls-ingress"), Position(started, "recovery"));
  EXPECT_LT(Position(started, "drift-monitor"), Position(started, "grpc"));
  // A certificate file that is not there: refused, naming it.
  d->reset();
  options_.ingress_key = (dir_ / "missing.key").string();
  auto broken = Daemon::Start(options_, clock_);
  EXPECT_FALSE(broken.ok());
  EXPECT_NE(broken.status().message().find("missing.key"), std::string::npos) << broken.status();
}

}  // namespace
}  // namespace pharos
