// The connector with a fake transport and field source: real threads,
// real cloud.db, a real clock (intervals of 1 s).
#include "cloud/connector.h"

#include <gtest/gtest.h>

#include "cloud/payload.h"
#include "nlohmann/json.hpp"
#include "unit/cloud/cloud_test_support.h"

namespace pharos::cloud {
namespace {

using Json = nlohmann::json;
using namespace std::chrono_literals;

// What the fake cloud saw, and whether it is reachable.
struct FakeCloud {
  std::mutex mu;
  bool up = true;
  std::vector<Json> batches;  // decoded
  int connects = 0;

  std::vector<Json> Batches() {
    std::lock_guard lock(mu);
    return batches;
  }
  // Every item id, in arrival order.
  std::vector<int64_t> Seqs() {
    std::vector<int64_t> out;
    for (const Json& b : Batches()) {
      for (const Json& i : b["items"]) out.push_back(i["seq"]);
    }
    return out;
  }
};

class FakeTransport final : public Transport {
 public:
  explicit FakeTransport(FakeCloud& cloud) : cloud_(cloud) {}
  absl::StatusOr<bool> Connect() override {
    std::lock_guard lock(cloud_.mu);
    if (!cloud_.up) return absl::UnavailableError("the cloud is down");
    ++cloud_.connects;
    connected_ = true;
    return true;
  }
  bool connected() const override { return connected_; }
  absl::Status Send(const OutgoingMessage& m, uint64_t token) override {
    std::lock_guard lock(cloud_.mu);
    if (!cloud_.up) {
      waiting_.push_back(token);  // lost on the way
      return absl::OkStatus();
    }
    std::string raw = m.compressed ? Decompress(m.payload).value() : m.payload;
    Json batch = Json::parse(raw);
    batch["topic_stream"] = m.stream;
    cloud_.batches.push_back(batch);
    done_.push_back(token);
    return absl::OkStatus();
  }
  Progress Poll(std::chrono::milliseconds wait) override {
    std::this_thread::sleep_for(std::min(wait, 5ms));
    Progress p;
    std::lock_guard lock(cloud_.mu);
    p.delivered = std::move(done_);
    done_.clear();
    if (!cloud_.up && connected_) {
      connected_ = false;
      p.connection_lost = true;
      for (uint64_t t : waiting_) p.failed.emplace_back(t, absl::UnavailableError("lost"));
      waiting_.clear();
    }
    return p;
  }
  int window() const override { return 4; }
  std::string Describe() const override { return "fake"; }

 private:
  FakeCloud& cloud_;
  bool connected_ = false;
  std::vector<uint64_t> done_, waiting_;
};

class FakeFields final : public FieldSource {
 public:
  absl::StatusOr<std::vector<FieldSample>> Read(const std::vector<Field>& fields,
                                                std::vector<std::string>&) override {
    std::vector<FieldSample> out;
    for (const Field& f : fields) {
      out.push_back({f.text + ".soc1", std::string("Running"), f.priority});
    }
    return out;
  }
};

class FakeEvents final : public EventSource {
 public:
  absl::StatusOr<std::vector<EventRecord>> Next(int64_t after,
                                                std::chrono::milliseconds wait) override {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, wait,
                 [&] { return !records_.empty() && records_.back().journal_id > after; });
    std::vector<EventRecord> out;
    for (const EventRecord& r : records_) {
      if (r.journal_id > after) out.push_back(r);
    }
    return out;
  }
  absl::StatusOr<int64_t> Newest() override {
    std::lock_guard lock(mu_);
    return records_.empty() ? 0 : records_.back().journal_id;
  }
  void Add(EventRecord r) {
    std::lock_guard lock(mu_);
    r.journal_id = static_cast<int64_t>(records_.size()) + 1;
    records_.push_back(std::move(r));
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<EventRecord> records_;
};

template <typename Pred>
bool WaitFor(Pred pred, std::chrono::milliseconds limit = 5000ms) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return pred();
}

class ConnectorTest : public ::testing::Test {
 protected:
  std::unique_ptr<CloudConnector> Make() {
    ConnectorOptions o;
    o.vehicle_name = [] { return std::string("premium_sedan"); };
    o.make_transport = [this](
                           const Endpoint&,
                           const TransportOptions&) -> absl::StatusOr<std::unique_ptr<Transport>> {
      return std::unique_ptr<Transport>(std::make_unique<FakeTransport>(cloud_));
    };
    o.max_backoff = 200ms;
    auto c = std::make_unique<CloudConnector>(db_.queue(), fields_, nullptr, &events_, clock_, o);
    EXPECT_TRUE(c->Start().ok());
    return c;
  }
  FeedConfig Feed() {
    return {true, 1, {"pharos.network.status", "pharos.security.events"}, "mqtt://127.0.0.1/t"};
  }

  SystemClock clock_;
  testing::CloudDb db_;
  FakeCloud cloud_;
  FakeFields fields_;
  FakeEvents events_;
};

TEST_F(ConnectorTest, FeedsTheConfiguredFieldsEveryInterval) {
  auto c = Make();
  ASSERT_TRUE(c->Configure(Feed()).ok());
  ASSERT_TRUE(WaitFor([&] { return cloud_.Batches().size() >= 2; }, 4000ms));
  Json first = cloud_.Batches()[0];
  EXPECT_EQ(first["schema"], kPayloadSchema);
  EXPECT_EQ(first["vehicle"], "premium_sedan");
  EXPECT_EQ(first["stream"], "status");
  EXPECT_EQ(first["items"][0]["data"]["values"]["pharos.network.status.soc1"], "Running");
  auto status = c->Status();
  ASSERT_TRUE(status.ok());
  EXPECT_TRUE(status->config.enabled);
  EXPECT_TRUE(status->outcome.last_success);
  EXPECT_FALSE(status->outcome.last_feeding_time.empty());
  EXPECT_GT(status->bytes_sent, 0);
  EXPECT_GT(status->compression_ratio(), 0.0);
}

TEST_F(ConnectorTest, EventsGoAsTheyHappenAheadOfSamples) {
  auto c = Make();
  ASSERT_TRUE(c->Configure(Feed()).ok());
  ASSERT_TRUE(WaitFor([&] { return !cloud_.Batches().empty(); }));
  events_.Add({"pharos.security.events", Priority::kSecurity, "t", "security_event", "vm1", "HIGH",
               "", "", "port scan", 0});
  ASSERT_TRUE(WaitFor(
      [&] {
        for (const Json& b : cloud_.Batches()) {
          if (b["stream"] == "security") return true;
        }
        return false;
      },
      900ms))
      << "an event waits for no interval";
}

TEST_F(ConnectorTest, AnOutageQueuesAndEverythingArrivesInOrderAfter) {
  auto c = Make();
  ASSERT_TRUE(c->Configure(Feed()).ok());
  ASSERT_TRUE(WaitFor([&] { return !cloud_.Batches().empty(); }));
  {
    std::lock_guard lock(cloud_.mu);
    cloud_.up = false;
  }
  std::this_thread::sleep_for(3000ms);  // three samples while down
  auto down = c->Status();
  EXPECT_FALSE(down->outcome.last_success);
  EXPECT_GE(down->queue.depth, 2);
  {
    std::lock_guard lock(cloud_.mu);
    cloud_.up = true;
  }
  ASSERT_TRUE(WaitFor([&] { return c->Status()->queue.depth == 0; }));
  std::vector<int64_t> seqs = cloud_.Seqs();
  std::set<int64_t> unique(seqs.begin(), seqs.end());
  for (int64_t s = 1; s <= *unique.rbegin(); ++s) EXPECT_TRUE(unique.count(s)) << "lost " << s;
  EXPECT_TRUE(std::is_sorted(seqs.begin(), seqs.end()));
}

TEST_F(ConnectorTest, ARestartSendsWhatWasQueuedAndKeepsTheConfiguration) {
  {
    std::lock_guard lock(cloud_.mu);
    cloud_.up = false;
  }
  {
    auto c = Make();
    ASSERT_TRUE(c->Configure(Feed()).ok());
    ASSERT_TRUE(WaitFor([&] { return c->Status()->queue.depth >= 2; }, 3000ms));
  }
  {
    std::lock_guard lock(cloud_.mu);
    cloud_.up = true;
  }
  auto again = Make();  // nobody configures it
  auto status = again->Status();
  EXPECT_TRUE(status->config.enabled);
  EXPECT_EQ(status->config.target_endpoint, "mqtt://127.0.0.1/t");
  ASSERT_TRUE(WaitFor([&] { return again->Status()->queue.depth == 0; }));
  EXPECT_GE(cloud_.Seqs().size(), 2u);
  EXPECT_EQ(cloud_.Seqs().front(), 1);
}

TEST_F(ConnectorTest, ABadConfigurationChangesNothing) {
  auto c = Make();
  ASSERT_TRUE(c->Configure(Feed()).ok());
  FeedConfig bad = Feed();
  bad.interval_seconds = 0;
  EXPECT_EQ(c->Configure(bad).code(), absl::StatusCode::kInvalidArgument);
  bad = Feed();
  bad.data_fields = {"pharos.nope"};
  EXPECT_EQ(c->Configure(bad).code(), absl::StatusCode::kInvalidArgument);
  bad = Feed();
  bad.data_fields = {"Vehicle.Speed"};  // no broker given to this connector
  EXPECT_EQ(c->Configure(bad).code(), absl::StatusCode::kFailedPrecondition);
  auto status = c->Status();
  EXPECT_EQ(status->config.interval_seconds, 1);
  EXPECT_EQ(status->config.data_fields, Feed().data_fields);
}

TEST_F(ConnectorTest, StoppingKeepsTheFieldsForTheNextStart) {
  auto c = Make();
  ASSERT_TRUE(c->Configure(Feed()).ok());
  ASSERT_TRUE(c->Configure(FeedConfig{false, 0, {}, ""}).ok());
  auto status = c->Status();
  EXPECT_FALSE(status->config.enabled);
  EXPECT_EQ(status->config.target_endpoint, "mqtt://127.0.0.1/t");
  size_t seen = cloud_.Batches().size();
  std::this_thread::sleep_for(1500ms);
  EXPECT_LE(cloud_.Batches().size(), seen + 1) << "an off feed sends nothing new";
}

}  // namespace
}  // namespace pharos::cloud
