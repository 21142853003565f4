// Watching a real pharosd: the stream's first marker, resuming with a
// token after a restart, retention gaps, and pharosctl's --watch/--follow.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "e2e/daemon_process.h"
#include "pharos/api/v1/pharos_service.grpc.pb.h"
#include "pharos/ctl/v1/pharos_control.grpc.pb.h"

namespace pharos::e2e {
namespace {

namespace v1 = pharos::api::v1;
namespace ctl = pharos::ctl::v1;

class WatchTest : public ::testing::Test {
 protected:
  void StartDaemon(std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"--dataplane=plan", "--callback-endpoint=none"};
    args.insert(args.end(), extra.begin(), extra.end());
    daemon_ = std::make_unique<DaemonProcess>(dir_.path() + "/state", args);
    ASSERT_TRUE(daemon_->Start());
    channel_ = grpc::CreateChannel(daemon_->address(), grpc::InsecureChannelCredentials());
  }
  // One service registered and deregistered: one service_health entry
  // (registered -> removed) in the journal.
  void ServiceComesAndGoes(const std::string& name) {
    auto stub = v1::PharosService::NewStub(channel_);
    v1::RegisterServiceRequest reg;
    reg.set_service_name(name);
    reg.set_host("10.2.1.2");
    reg.set_port(8080);
    reg.set_protocol("grpc");
    v1::RegisterServiceResponse id;
    grpc::ClientContext c1;
    ASSERT_TRUE(stub->RegisterService(&c1, reg, &id).ok());
    v1::DeregisterServiceRequest dereg;
    dereg.set_service_id(id.service_id());
    v1::DeregisterServiceResponse done;
    grpc::ClientContext c2;
    ASSERT_TRUE(stub->DeregisterService(&c2, dereg, &done).ok());
  }
  // The events of a watch from `token` until `want` of them arrived (or 10 s).
  std::vector<ctl::WatchEvent> Watch(const std::string& token, bool from_oldest, size_t want,
                                     grpc::Status* status = nullptr) {
    auto stub = ctl::PharosControlService::NewStub(channel_);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    ctl::WatchRequest req;
    req.set_resume_token(token);
    req.set_from_oldest(from_oldest);
    auto reader = stub->Watch(&ctx, req);
    std::vector<ctl::WatchEvent> out;
    ctl::WatchEvent e;
    while (out.size() < want && reader->Read(&e)) out.push_back(e);
    if (out.size() == want) ctx.TryCancel();  // a watch goes on: we have what we came for
    grpc::Status s = reader->Finish();
    if (status) *status = s;
    return out;
  }
  TempDir dir_;
  std::unique_ptr<DaemonProcess> daemon_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(WatchTest, AWatcherThatReconnectsWithItsTokenMissesNothingAcrossARestart) {
  StartDaemon();
  ServiceComesAndGoes("brake-a");
  std::vector<ctl::WatchEvent> first = Watch("", true, 2);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].kind(), "watching");
  EXPECT_EQ(first[1].kind(), "service_health");
  EXPECT_EQ(first[1].previous(), "registered");
  EXPECT_EQ(first[1].current(), "removed");
  std::string token = first[1].resume_token();
  ASSERT_FALSE(token.empty());
  // What happens while the watcher is away, across a restart of pharosd.
  ServiceComesAndGoes("brake-b");
  ASSERT_EQ(daemon_->Stop(), 0);
  ASSERT_TRUE(daemon_->Start());
  channel_ = grpc::CreateChannel(daemon_->address(), grpc::InsecureChannelCredentials());
  ServiceComesAndGoes("brake-c");
  std::vector<ctl::WatchEvent> resumed = Watch(token, false, 3);
  ASSERT_EQ(resumed.size(), 3u);
  EXPECT_EQ(resumed[0].kind(), "watching");
  EXPECT_EQ(resumed[0].resume_token(), token);
  EXPECT_NE(resumed[1].resume_token(), resumed[2].resume_token());
  for (size_t i = 1; i < resumed.size(); ++i) EXPECT_EQ(resumed[i].kind(), "service_health");
  // Without a token: only what happens from now on.
  grpc::Status s;
  std::vector<ctl::WatchEvent> now = Watch("", false, 2, &s);
  ASSERT_EQ(now.size(), 1u);  // the marker, then nothing until the deadline
  EXPECT_EQ(s.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << s.error_message();
}

TEST_F(WatchTest, ATokenOlderThanTheRetentionIsToldTheGapAndABadTokenIsRefused) {
  StartDaemon({"--watch-journal-keep=2"});
  for (int i = 0; i < 5; ++i) ServiceComesAndGoes("svc-" + std::to_string(i));
  std::vector<ctl::WatchEvent> events = Watch("w1:0", false, 4);
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[1].kind(), "gap");
  EXPECT_EQ(events[1].missed(), 3);
  EXPECT_EQ(events[2].kind(), "service_health");
  grpc::Status bad;
  EXPECT_TRUE(Watch("yesterday", false, 1, &bad).empty());
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(bad.error_message().find("w1:"), std::string::npos) << bad.error_message();
}

// (events --follow is tested in the twin: the plan dataplane makes no network events.)
TEST_F(WatchTest, PharosctlStatusWatchPrintsTheTableThenTheChangesAndStopsAfterCount) {
  StartDaemon();
  std::string ctl = std::string(PHAROSCTL_BINARY) + " --no-color --server " + daemon_->address();
  std::string out;
  ASSERT_EQ(RunCommand(ctl + " apply " + std::string(PHAROS_EXAMPLES_DIR) + "/vehicle.yaml", &out),
            0)
      << out;
  // status --watch: the table, then the first change.
  std::string watched;
  std::atomic<bool> done{false};
  std::thread watcher([&] {
    (void)RunCommand("timeout 20 " + ctl + " status pod --watch --count 1", &watched);
    done = true;
  });
  for (int i = 0; !done && i < 60; ++i) {
    ServiceComesAndGoes("svc-watch-" + std::to_string(i));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  watcher.join();
  EXPECT_NE(watched.find("perception-pod"), std::string::npos) << watched;
  EXPECT_NE(watched.find("service_health"), std::string::npos) << watched;
  EXPECT_NE(watched.find("registered -> removed"), std::string::npos) << watched;
}

}  // namespace
}  // namespace pharos::e2e
