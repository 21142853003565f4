// The cloud connector end to end: the real pharosd feeding a real
// mosquitto on loopback, watched by mosquitto_sub; outages (the broker
// stopped), kill -9 with a backlog, TLS with client certificates, and
// every kind of bad ConfigureCloudFeeding.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "cloud/payload.h"
#include "e2e/cloud/cloud_receiver.h"
#include "e2e/daemon_process.h"
#include "e2e/mosquitto.h"
#include "e2e/test_pki.h"
#include "pharos/api/v1/pharos_service.grpc.pb.h"
#include "pharos/ctl/v1/pharos_control.grpc.pb.h"

namespace pharos::e2e {
namespace {

namespace v1 = ::pharos::api::v1;
namespace ctl = ::pharos::ctl::v1;
using namespace std::chrono_literals;
using Batches = std::vector<ReceivedBatch>;

std::string SeedVehicle() { return ReadFile(std::string(PHAROS_EXAMPLES_DIR) + "/vehicle.yaml"); }

std::vector<std::string> PlanArgs(std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"--dataplane=plan", "--callback-endpoint=none"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

class CloudFeedingTest : public ::testing::Test {
 protected:
  explicit CloudFeedingTest(MosquittoOptions broker = {.persistence = true},
                            std::vector<std::string> extra = {})
      : broker_(broker), daemon_(dir_.path() + "/pharosd", PlanArgs(std::move(extra))) {}

  void SetUp() override {
    ASSERT_TRUE(broker_.started()) << broker_.Log();
    ASSERT_NO_FATAL_FAILURE(StartDaemon());
    grpc::Status s;
    v1::ApplyConfigurationRequest req;
    req.set_config_yaml(SeedVehicle());
    v1::ApplyConfigurationResponse resp;
    s = api_->ApplyConfiguration(Ctx().get(), req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  void StartDaemon() {
    ASSERT_TRUE(daemon_.Start()) << daemon_.Log();
    auto channel = grpc::CreateChannel(daemon_.address(), grpc::InsecureChannelCredentials());
    api_ = v1::PharosService::NewStub(channel);
    ctl_ = ctl::PharosControlService::NewStub(channel);
  }

  grpc::Status Feed(std::vector<std::string> fields, std::string endpoint, int interval = 1,
                    bool enabled = true) {
    v1::ConfigureCloudFeedingRequest req;
    req.set_enabled(enabled);
    req.set_interval_seconds(interval);
    for (const std::string& f : fields) req.add_data_fields(f);
    req.set_target_endpoint(endpoint);
    v1::ConfigureCloudFeedingResponse resp;
    grpc::Status s = api_->ConfigureCloudFeeding(Ctx().get(), req, &resp);
    EXPECT_EQ(resp.success(), s.ok());
    return s;
  }
  v1::GetCloudFeedingStatusResponse FeedingStatus() {
    v1::GetCloudFeedingStatusResponse resp;
    grpc::Status s = api_->GetCloudFeedingStatus(Ctx().get(), {}, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }
  ctl::GetCloudStatusResponse CloudStatus() {
    ctl::GetCloudStatusResponse resp;
    grpc::Status s = ctl_->GetCloudStatus(Ctx().get(), {}, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }
  bool WaitForQueue(std::function<bool(int64_t)> pred, std::chrono::milliseconds limit) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      if (pred(CloudStatus().queue_depth())) return true;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }
  std::string Topic() const { return broker_.url() + "/pharos/premium_sedan"; }

  TempDir dir_;
  Mosquitto broker_;
  DaemonProcess daemon_;
  std::unique_ptr<v1::PharosService::Stub> api_;
  std::unique_ptr<ctl::PharosControlService::Stub> ctl_;
};

TEST_F(CloudFeedingTest, TheConfiguredFieldsArriveEveryIntervalAndEventsAsTheyHappen) {
  CloudReceiver cloud(broker_);
  ASSERT_TRUE(
      Feed({"pharos.network.status", "pharos.emergency.mode", "pharos.network.events"}, Topic())
          .ok());
  ASSERT_TRUE(cloud.WaitFor([](const Batches& b) { return b.size() >= 2; }, 5000ms))
      << cloud.Raw() << daemon_.Log();
  ReceivedBatch first = cloud.Batches()[0];
  EXPECT_EQ(first.topic, "pharos/premium_sedan/status");
  EXPECT_TRUE(first.compressed) << "zstd by default";
  EXPECT_EQ(first.body["schema"], "pharos.cloud.v1");
  EXPECT_EQ(first.body["vehicle"], "premium_sedan");
  const auto& values = first.body["items"][0]["data"]["values"];
  EXPECT_EQ(values["pharos.network.status.vm1"], "planned") << first.body.dump();
  EXPECT_EQ(values["pharos.emergency.mode"], "");
  // The spec's status: on, its interval, when and whether it last fed.
  v1::GetCloudFeedingStatusResponse status = FeedingStatus();
  EXPECT_TRUE(status.enabled());
  EXPECT_EQ(status.interval_seconds(), 1);
  EXPECT_TRUE(status.last_feeding_success());
  EXPECT_EQ(status.last_feeding_time().size(), 24u)
      << status.last_feeding_time();  // ...T..:..:..sssZ
  EXPECT_EQ(status.last_feeding_time().back(), 'Z');

  // A service that leaves is an event: it goes at once, not at the next sample.
  v1::RegisterServiceRequest reg;
  reg.set_service_name("telemetry-uploader");
  reg.set_host("10.2.1.2");
  reg.set_port(8080);
  reg.set_protocol("grpc");
  v1::RegisterServiceResponse registered;
  ASSERT_TRUE(api_->RegisterService(Ctx().get(), reg, &registered).ok());
  v1::DeregisterServiceRequest dereg;
  dereg.set_service_id(registered.service_id());
  v1::DeregisterServiceResponse gone;
  ASSERT_TRUE(api_->DeregisterService(Ctx().get(), dereg, &gone).ok());
  EXPECT_TRUE(cloud.WaitFor(
      [](const Batches& batches) {
        for (const ReceivedBatch& b : batches) {
          for (const auto& item : b.body["items"]) {
            if (item["data"]["kind"] == "event" && item["data"]["field"] == "pharos.network.events")
              return true;
          }
        }
        return false;
      },
      3000ms))
      << cloud.Raw();
  ctl::GetCloudStatusResponse details = CloudStatus();
  EXPECT_TRUE(details.connected());
  EXPECT_GT(details.items_sent(), 0);
  EXPECT_GT(details.compression_ratio(), 1.0);
}

TEST_F(CloudFeedingTest, EveryBadConfigurationIsRefusedAndChangesNothing) {
  ASSERT_TRUE(Feed({"pharos.network.status"}, Topic(), 5).ok());
  struct Case {
    std::vector<std::string> fields;
    std::string endpoint;
    int interval;
    grpc::StatusCode code;
    std::string says;
  };
  std::vector<Case> cases = {
      {{"pharos.network.status"},
       Topic(),
       0,
       grpc::StatusCode::INVALID_ARGUMENT,
       "interval_seconds"},
      {{"pharos.network.status"},
       Topic(),
       100000,
       grpc::StatusCode::INVALID_ARGUMENT,
       "interval_seconds"},
      {{}, Topic(), 5, grpc::StatusCode::INVALID_ARGUMENT, "data_fields is empty"},
      {{"pharos.nope"}, Topic(), 5, grpc::StatusCode::INVALID_ARGUMENT, "not a pharos. field"},
      {{"Vehicle..Speed"}, Topic(), 5, grpc::StatusCode::INVALID_ARGUMENT, "not a VSS path"},
      {{"pharos.network.status"},
       "",
       5,
       grpc::StatusCode::INVALID_ARGUMENT,
       "target_endpoint is empty"},
      {{"pharos.network.status"},
       "ftp://cloud/x",
       5,
       grpc::StatusCode::INVALID_ARGUMENT,
       "expected mqtts://"},
      {{"pharos.network.status"},
       "mqtts://cloud:70000/x",
       5,
       grpc::StatusCode::INVALID_ARGUMENT,
       "port"},
      {{"pharos.network.status"},
       "mqtts://cloud/a/#",
       5,
       grpc::StatusCode::INVALID_ARGUMENT,
       "wildcard"},
      {{"pharos.network.status"},
       "mqtt://198.51.100.7/t",
       5,
       grpc::StatusCode::INVALID_ARGUMENT,
       "--cloud-allow-plaintext"},
      {{"pharos.network.status"},
       "http://198.51.100.7/ingest",
       5,
       grpc::StatusCode::INVALID_ARGUMENT,
       "--cloud-allow-plaintext"},
      // No --cloud-signal-broker: VSS fields cannot be read.
      {{"Vehicle.Speed"},
       Topic(),
       5,
       grpc::StatusCode::FAILED_PRECONDITION,
       "--cloud-signal-broker"},
  };
  for (const Case& c : cases) {
    grpc::Status s = Feed(c.fields, c.endpoint, c.interval);
    EXPECT_EQ(s.error_code(), c.code) << c.endpoint << " " << s.error_message();
    EXPECT_NE(s.error_message().find(c.says), std::string::npos) << s.error_message();
  }
  ctl::GetCloudStatusResponse after = CloudStatus();
  EXPECT_TRUE(after.enabled());
  EXPECT_EQ(after.interval_seconds(), 5);
  EXPECT_EQ(after.target_endpoint(), Topic());
  ASSERT_EQ(after.data_fields_size(), 1);
  EXPECT_EQ(after.data_fields(0), "pharos.network.status");
}

TEST_F(CloudFeedingTest, AnOutageQueuesEverythingAndItAllArrivesInOrderAfter) {
  CloudReceiver cloud(broker_);
  ASSERT_TRUE(Feed({"pharos.network.status"}, Topic()).ok());
  ASSERT_TRUE(cloud.WaitFor([](const Batches& b) { return !b.empty(); }, 5000ms)) << cloud.Raw();
  broker_.Stop();
  std::this_thread::sleep_for(8s);
  ctl::GetCloudStatusResponse during = CloudStatus();
  EXPECT_FALSE(during.connected());
  EXPECT_FALSE(during.last_feeding_success());
  EXPECT_FALSE(during.last_error_message().empty());
  EXPECT_GE(during.queue_depth(), 5) << "a sample a second, held while the cloud is away";
  EXPECT_FALSE(during.oldest_queued().empty());
  ASSERT_TRUE(broker_.Start()) << broker_.Log();
  ASSERT_TRUE(WaitForQueue([](int64_t depth) { return depth == 0; }, 15000ms)) << daemon_.Log();
  int64_t last = CloudStatus().items_sent();
  ASSERT_TRUE(cloud.WaitFor(
      [&](const Batches&) {
        std::vector<int64_t> seqs = cloud.Seqs();
        return static_cast<int64_t>(std::set<int64_t>(seqs.begin(), seqs.end()).size()) >= last;
      },
      5000ms));
  ExpectNoneLostInOrder(cloud.Batches());
  EXPECT_TRUE(FeedingStatus().last_feeding_success());
}

TEST_F(CloudFeedingTest, AKillNineWithABacklogIsDeliveredAfterTheRestart) {
  CloudReceiver cloud(broker_);
  broker_.Stop();
  ASSERT_TRUE(Feed({"pharos.network.status"}, Topic()).ok());
  ASSERT_TRUE(WaitForQueue([](int64_t depth) { return depth >= 4; }, 8000ms));
  int64_t backlog = CloudStatus().queue_depth();
  daemon_.Kill9();
  ASSERT_TRUE(broker_.Start()) << broker_.Log();
  // The same state directory; nobody configures the feed again.
  ASSERT_NO_FATAL_FAILURE(StartDaemon());
  ASSERT_TRUE(WaitForQueue([](int64_t depth) { return depth == 0; }, 15000ms)) << daemon_.Log();
  ASSERT_TRUE(cloud.WaitFor(
      [&](const Batches&) { return static_cast<int64_t>(cloud.Seqs().size()) >= backlog; }, 5000ms))
      << cloud.Raw();
  std::vector<int64_t> seqs = cloud.Seqs();
  EXPECT_EQ(*std::min_element(seqs.begin(), seqs.end()), 1) << "the first queued item arrived";
  ExpectNoneLostInOrder(cloud.Batches());
  EXPECT_TRUE(CloudStatus().enabled()) << "the feed survived the crash";
}

// mqtts:// with mutual TLS: the broker verifies the vehicle's certificate
// and the vehicle the broker's.
// One CA for the file: the broker's (also the HTTPS receiver's), the
// vehicle's and mosquitto_sub's certificates.
std::string CloudFeedingTlsTestPki() {
  static TempDir* dir = [] {
    auto* d = new TempDir();
    std::string log;
    bool ok = MakeCa(d->path(), "ca", &log) &&
              MakeCertificate(d->path(), "ca", "broker", "IP:127.0.0.1", &log) &&
              MakeCertificate(d->path(), "ca", "vehicle", "", &log) &&
              MakeCertificate(d->path(), "ca", "receiver", "", &log);
    EXPECT_TRUE(ok) << log;
    return d;
  }();
  return dir->path();
}

class CloudFeedingTlsTest : public CloudFeedingTest {
 protected:
  static std::string Pki() { return CloudFeedingTlsTestPki(); }
  CloudFeedingTlsTest()
      : CloudFeedingTest({.cafile = Pki() + "/ca.pem",
                          .certfile = Pki() + "/broker.pem",
                          .keyfile = Pki() + "/broker.key",
                          .require_certificate = true},
                         {"--cloud-ca", Pki() + "/ca.pem", "--cloud-cert", Pki() + "/vehicle.pem",
                          "--cloud-key", Pki() + "/vehicle.key"}) {}
};

TEST_F(CloudFeedingTlsTest, FeedsOverMutualTls) {
  CloudReceiver cloud(broker_, Pki());
  EXPECT_EQ(broker_.url().rfind("mqtts://", 0), 0u);
  ASSERT_TRUE(Feed({"pharos.network.status"}, Topic()).ok());
  ASSERT_TRUE(cloud.WaitFor([](const Batches& b) { return !b.empty(); }, 8000ms))
      << cloud.Raw() << broker_.Log() << daemon_.Log();
  EXPECT_TRUE(FeedingStatus().last_feeding_success());
}

// https:// with a client certificate: a receiver that takes only clients
// the CA signed, the vehicle's receipts its 200s.
TEST_F(CloudFeedingTlsTest, FeedsOverHttpsToAReceiverThatChecksTheClientCertificate) {
  int port = FreePort();
  std::string out = dir_.path() + "/received.jsonl", ready = dir_.path() + "/https.ready";
  pid_t receiver = fork();
  if (receiver == 0) {
    std::string p = std::to_string(port), cert = Pki() + "/broker.pem", key = Pki() + "/broker.key",
                ca = Pki() + "/ca.pem";
    execlp("python3", "python3", PHAROS_HTTPS_RECEIVER, "--port", p.c_str(), "--cert", cert.c_str(),
           "--key", key.c_str(), "--ca", ca.c_str(), "--out", out.c_str(), "--ready", ready.c_str(),
           static_cast<char*>(nullptr));
    _exit(127);
  }
  struct Reap {
    pid_t pid;
    ~Reap() {
      kill(pid, SIGTERM);
      waitpid(pid, nullptr, 0);
    }
  } reap{receiver};
  for (int i = 0; i < 100 && ReadFile(ready).empty(); ++i) std::this_thread::sleep_for(50ms);
  ASSERT_FALSE(ReadFile(ready).empty()) << "the HTTPS receiver did not start";
  std::string url = "https://127.0.0.1:" + std::to_string(port) + "/v1/ingest";
  ASSERT_TRUE(Feed({"pharos.network.status"}, url).ok());
  std::vector<nlohmann::json> posts;
  for (int i = 0; i < 100 && posts.size() < 2; ++i) {
    std::this_thread::sleep_for(100ms);
    posts.clear();
    std::istringstream lines(ReadFile(out));
    for (std::string line; std::getline(lines, line);) posts.push_back(nlohmann::json::parse(line));
  }
  ASSERT_GE(posts.size(), 2u) << daemon_.Log();
  EXPECT_EQ(posts[0]["path"], "/v1/ingest");
  EXPECT_EQ(posts[0]["stream"], "status");
  EXPECT_EQ(posts[0]["encoding"], "zstd");
  EXPECT_EQ(posts[0]["client"], "vehicle") << "the receiver saw the vehicle's certificate";
  EXPECT_FALSE(posts[0]["key"].get<std::string>().empty());
  std::string hex = posts[0]["body"];
  std::string body;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    body.push_back(std::stoi(hex.substr(i, 2), nullptr, 16));
  auto json_body = cloud::Decompress(body);
  ASSERT_TRUE(json_body.ok());
  EXPECT_EQ(nlohmann::json::parse(*json_body)["schema"], "pharos.cloud.v1");
  EXPECT_TRUE(FeedingStatus().last_feeding_success());
}

// Without a certificate of its own the vehicle is turned away: nothing is
// delivered, the status says why, and the items wait in the queue.
class CloudFeedingNoClientCertTest : public CloudFeedingTest {
 protected:
  CloudFeedingNoClientCertTest()
      : CloudFeedingTest({.cafile = CloudFeedingTlsTestPki() + "/ca.pem",
                          .certfile = CloudFeedingTlsTestPki() + "/broker.pem",
                          .keyfile = CloudFeedingTlsTestPki() + "/broker.key",
                          .require_certificate = true},
                         {"--cloud-ca", CloudFeedingTlsTestPki() + "/ca.pem"}) {}
};

TEST_F(CloudFeedingNoClientCertTest, IsRefusedAndKeepsItsItems) {
  ASSERT_TRUE(Feed({"pharos.network.status"}, Topic()).ok());
  ASSERT_TRUE(WaitForQueue([](int64_t depth) { return depth >= 2; }, 6000ms));
  ctl::GetCloudStatusResponse s = CloudStatus();
  EXPECT_FALSE(s.connected());
  EXPECT_EQ(s.items_sent(), 0);
  EXPECT_FALSE(s.last_feeding_success());
  EXPECT_FALSE(s.last_error_message().empty());
}

}  // namespace
}  // namespace pharos::e2e
