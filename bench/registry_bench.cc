// Service registry benchmark, in one run:
//  1. RegisterService over gRPC (loopback, the real PharosServiceImpl with
//     the registry on a real SQLite file, synchronous=FULL) with 1, 8 and 64
//     concurrent clients, next to the same server answering an empty RPC
//     (grpc.health.v1.Health/Check): the upper bound of gRPC here.
//  2. SOME/IP-SD: OfferService datagram sent → service in the registry,
//     through a real multicast socket on a bridge in a namespace of its own
//     (needs root; skipped otherwise).
#include <arpa/inet.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "core/someip_discovery.h"
#include "dataplane/plan_backend.h"
#include "netlink/netns.h"
#include "pharos/api/v1/pharos_service.grpc.pb.h"
#include "plan_daemon.h"
#include "store/config_store.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace v1 = pharos::api::v1;

struct Load {
  double calls_per_second = 0, p50_ms = 0, p99_ms = 0;
};

// `clients` threads, each with its own channel, calling `call` for `span`.
Load Drive(int clients, std::chrono::milliseconds span,
           const std::function<std::function<bool(int)>(int)>& make_call) {
  std::vector<std::vector<double>> latencies(clients);
  std::vector<std::thread> threads;
  std::atomic<bool> go{false};
  auto deadline = std::make_shared<Clock::time_point>();
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      std::function<bool(int)> call = make_call(c);
      while (!go) std::this_thread::yield();
      for (int i = 0; Clock::now() < *deadline; ++i) {
        auto start = Clock::now();
        if (!call(i)) break;
        latencies[c].push_back(
            std::chrono::duration<double, std::milli>(Clock::now() - start).count());
      }
    });
  }
  *deadline = Clock::now() + span;
  go = true;
  for (auto& t : threads) t.join();
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  if (all.empty()) return {};
  auto at = [&](double q) { return all[std::min(all.size() - 1, size_t(q * all.size()))]; };
  return {all.size() / std::chrono::duration<double>(span).count(), at(0.5), at(0.99)};
}

// Offer → registered latency over real multicast, in a namespace of its own.
void SdLatency(pharos::core::ServiceRegistry& registry, pharos::core::ConfigController& controller,
               const pharos::Clock& clock) {
  if (geteuid() != 0) {
    printf("SOME/IP-SD latency: skipped (needs root)\n");
    return;
  }
  std::string ns = "rb" + std::to_string(getpid() % 10000) + "-sd";
  if (!pharos::netlink::CreateNamedNetns(ns).ok()) return;
  std::string out = "ip -n " + ns + " link add br0 type bridge && ip -n " + ns +
                    " link set br0 up && ip -n " + ns + " link set lo up && ip -n " + ns +
                    " addr add 10.99.0.1/24 dev br0";
  if (system(out.c_str()) != 0) {
    (void)pharos::netlink::DeleteNamedNetns(ns);
    return;
  }
  std::mutex mu;
  std::condition_variable cv;
  Clock::time_point registered;
  int seen = 0;
  auto subscription = registry.changes().Subscribe([&] {
    std::lock_guard lock(mu);
    registered = Clock::now();
    ++seen;
    cv.notify_all();
  });
  pharos::discovery::SdListenerOptions lo;
  lo.group = *pharos::Ipv4Address::Parse("224.244.224.245");
  pharos::core::SomeIpDiscovery discovery(registry, controller, clock, {lo.group, 30490, {}});
  pharos::discovery::SdListener listener(
      lo,
      [&](const pharos::discovery::SdMessage& m, pharos::Ipv4Address from) {
        discovery.Handle(m, from);
      },
      nullptr);
  listener.SetInterfaces({{ns, "br0"}});
  listener.Start();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // joined
  std::vector<double> took;
  {
    auto inside = pharos::netlink::ScopedNetns::Enter(ns);
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    in_addr br0{};
    inet_pton(AF_INET, "10.99.0.1", &br0);
    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &br0, sizeof(br0));
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(30490);
    inet_pton(AF_INET, "224.244.224.245", &to.sin_addr);
    for (int i = 0; i < 200; ++i) {
      pharos::discovery::SdMessage m;
      pharos::discovery::SdEntry e;
      e.service_id = 0x4242;
      e.instance_id = static_cast<uint16_t>(i + 1);
      e.major_version = 1;
      e.ttl = 30;
      e.endpoints.push_back({*pharos::Ipv4Address::Parse("10.99.0.1"), 0x11, 30509, false});
      m.entries.push_back(e);
      std::vector<uint8_t> bytes = pharos::discovery::BuildSomeIpSd(m);
      std::unique_lock lock(mu);
      int before = seen;
      auto start = Clock::now();
      sendto(fd, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to));
      if (cv.wait_for(lock, std::chrono::seconds(2), [&] { return seen > before; })) {
        took.push_back(std::chrono::duration<double, std::milli>(registered - start).count());
      }
    }
    close(fd);
  }
  listener.Stop();
  subscription.Reset();
  (void)pharos::netlink::DeleteNamedNetns(ns);
  if (took.empty()) {
    printf("SOME/IP-SD latency: no offer was registered\n");
    return;
  }
  std::sort(took.begin(), took.end());
  printf("SOME/IP-SD Offer -> registered (%zu offers): p50 %.3f ms, p99 %.3f ms, max %.3f ms\n",
         took.size(), took[took.size() / 2],
         took[std::min(took.size() - 1, took.size() * 99 / 100)], took.back());
}

}  // namespace

int main() {
  spdlog::set_level(spdlog::level::warn);
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("pharos-rbench-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  pharos::SystemClock clock;
  std::string db_path = (dir / "pharos.db").string();
  auto store =
      pharos::store::ConfigStore::Open(std::move(*pharos::store::Database::Open(db_path)), clock);
  auto services_db = pharos::store::Database::Open(db_path);
  (void)(*services_db)->Exec("PRAGMA synchronous=NORMAL;");  // as pharosd does (soft state)
  pharos::dataplane::PlanBackend backend;
  pharos::core::ConfigController controller(**store, backend, {});
  pharos::core::ServiceRegistry registry(**services_db, controller, clock, nullptr);
  // The RPCs go to the real pharosd (in process, plan dataplane); the
  // registry above is the SOME/IP-SD latency part's own.
  std::unique_ptr<pharos::Daemon> daemon = StartPlanDaemon(dir / "daemon", clock);
  if (!daemon) return 0;
  std::string address = daemon->address();

  printf("%-8s %14s %10s %10s %14s %10s %10s %8s\n", "clients", "Register/s", "p50", "p99",
         "empty RPC/s", "p50", "p99", "ratio");
  for (int clients : {1, 8, 64}) {
    auto span = std::chrono::milliseconds(2000);
    // The empty RPC: grpc.health.v1.Health/Check with an empty request,
    // through the generic stub (no generated health stubs in Debian).
    Load empty = Drive(clients, span, [&](int) {
      auto stub = std::make_shared<grpc::GenericStub>(
          grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), [] {
            grpc::ChannelArguments a;
            a.SetInt("grpc.use_local_subchannel_pool", 1);  // a connection per client
            return a;
          }()));
      return std::function<bool(int)>([stub](int) {
        grpc::ClientContext ctx;
        grpc::Slice nothing;
        grpc::ByteBuffer request(&nothing, 1), response;
        std::mutex mu;
        std::condition_variable cv;
        bool done = false, ok = false;
        stub->UnaryCall(&ctx, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request,
                        &response, [&](grpc::Status st) {
                          std::lock_guard l(mu);
                          ok = st.ok();
                          done = true;
                          cv.notify_one();
                        });
        std::unique_lock l(mu);
        cv.wait(l, [&] { return done; });
        return ok;
      });
    });
    Load reg = Drive(clients, span, [&](int c) {
      auto stub = v1::PharosService::NewStub(
          grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), [] {
            grpc::ChannelArguments a;
            a.SetInt("grpc.use_local_subchannel_pool", 1);
            return a;
          }()));
      return std::function<bool(int)>([stub = std::shared_ptr(std::move(stub)), c, clients](int i) {
        grpc::ClientContext ctx;
        v1::RegisterServiceRequest req;
        req.set_service_name("svc-" + std::to_string(clients) + "-" + std::to_string(c) + "-" +
                             std::to_string(i));
        req.set_host("10.2.1.2");
        req.set_port(8000 + (i % 1000));
        req.set_protocol("grpc");
        v1::RegisterServiceResponse resp;
        return stub->RegisterService(&ctx, req, &resp).ok();
      });
    });
    printf("%-8d %14.0f %8.3fms %8.3fms %14.0f %8.3fms %8.3fms %7.0f%%\n", clients,
           reg.calls_per_second, reg.p50_ms, reg.p99_ms, empty.calls_per_second, empty.p50_ms,
           empty.p99_ms, 100 * reg.calls_per_second / std::max(1.0, empty.calls_per_second));
  }
  SdLatency(registry, controller, clock);
  daemon.reset();
  std::filesystem::remove_all(dir);
  return 0;
}
