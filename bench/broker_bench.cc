// pharos-broker against KUKSA's own throughput scenario (kuksa-perf's
// signal groups: a provider stream publishes each group, one subscriber per
// group receives it; closed loop, cycle 0: the next publish waits for the
// last to arrive), and, in the same run, mosquitto relaying the same
// signals one per message at QoS 0 to the same number of subscribers.
// Then: 1,000 subscribers to one signal, and memory per subscription.
//
//   bench_broker [SCENARIO.json] [seconds]
// Prints tables; never fails on slow numbers (exit 1 only when it cannot run).
#include <grpcpp/grpcpp.h>
#include <mosquitto.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include "bench_support.h"
#include "kuksa/val/v2/val.grpc.pb.h"
#include "process_support.h"

namespace {

using namespace std::chrono_literals;
using pharos::bench::Clock;
namespace v2 = kuksa::val::v2;
using pharos::bench::RssKb;
using pharos::bench::Spawn;
using pharos::bench::Stop;

struct Group {
  std::string name;
  std::vector<std::string> paths;
  std::vector<int32_t> ids;
  std::vector<v2::Metadata> meta;
};

struct Latencies {
  std::vector<double> ms;
  uint64_t signals = 0;
  void Print(const std::string& who, double seconds) const {
    std::vector<double> s = ms;
    std::sort(s.begin(), s.end());
    auto q = [&](double p) {
      return s.empty() ? 0.0 : s[std::min(s.size() - 1, size_t(p * s.size()))];
    };
    fmt::print("| {} | {:.0f} | {:.3f} | {:.3f} | {:.3f} | {:.3f} | {:.3f} |\n", who,
               signals / seconds, q(0.5), q(0.9), q(0.95), q(0.99), s.empty() ? 0.0 : s.back());
  }
};

v2::Value ValueFor(const v2::Metadata& m, uint64_t seq) {
  v2::Value v;
  bool odd = seq % 2;
  switch (m.data_type()) {
    case v2::DATA_TYPE_BOOLEAN:
      v.set_bool_(odd);
      break;
    case v2::DATA_TYPE_STRING:
      if (m.allowed_values().string_array().values_size() > 0) {
        const auto& a = m.allowed_values().string_array().values();
        v.set_string(a[seq % a.size()]);
      } else {
        v.set_string(odd ? "a" : "b");
      }
      break;
    case v2::DATA_TYPE_INT8:
    case v2::DATA_TYPE_INT16:
    case v2::DATA_TYPE_INT32:
      v.set_int32(m.min().int32() + odd);
      break;
    case v2::DATA_TYPE_INT64:
      v.set_int64(m.min().int64() + odd);
      break;
    case v2::DATA_TYPE_UINT8:
    case v2::DATA_TYPE_UINT16:
    case v2::DATA_TYPE_UINT32:
      v.set_uint32(m.min().uint32() + odd);
      break;
    case v2::DATA_TYPE_UINT64:
      v.set_uint64(m.min().uint64() + odd);
      break;
    case v2::DATA_TYPE_FLOAT:
      v.set_float_(m.min().float_() + odd);
      break;
    case v2::DATA_TYPE_DOUBLE:
      v.set_double_(m.min().double_() + odd);
      break;
    default:
      v.set_string("x");
  }
  return v;
}

double NowMs() {
  return std::chrono::duration<double, std::milli>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// One group's closed loop over kuksa.val.v2: publish on the provider
// stream, wait for the subscriber to receive it, repeat.
void RunBrokerGroup(v2::VAL::Stub& stub, const Group& g, Clock::time_point measure_from,
                    Clock::time_point until, Latencies& out, std::mutex& out_mu) {
  grpc::ClientContext pctx, sctx;
  auto provider = stub.OpenProviderStream(&pctx);
  v2::OpenProviderStreamRequest claim;
  for (int32_t id : g.ids)
    (*claim.mutable_provide_signal_request()->mutable_signals_sample_intervals())[id];
  v2::OpenProviderStreamResponse answer;
  if (!provider->Write(claim) || !provider->Read(&answer)) return;
  v2::SubscribeByIdRequest sub;
  for (int32_t id : g.ids) sub.add_signal_ids(id);
  sub.set_buffer_size(1000);
  auto reader = stub.SubscribeById(&sctx, sub);
  v2::SubscribeByIdResponse msg;
  if (!reader->Read(&msg)) return;  // the current values

  Latencies local;
  v2::OpenProviderStreamRequest publish;
  auto* points = publish.mutable_publish_values_request()->mutable_data_points();
  for (uint64_t seq = 1; Clock::now() < until; ++seq) {
    points->clear();
    double sent = NowMs();
    int64_t ns = int64_t(sent * 1e6);
    for (size_t i = 0; i < g.ids.size(); ++i) {
      v2::Datapoint& dp = (*points)[g.ids[i]];
      dp.mutable_timestamp()->set_seconds(ns / 1'000'000'000);
      dp.mutable_timestamp()->set_nanos(int32_t(ns % 1'000'000'000));
      *dp.mutable_value() = ValueFor(g.meta[i], seq);
    }
    publish.mutable_publish_values_request()->set_request_id(uint32_t(seq));
    if (!provider->Write(publish)) break;
    size_t got = 0;
    while (got < g.ids.size() && reader->Read(&msg)) {
      double now = NowMs();
      for (const auto& [id, dp] : msg.entries()) {
        ++got;
        if (Clock::now() < measure_from) continue;
        double at = dp.timestamp().seconds() * 1e3 + dp.timestamp().nanos() / 1e6;
        local.ms.push_back(now - at);
        ++local.signals;
      }
    }
    if (got < g.ids.size()) break;
  }
  pctx.TryCancel();
  sctx.TryCancel();
  std::lock_guard lock(out_mu);
  out.ms.insert(out.ms.end(), local.ms.begin(), local.ms.end());
  out.signals += local.signals;
}

// The same loop over mosquitto: one message per signal, QoS 0.
struct MqttWaiter {
  std::mutex mu;
  std::condition_variable cv;
  size_t got = 0;
  Latencies lat;
  Clock::time_point measure_from;
};

void OnMessage(struct mosquitto*, void* obj, const struct mosquitto_message* m) {
  auto* w = static_cast<MqttWaiter*>(obj);
  double now = NowMs();
  double sent = 0;
  if (m->payloadlen >= int(sizeof(double))) memcpy(&sent, m->payload, sizeof(double));
  std::lock_guard lock(w->mu);
  ++w->got;
  if (Clock::now() >= w->measure_from) {
    w->lat.ms.push_back(now - sent);
    ++w->lat.signals;
  }
  w->cv.notify_one();
}

void RunMqttGroup(int port, const Group& g, size_t index, Clock::time_point measure_from,
                  Clock::time_point until, Latencies& out, std::mutex& out_mu) {
  MqttWaiter w;
  w.measure_from = measure_from;
  std::string prefix = fmt::format("bench/{}/", index);
  mosquitto* sub = mosquitto_new(nullptr, true, &w);
  mosquitto* pub = mosquitto_new(nullptr, true, nullptr);
  mosquitto_message_callback_set(sub, OnMessage);
  if (mosquitto_connect(sub, "127.0.0.1", port, 60) != MOSQ_ERR_SUCCESS ||
      mosquitto_connect(pub, "127.0.0.1", port, 60) != MOSQ_ERR_SUCCESS) {
    return;
  }
  mosquitto_subscribe(sub, nullptr, (prefix + "#").c_str(), 0);
  mosquitto_loop_start(sub);
  mosquitto_loop_start(pub);
  std::this_thread::sleep_for(200ms);  // the subscription is in place
  for (uint64_t seq = 1; Clock::now() < until; ++seq) {
    size_t target;
    {
      std::lock_guard lock(w.mu);
      target = w.got + g.paths.size();
    }
    for (size_t i = 0; i < g.paths.size(); ++i) {
      std::string payload(sizeof(double), '\0');
      double sent = NowMs();
      memcpy(payload.data(), &sent, sizeof(double));
      payload += ValueFor(g.meta[i], seq).SerializeAsString();
      mosquitto_publish(pub, nullptr, (prefix + g.paths[i]).c_str(), int(payload.size()),
                        payload.data(), 0, false);
    }
    std::unique_lock lock(w.mu);
    if (!w.cv.wait_for(lock, 2s, [&] { return w.got >= target; })) break;
  }
  mosquitto_disconnect(sub);
  mosquitto_disconnect(pub);
  mosquitto_loop_stop(sub, true);
  mosquitto_loop_stop(pub, true);
  mosquitto_destroy(sub);
  mosquitto_destroy(pub);
  std::lock_guard lock(out_mu);
  out.ms.insert(out.ms.end(), w.lat.ms.begin(), w.lat.ms.end());
  out.signals += w.lat.signals;
}

std::vector<Group> LoadGroups(const std::string& file, v2::VAL::Stub& stub) {
  std::vector<Group> groups;
  nlohmann::json j = nlohmann::json::parse(pharos::bench::ReadAll(file), nullptr, false);
  if (!j.is_object()) return groups;
  for (const auto& g : j["groups"]) {
    Group group{g["group_name"].get<std::string>(), {}, {}, {}};
    for (const auto& s : g["signals"]) {
      v2::ListMetadataRequest req;
      req.set_root(s["path"].get<std::string>());
      v2::ListMetadataResponse resp;
      grpc::ClientContext ctx;
      if (!stub.ListMetadata(&ctx, req, &resp).ok() || resp.metadata_size() != 1) continue;
      group.paths.push_back(req.root());
      group.ids.push_back(resp.metadata(0).id());
      group.meta.push_back(resp.metadata(0));
    }
    if (!group.ids.empty()) groups.push_back(std::move(group));
  }
  return groups;
}

int FreePort() { return 20000 + (getpid() % 20000); }

}  // namespace

int main(int argc, char** argv) {
  std::string scenario = argc > 1 && argv[1][0] ? argv[1]
                                                : PHAROS_SHARED_DIR
                             "/bench-scenarios/kuksa-perf/sensors/data_group_10.json";
  int seconds = argc > 2 ? std::atoi(argv[2]) : 5;
  std::string dir = "/tmp/pharos-bench-broker-" + std::to_string(getpid());
  std::filesystem::create_directories(dir);

  pid_t broker = Spawn(
      {PHAROS_BROKER_BINARY, "--port", "0", "--ready-file", dir + "/ready", "--log-level", "warn"},
      dir + "/broker.log");
  std::string address;
  for (int i = 0; i < 100 && address.empty(); ++i) {
    std::this_thread::sleep_for(50ms);
    address = pharos::bench::ReadAll(dir + "/ready");
  }
  if (address.empty()) {
    fmt::print(stderr, "pharos-broker did not start: {}\n",
               pharos::bench::ReadAll(dir + "/broker.log"));
    return 1;
  }
  address = address.substr(0, address.find('\n'));
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  auto stub = v2::VAL::NewStub(
      grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args));
  std::vector<Group> groups = LoadGroups(scenario, *stub);
  size_t signals = 0;
  for (const auto& g : groups) signals += g.ids.size();

  int mqtt_port = FreePort();
  std::ofstream(dir + "/mosquitto.conf") << fmt::format(
      "listener {} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages "
      "100000\n",
      mqtt_port);
  pid_t mosquitto = Spawn({"mosquitto", "-c", dir + "/mosquitto.conf"}, dir + "/mosquitto.log");
  std::this_thread::sleep_for(300ms);
  mosquitto_lib_init();

  fmt::print("KUKSA scenario {} ({} groups, {} signals), closed loop, {} s after 2 s warm-up\n\n",
             std::filesystem::path(scenario).filename().string(), groups.size(), signals, seconds);
  fmt::print(
      "| | signals/s | p50 ms | p90 ms | p95 ms | p99 ms | max ms "
      "|\n|---|---|---|---|---|---|---|\n");
  auto run = [&](const std::string& who, auto body) {
    Latencies all;
    std::mutex mu;
    auto start = Clock::now();
    auto from = start + 2s;
    auto until = from + std::chrono::seconds(seconds);
    std::vector<std::thread> threads;
    for (size_t i = 0; i < groups.size(); ++i) {
      threads.emplace_back([&, i] { body(groups[i], i, from, until, all, mu); });
    }
    for (auto& t : threads) t.join();
    all.Print(who, seconds);
  };
  run("pharos-broker (kuksa.val.v2 provider stream -> SubscribeById)",
      [&](const Group& g, size_t, auto from, auto until, Latencies& all, std::mutex& mu) {
        auto own = v2::VAL::NewStub(
            grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args));
        RunBrokerGroup(*own, g, from, until, all, mu);
      });
  run("mosquitto 2.0 (one message per signal, QoS 0)",
      [&](const Group& g, size_t i, auto from, auto until, Latencies& all, std::mutex& mu) {
        RunMqttGroup(mqtt_port, g, i, from, until, all, mu);
      });
  fmt::print(
      "| KUKSA databroker, published (hardware not stated) | 83935 | 0.199 | 0.263 | 0.294 | 1.205 "
      "| 4.187 |\n\n");

  // Fan-out: N subscribers to Vehicle.Speed, one publisher.
  for (int n : {1000}) {
    long rss_before = RssKb(broker);
    std::vector<std::unique_ptr<grpc::ClientContext>> ctxs;
    std::vector<std::unique_ptr<grpc::ClientReader<v2::SubscribeResponse>>> readers;
    auto channel = grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
    auto fan = v2::VAL::NewStub(channel);
    v2::SubscribeRequest req;
    req.add_signal_paths("Vehicle.Speed");
    req.set_buffer_size(100);
    for (int i = 0; i < n; ++i) {
      ctxs.push_back(std::make_unique<grpc::ClientContext>());
      readers.push_back(fan->Subscribe(ctxs.back().get(), req));
      v2::SubscribeResponse first;
      readers.back()->Read(&first);
    }
    long rss_after = RssKb(broker);
    std::atomic<uint64_t> received = 0;
    std::mutex lat_mu;
    Latencies lat;
    std::vector<std::thread> readers_threads;
    for (int i = 0; i < n; ++i) {
      readers_threads.emplace_back([&, i] {
        v2::SubscribeResponse msg;
        while (readers[i]->Read(&msg)) {
          double now = NowMs();
          const auto& dp = msg.entries().at("Vehicle.Speed");
          double at = dp.timestamp().seconds() * 1e3 + dp.timestamp().nanos() / 1e6;
          std::lock_guard lock(lat_mu);
          lat.ms.push_back(now - at);
          ++lat.signals;
          ++received;
        }
      });
    }
    int publishes = 0;
    auto start = Clock::now();
    while (Clock::now() - start < std::chrono::seconds(seconds)) {
      uint64_t target = received + n;
      v2::PublishValueRequest p;
      *p.mutable_signal_id()->mutable_path() = "Vehicle.Speed";
      int64_t ns = int64_t(NowMs() * 1e6);
      p.mutable_data_point()->mutable_timestamp()->set_seconds(ns / 1'000'000'000);
      p.mutable_data_point()->mutable_timestamp()->set_nanos(int32_t(ns % 1'000'000'000));
      p.mutable_data_point()->mutable_value()->set_float_(float(publishes % 200));
      v2::PublishValueResponse r;
      grpc::ClientContext c;
      fan->PublishValue(&c, p, &r);
      ++publishes;
      auto wait_until = Clock::now() + 2s;
      while (received < target && Clock::now() < wait_until) std::this_thread::sleep_for(50us);
    }
    double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    for (auto& c : ctxs) c->TryCancel();
    for (auto& t : readers_threads) t.join();
    fmt::print(
        "{} subscribers to one signal: {} publishes in {:.1f} s, every one delivered to all "
        "before the next; deliveries:\n\n",
        n, publishes, elapsed);
    fmt::print(
        "| | deliveries/s | p50 ms | p90 ms | p95 ms | p99 ms | max ms "
        "|\n|---|---|---|---|---|---|---|\n");
    lat.Print(fmt::format("pharos-broker, {} subscribers", n), elapsed);
    fmt::print(
        "\nbroker RSS with {} subscriptions open: {} KiB more than before ({:.1f} KiB each)\n\n", n,
        rss_after - rss_before, double(rss_after - rss_before) / n);
  }

  // Memory: 10,000 open subscriptions (streams), each to one signal.
  {
    const int n = 10000;
    long before = RssKb(broker);
    auto channel = grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
    auto mem = v2::VAL::NewStub(channel);
    v2::SubscribeRequest req;
    req.add_signal_paths("Vehicle.Speed");
    std::vector<std::unique_ptr<grpc::ClientContext>> ctxs;
    std::vector<std::unique_ptr<grpc::ClientReader<v2::SubscribeResponse>>> readers;
    int open = 0;
    for (int i = 0; i < n; ++i) {
      ctxs.push_back(std::make_unique<grpc::ClientContext>());
      readers.push_back(mem->Subscribe(ctxs.back().get(), req));
      v2::SubscribeResponse first;
      if (!readers.back()->Read(&first)) break;
      ++open;
    }
    long after = RssKb(broker);
    fmt::print(
        "{} subscriptions open (of {} asked): broker RSS {} KiB more ({:.1f} KiB each; "
        "one server thread per stream)\n",
        open, n, after - before, open ? double(after - before) / open : 0.0);
    for (auto& c : ctxs) c->TryCancel();
  }

  mosquitto_lib_cleanup();
  Stop(mosquitto);
  Stop(broker);
  std::filesystem::remove_all(dir);
  return 0;
}
