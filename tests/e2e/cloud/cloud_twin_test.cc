// The cloud connector in the twin: the cloud host of spec §14.2
// (cloud_vm1, 172.16.1.2) runs mosquitto with TLS and client
// certificates; pharosd reaches it from the vehicle's cloud gateway, as a
// vehicle reaches its cloud; the cloud link goes down for 30 s and
// nothing is lost.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <set>
#include <thread>

#include "e2e/cloud/cloud_receiver.h"
#include "e2e/daemon_process.h"
#include "e2e/mosquitto.h"
#include "e2e/test_pki.h"
#include "e2e/twin_support.h"
#include "pharos/api/v1/pharos_service.grpc.pb.h"
#include "pharos/ctl/v1/pharos_control.grpc.pb.h"

namespace pharos::e2e {
namespace {

namespace v1 = ::pharos::api::v1;
namespace ctl = ::pharos::ctl::v1;
using namespace std::chrono_literals;
using Batches = std::vector<ReceivedBatch>;

constexpr char kCloudHost[] = "172.16.1.2";

class CloudTwinTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "twin tests build namespaces and need root";
    std::string log;
    ASSERT_TRUE(
        MakeCa(pki_.path(), "ca", &log) &&
        MakeCertificate(pki_.path(), "ca", "broker", std::string("IP:") + kCloudHost, &log) &&
        MakeCertificate(pki_.path(), "ca", "vehicle", "", &log) &&
        MakeCertificate(pki_.path(), "ca", "receiver", "", &log))
        << log;
    daemon_ = std::make_unique<DaemonProcess>(
        dir_.path(),
        std::vector<std::string>{"--dataplane=emulated", "--interface-prefix=" + prefix_,
                                 "--callback-endpoint=none", "--cloud-ca", pki_.path() + "/ca.pem",
                                 "--cloud-cert", pki_.path() + "/vehicle.pem", "--cloud-key",
                                 pki_.path() + "/vehicle.key"});
    ASSERT_TRUE(daemon_->Start()) << daemon_->Log();
    auto channel = grpc::CreateChannel(daemon_->address(), grpc::InsecureChannelCredentials());
    api_ = v1::PharosService::NewStub(channel);
    ctl_ = ctl::PharosControlService::NewStub(channel);
    v1::ApplyConfigurationRequest req;
    req.set_config_yaml(ReadFile(std::string(PHAROS_EXAMPLES_DIR) + "/cloud/vehicle.yaml"));
    v1::ApplyConfigurationResponse resp;
    grpc::Status s = api_->ApplyConfiguration(Ctx().get(), req, &resp);
    ASSERT_TRUE(s.ok() && resp.success()) << s.error_message() << resp.message();
    broker_ = std::make_unique<Mosquitto>(MosquittoOptions{.host = kCloudHost,
                                                           .netns = prefix_ + "cloud_vm1",
                                                           .cafile = pki_.path() + "/ca.pem",
                                                           .certfile = pki_.path() + "/broker.pem",
                                                           .keyfile = pki_.path() + "/broker.key",
                                                           .require_certificate = true,
                                                           .persistence = true});
  }
  void TearDown() override {
    receiver_.reset();
    broker_.reset();
    api_.reset();
    ctl_.reset();
    daemon_.reset();
    RemoveNamespacesWithPrefix(prefix_);
  }

  grpc::Status Feed() {
    v1::ConfigureCloudFeedingRequest req;
    req.set_enabled(true);
    req.set_interval_seconds(1);
    for (const char* f : {"pharos.network.status", "pharos.emergency.mode"}) req.add_data_fields(f);
    req.set_target_endpoint(broker_->url() + "/pharos/premium_sedan");
    v1::ConfigureCloudFeedingResponse resp;
    return api_->ConfigureCloudFeeding(Ctx().get(), req, &resp);
  }
  ctl::GetCloudStatusResponse Status() {
    ctl::GetCloudStatusResponse resp;
    EXPECT_TRUE(ctl_->GetCloudStatus(Ctx().get(), {}, &resp).ok());
    return resp;
  }
  // The cloud unreachable: every packet to or from the cloud host is
  // dropped there (a table of the test's own in its namespace). Taking the
  // link down would not do: pharosd's drift repair puts it back up.
  void CloudLink(bool up) {
    std::string ns = prefix_ + "cloud_vm1", out;
    std::string command =
        up ? "ip netns exec " + ns + " nft delete table inet cloud_outage"
           : "ip netns exec " + ns +
                 " nft 'add table inet cloud_outage; add chain inet cloud_outage in { type filter "
                 "hook input priority -10; policy drop; }; add chain inet cloud_outage out { type "
                 "filter hook output priority -10; policy drop; }'";
    ASSERT_EQ(RunCommand(command, &out), 0) << out;
  }

  std::string prefix_ = UniquePrefix();
  TempDir dir_, pki_;
  std::unique_ptr<DaemonProcess> daemon_;
  std::unique_ptr<v1::PharosService::Stub> api_;
  std::unique_ptr<ctl::PharosControlService::Stub> ctl_;
  std::unique_ptr<Mosquitto> broker_;
  std::unique_ptr<CloudReceiver> receiver_;
};

TEST_F(CloudTwinTest, FeedingReachesTheCloudHostFromTheCloudGatewayAndSurvivesALinkOutage) {
  receiver_ = std::make_unique<CloudReceiver>(*broker_, pki_.path(), prefix_ + "cloud_vm1");
  ASSERT_TRUE(Feed().ok());
  ASSERT_TRUE(receiver_->WaitFor([](const Batches& b) { return b.size() >= 2; }, 10000ms))
      << receiver_->Raw() << broker_->Log() << daemon_->Log();
  Batches first = receiver_->Batches();
  nlohmann::json values = first[0].body["items"][0]["data"]["values"];
  EXPECT_EQ(values["pharos.network.status.cloud_vm1"], "up") << values.dump();
  EXPECT_EQ(values["pharos.emergency.mode"], "");
  // The vehicle's side of the connection is its cloud gateway.
  EXPECT_NE(broker_->Log().find("from 172.16.1.1"), std::string::npos) << broker_->Log();

  // The cloud unreachable for 30 s: everything waits in the queue ...
  CloudLink(false);
  std::this_thread::sleep_for(30s);
  ctl::GetCloudStatusResponse during = Status();
  EXPECT_FALSE(during.connected());
  EXPECT_GE(during.queue_depth(), 15) << "a sample a second, held while the link is down";
  CloudLink(true);
  // ... and arrives after it, none lost, each stream in order.
  auto drained = [&] { return Status().queue_depth() == 0; };
  for (int i = 0; i < 300 && !drained(); ++i) std::this_thread::sleep_for(100ms);
  ASSERT_TRUE(drained()) << daemon_->Log();
  int64_t sent = Status().items_sent();
  ASSERT_TRUE(receiver_->WaitFor(
      [&](const Batches&) {
        std::vector<int64_t> seqs = receiver_->Seqs();
        return static_cast<int64_t>(std::set<int64_t>(seqs.begin(), seqs.end()).size()) >= sent;
      },
      10000ms));
  ExpectNoneLostInOrder(receiver_->Batches());
}

}  // namespace
}  // namespace pharos::e2e
