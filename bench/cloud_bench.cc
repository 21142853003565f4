// The cloud connector against its peer, in one run (docs/benchmarks.md):
//   1. items/s from the store-and-forward queue to a real mosquitto (QoS 1),
//      next to mosquitto_pub -l sending the same item payloads one message
//      each (QoS 1): batched as pharosd sends them, and one item per
//      message (the like-for-like rate);
//   2. the drain time of a 100,000-item backlog;
//   3. zstd against raw JSON: ratio and CPU per MB at levels 1, 3 and 9;
//   4. memory while 1,000,000 items wait (they are on disk, not in RAM).
// Failover time is measured by the twin's uplink benchmark (docs/cloud.md).
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "bench_support.h"
#include "cloud/connector.h"
#include "cloud/payload.h"
#include "cloud/transports.h"
#include "process_support.h"
#include "store/sqlite_db.h"

namespace {

using namespace pharos;
using Steady = std::chrono::steady_clock;

bool Accepts(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  close(fd);
  return ok;
}

// A sample as the connector queues it: ten components' status and
// counters that move (so zstd sees what a real feed has, not one text
// repeated).
std::string ItemBody(int i) {
  std::vector<cloud::FieldSample> samples;
  uint64_t x = 0x9E3779B97F4A7C15ULL * static_cast<uint64_t>(i + 1);
  for (int c = 0; c < 10; ++c) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    samples.push_back({fmt::format("pharos.network.status.component{}", c),
                       std::string(x % 17 == 0 ? "Degraded" : "Running"),
                       cloud::Priority::kStatus});
    samples.push_back({fmt::format("pharos.network.metrics.component{}.bytes_in", c),
                       static_cast<int64_t>(1000000 + i * 1500 + (x % 100000)),
                       cloud::Priority::kStatus});
    samples.push_back({fmt::format("Vehicle.Sensor{}.Value", c), double(x % 100000) / 100.0,
                       cloud::Priority::kStatus});
  }
  auto at =
      fmt::format("2026-12-04T10:{:02}:{:02}.{:03}Z", (i / 60000) % 60, (i / 1000) % 60, i % 1000);
  return cloud::SampleItems(samples, at, 1 << 20)[0].body;
}

class NoFields final : public cloud::FieldSource {
 public:
  absl::StatusOr<std::vector<cloud::FieldSample>> Read(const std::vector<cloud::Field>&,
                                                       std::vector<std::string>&) override {
    return std::vector<cloud::FieldSample>{};
  }
};

double CpuSeconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

long MaxRssKb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

struct Db {
  std::unique_ptr<store::Database> writer, reader;
  std::unique_ptr<cloud::FeedQueue> queue;
};

Db OpenDb(const std::string& path, const pharos::Clock& clock, int64_t max_mb) {
  Db d;
  d.writer = std::move(store::Database::Open(path).value());
  d.reader = std::move(store::Database::Open(path).value());
  d.queue = std::move(cloud::FeedQueue::Open(*d.writer, *d.reader, clock,
                                             {max_mb * 1024 * 1024, std::chrono::hours(24 * 7)})
                          .value());
  return d;
}

void Fill(cloud::FeedQueue& q, int items) {
  std::vector<cloud::NewItem> chunk;
  for (int i = 0; i < items; ++i) {
    chunk.push_back({cloud::Priority::kStatus, ItemBody(i)});
    if (chunk.size() == 5000 || i + 1 == items) {
      (void)q.Enqueue(cloud::CloudConnector::kFeed, chunk);
      chunk.clear();
    }
  }
}

// Drains `items` queued items through a connector to mosquitto; seconds.
double Drain(const std::string& dir, int port, int items, int max_items_per_message) {
  SystemClock clock;
  std::filesystem::remove(dir + "/cloud.db");
  Db db = OpenDb(dir + "/cloud.db", clock, 1024);
  Fill(*db.queue, items);
  NoFields fields;
  cloud::ConnectorOptions o;
  o.vehicle_name = [] { return std::string("bench"); };
  o.make_transport = cloud::MakeTransport;
  o.batch.max_items = max_items_per_message;
  cloud::CloudConnector connector(*db.queue, fields, nullptr, nullptr, clock, o);
  (void)connector.Start();
  auto start = Steady::now();
  (void)connector.Configure(
      {true, 86400, {"pharos.emergency.mode"}, fmt::format("mqtt://127.0.0.1:{}/bench", port)});
  while (connector.Status()->queue.depth > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (Steady::now() - start > std::chrono::seconds(300)) return -1;
  }
  return std::chrono::duration<double>(Steady::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  // "drain": only the 100,000-item backlog (for profiling).
  bool drain_only = argc > 1 && std::string(argv[1]) == "drain";
  std::string dir = fmt::format("/tmp/pharos-bench-cloud-{}", getpid());
  std::filesystem::create_directories(dir);
  int port = 20000 + (getpid() % 20000);
  {
    std::ofstream conf(dir + "/mosquitto.conf");
    if (geteuid() == 0) conf << "user root\n";
    conf << "listener " << port << " 127.0.0.1\nallow_anonymous true\nmax_queued_messages 0\n";
  }
  pid_t mosquitto =
      bench::Spawn({"mosquitto", "-c", dir + "/mosquitto.conf"}, dir + "/mosquitto.log");
  for (int i = 0; i < 300 && !Accepts(port); ++i) usleep(10000);
  if (!Accepts(port)) {
    fmt::print("mosquitto did not start\n");
    return 0;
  }

  if (drain_only) {
    fmt::print("100,000-item backlog drained in {:.2f} s\n", Drain(dir, port, 100000, 500));
    bench::Stop(mosquitto);
    std::filesystem::remove_all(dir);
    return 0;
  }
  // 1. The peer: mosquitto_pub -l, one message (QoS 1) per item.
  constexpr int kPeerItems = 50000;
  {
    std::ofstream lines(dir + "/items.txt");
    for (int i = 0; i < kPeerItems; ++i) lines << ItemBody(i) << "\n";
  }
  auto t0 = Steady::now();
  bench::Run(fmt::format("mosquitto_pub -h 127.0.0.1 -p {} -q 1 -t pharos/peer/status -l < {} ",
                         port, dir + "/items.txt"));
  double peer_s = std::chrono::duration<double>(Steady::now() - t0).count();
  double peer_rate = kPeerItems / peer_s;

  double single_s = Drain(dir, port, kPeerItems, 1);
  double single_rate = single_s > 0 ? kPeerItems / single_s : 0;
  constexpr int kBacklog = 100000;
  double backlog_s = Drain(dir, port, kBacklog, 500);
  double batched_rate = backlog_s > 0 ? kBacklog / backlog_s : 0;

  fmt::print("| what | items/s | vs mosquitto_pub |\n|---|---:|---:|\n");
  fmt::print("| mosquitto_pub -l -q 1, one item per message (peer) | {:.0f} | 1.00 |\n", peer_rate);
  fmt::print("| pharosd queue → mosquitto, one item per message | {:.0f} | {:.2f} |\n", single_rate,
             single_rate / peer_rate);
  fmt::print("| pharosd queue → mosquitto, batched (500 items, zstd 3) | {:.0f} | {:.2f} |\n",
             batched_rate, batched_rate / peer_rate);
  fmt::print("\n100,000-item backlog drained in {:.2f} s\n\n", backlog_s);

  // 3. zstd against raw JSON, on batches as they are sent.
  cloud::Batch batch;
  batch.priority = cloud::Priority::kStatus;
  for (int i = 0; i < 500; ++i)
    batch.items.push_back({i + 1, cloud::Priority::kStatus, 0, ItemBody(i)});
  std::string raw =
      cloud::RenderBatch({"bench", "default", "direct", "0123456789abcdef", "t"}, batch);
  fmt::print("| encoding | ratio | CPU ms per MB of JSON |\n|---|---:|---:|\n");
  fmt::print("| raw JSON | 1.00 | 0 |\n");
  for (int level : {1, 3, 9}) {
    int rounds = 200;
    size_t packed = 0;
    double cpu = CpuSeconds();
    for (int r = 0; r < rounds; ++r) packed = cloud::Compress(raw, level)->size();
    cpu = CpuSeconds() - cpu;
    double mb = rounds * raw.size() / 1e6;
    fmt::print("| zstd {} | {:.1f} | {:.2f} |\n", level, double(raw.size()) / packed,
               cpu * 1000 / mb);
  }

  // 4. A million items waiting: their memory.
  {
    SystemClock clock;
    long before = MaxRssKb();
    Db db = OpenDb(dir + "/million.db", clock, 4096);
    auto start = Steady::now();
    Fill(*db.queue, 1000000);
    double fill_s = std::chrono::duration<double>(Steady::now() - start).count();
    auto stats = db.queue->Stats(cloud::CloudConnector::kFeed);
    long after = MaxRssKb();
    fmt::print(
        "\n1,000,000 items queued in {:.1f} s ({:.0f} MB on disk); peak RSS {} MB before, {} MB "
        "after\n",
        fill_s, stats->bytes / 1e6, before / 1024, after / 1024);
  }
  bench::Stop(mosquitto);
  std::filesystem::remove_all(dir);
  return 0;
}
