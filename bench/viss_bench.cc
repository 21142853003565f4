// VISS on pharos-broker, in one run: (a) a value published over gRPC until
// it reaches a VISS WebSocket subscriber, next to the same path through
// kuksa.val.v2 Subscribe (the VISS overhead ratio); (b) 1,000 and 10,000
// WebSocket clients each subscribed to the changing signal:
// notifications/s, latency, broker memory per client; (c) HTTP GET at 64
// keep-alive connections next to kuksa.val.v2 GetValue at 64 concurrent
// calls. The clients are Boost.Beast and gRPC in this process, sharing the
// machine's cores with the broker (stated with the results).
//
//   bench_viss [seconds]
// Prints tables; never fails on slow numbers (exit 1 only when it cannot run).
#include <grpcpp/grpcpp.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>

#include "bench_support.h"
#include "kuksa/val/v2/val.grpc.pb.h"
#include "process_support.h"

namespace {

using namespace std::chrono_literals;
namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace http = beast::http;
using tcp = net::ip::tcp;
namespace v2 = kuksa::val::v2;
using pharos::bench::Clock;

constexpr char kSpeed[] = "Vehicle.Speed";

// Send times by sequence number: the publisher writes, the receivers read.
class SendTimes {
 public:
  explicit SendTimes(size_t n) : at_(n) {}
  void Mark(size_t seq) { at_[seq].store(Clock::now().time_since_epoch().count()); }
  // ms since `seq` was sent; negative when it is not one of ours.
  double Since(size_t seq) const {
    if (seq >= at_.size()) return -1;
    int64_t sent = at_[seq].load();
    if (sent == 0) return -1;
    return (Clock::now().time_since_epoch().count() - sent) / 1e6;
  }
  size_t size() const { return at_.size(); }

 private:
  std::vector<std::atomic<int64_t>> at_;
};

struct Samples {
  std::mutex mu;
  std::vector<double> ms;
  void Add(const std::vector<double>& more) {
    std::lock_guard lock(mu);
    ms.insert(ms.end(), more.begin(), more.end());
  }
  double Quantile(double q) {
    std::lock_guard lock(mu);
    if (ms.empty()) return 0;
    std::sort(ms.begin(), ms.end());
    return ms[std::min(ms.size() - 1, size_t(q * ms.size()))];
  }
  size_t Count() {
    std::lock_guard lock(mu);
    return ms.size();
  }
};

// The sequence number in a VISS event: its value ("dp":{"value":"17",...}).
std::optional<size_t> SeqOf(std::string_view message) {
  size_t at = message.find("\"value\":\"");
  if (at == std::string_view::npos) return std::nullopt;
  return std::strtoull(message.data() + at + 9, nullptr, 10);
}

std::string SubscribeRequest() {
  return fmt::format(R"({{"action":"subscribe","path":"{}","requestId":"1"}})", kSpeed);
}

bool Publish(v2::VAL::Stub& stub, size_t seq) {
  v2::PublishValueRequest req;
  req.mutable_signal_id()->set_path(kSpeed);
  req.mutable_data_point()->mutable_value()->set_float_(static_cast<float>(seq));
  v2::PublishValueResponse resp;
  grpc::ClientContext ctx;
  return stub.PublishValue(&ctx, req, &resp).ok();
}

// Publishes seq = first .. first+count-1 every `period`; marks each send.
void PublishAtRate(v2::VAL::Stub& stub, SendTimes& times, size_t first, size_t count,
                   std::chrono::microseconds period) {
  auto next = Clock::now();
  for (size_t seq = first; seq < first + count && seq < times.size(); ++seq) {
    std::this_thread::sleep_until(next);
    next += period;
    times.Mark(seq);
    Publish(stub, seq);
  }
}

// (a): one WebSocket subscriber and one kuksa.val.v2 Subscribe, same values.
void OneSubscriberEach(v2::VAL::Stub& stub, const std::string& host, const std::string& port,
                       int seconds) {
  const size_t count = static_cast<size_t>(seconds) * 500;  // 500 per second
  SendTimes times(count + 10);
  Samples ws_ms, grpc_ms;
  std::atomic<bool> ready_ws = false, ready_grpc = false;

  std::thread ws_reader([&] {
    net::io_context ioc;
    tcp::resolver resolver(ioc);
    websocket::stream<tcp::socket> ws(ioc);
    net::connect(ws.next_layer(), resolver.resolve(host, port));
    ws.next_layer().set_option(tcp::no_delay(true));
    ws.set_option(websocket::stream_base::decorator(
        [](websocket::request_type& r) { r.set(http::field::sec_websocket_protocol, "VISSv2"); }));
    ws.handshake(host, "/");
    ws.write(net::buffer(SubscribeRequest()));
    beast::flat_buffer buffer;
    ws.read(buffer);  // the subscribe answer
    buffer.clear();
    ws.read(buffer);  // the first event: the current value
    buffer.clear();
    ready_ws = true;
    std::vector<double> local;
    while (true) {
      beast::error_code ec;
      ws.read(buffer, ec);
      if (ec) break;
      std::string_view text(static_cast<const char*>(buffer.data().data()), buffer.size());
      if (auto seq = SeqOf(text)) {
        double ms = times.Since(*seq);
        if (ms >= 0) local.push_back(ms);
        if (*seq + 1 >= count) break;
      }
      buffer.clear();
    }
    ws_ms.Add(local);
  });

  grpc::ClientContext sctx;
  std::thread grpc_reader([&] {
    v2::SubscribeRequest req;
    req.add_signal_paths(kSpeed);
    auto reader = stub.Subscribe(&sctx, req);
    v2::SubscribeResponse msg;
    if (!reader->Read(&msg)) return;  // the current value
    ready_grpc = true;
    std::vector<double> local;
    while (reader->Read(&msg)) {
      auto it = msg.entries().find(kSpeed);
      if (it == msg.entries().end()) continue;
      size_t seq = static_cast<size_t>(it->second.value().float_());
      double ms = times.Since(seq);
      if (ms >= 0) local.push_back(ms);
      if (seq + 1 >= count) break;
    }
    grpc_ms.Add(local);
  });
  for (int i = 0; i < 500 && !(ready_ws && ready_grpc); ++i) std::this_thread::sleep_for(10ms);
  PublishAtRate(stub, times, 1, count, 2000us);
  std::this_thread::sleep_for(500ms);
  sctx.TryCancel();
  grpc_reader.join();
  ws_reader.join();

  fmt::print("\n(a) a published value until it reaches one subscriber, {} values at 500/s\n\n",
             count);
  fmt::print("| path | received | p50 ms | p90 ms | p99 ms |\n|---|---|---|---|---|\n");
  fmt::print("| VISS WebSocket | {} | {:.3f} | {:.3f} | {:.3f} |\n", ws_ms.Count(),
             ws_ms.Quantile(0.5), ws_ms.Quantile(0.9), ws_ms.Quantile(0.99));
  fmt::print("| kuksa.val.v2 Subscribe | {} | {:.3f} | {:.3f} | {:.3f} |\n", grpc_ms.Count(),
             grpc_ms.Quantile(0.5), grpc_ms.Quantile(0.9), grpc_ms.Quantile(0.99));
  double g99 = grpc_ms.Quantile(0.99);
  fmt::print("\nVISS p99 / gRPC p99: {:.2f} (target ≤ 1.5)\n",
             g99 > 0 ? ws_ms.Quantile(0.99) / g99 : 0);
}

// One asynchronous WebSocket client of (b).
class Client : public std::enable_shared_from_this<Client> {
 public:
  Client(net::io_context& ioc, const SendTimes& times, std::atomic<size_t>& subscribed)
      : ws_(ioc), times_(times), subscribed_(subscribed) {}
  void Start(const tcp::endpoint& endpoint) {
    ws_.next_layer().async_connect(endpoint, [self = shared_from_this()](beast::error_code ec) {
      if (ec) return;
      self->ws_.set_option(websocket::stream_base::decorator([](websocket::request_type& r) {
        r.set(http::field::sec_websocket_protocol, "VISSv2");
      }));
      self->ws_.async_handshake("127.0.0.1", "/", [self](beast::error_code ec) {
        if (ec) return;
        self->request_ = SubscribeRequest();
        self->ws_.async_write(net::buffer(self->request_), [self](beast::error_code ec, size_t) {
          if (!ec) self->Read();
        });
      });
    });
  }
  void Close() {
    beast::error_code ignored;
    ws_.next_layer().close(ignored);
  }
  std::vector<double> latencies;

 private:
  void Read() {
    ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return;
      std::string_view text(static_cast<const char*>(self->buffer_.data().data()),
                            self->buffer_.size());
      if (!self->answered_) {
        self->answered_ = true;
        ++self->subscribed_;
      } else if (auto seq = SeqOf(text)) {
        double ms = self->times_.Since(*seq);
        if (ms >= 0) self->latencies.push_back(ms);
      }
      self->buffer_.clear();
      self->Read();
    });
  }

  websocket::stream<tcp::socket> ws_;
  const SendTimes& times_;
  std::atomic<size_t>& subscribed_;
  beast::flat_buffer buffer_;
  std::string request_;
  bool answered_ = false;
};

// (b): `n` clients, each subscribed; 10 values a second for `seconds`.
void ManyClients(v2::VAL::Stub& stub, pid_t broker, const tcp::endpoint& endpoint, size_t n,
                 int seconds, size_t& seq_base) {
  const size_t count = static_cast<size_t>(seconds) * 10;
  SendTimes times(seq_base + count + 10);
  long rss_before = pharos::bench::RssKb(broker);
  net::io_context ioc;
  std::atomic<size_t> subscribed = 0;
  std::vector<std::shared_ptr<Client>> clients;
  for (size_t i = 0; i < n; ++i) {
    clients.push_back(std::make_shared<Client>(ioc, times, subscribed));
    clients.back()->Start(endpoint);
  }
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) threads.emplace_back([&] { ioc.run(); });
  auto deadline = Clock::now() + 60s;
  while (subscribed < n && Clock::now() < deadline) std::this_thread::sleep_for(20ms);
  std::this_thread::sleep_for(1s);  // the first events (current values) drain
  long rss_after = pharos::bench::RssKb(broker);
  auto start = Clock::now();
  PublishAtRate(stub, times, seq_base + 1, count, 100ms);
  std::this_thread::sleep_for(1s);
  double elapsed = pharos::bench::Ms(start, Clock::now()) / 1e3;
  ioc.stop();
  for (auto& t : threads) t.join();
  Samples all;
  for (auto& c : clients) all.Add(c->latencies);
  for (auto& c : clients) c->Close();
  seq_base += count + 10;
  size_t got = all.Count();
  fmt::print("| {} | {} | {:.0f} | {:.1f}% | {:.2f} | {:.2f} | {:.2f} | {:.1f} |\n", n,
             subscribed.load(), got / elapsed, 100.0 * got / double(n * count), all.Quantile(0.5),
             all.Quantile(0.99), all.Quantile(1.0),
             subscribed ? double(rss_after - rss_before) / double(subscribed) : 0.0);
}

// (c): 64 HTTP keep-alive connections doing GETs, then 64 concurrent GetValue calls.
void HttpGets(v2::VAL::Stub& stub, const tcp::endpoint& endpoint, int seconds) {
  constexpr int kConnections = 64;
  Samples http_ms, grpc_ms;
  std::atomic<size_t> http_ok = 0, grpc_ok = 0;
  auto run = [&](auto body) {
    std::vector<std::thread> threads;
    auto until = Clock::now() + std::chrono::seconds(seconds);
    for (int i = 0; i < kConnections; ++i) threads.emplace_back([&, until] { body(until); });
    for (auto& t : threads) t.join();
  };
  run([&](Clock::time_point until) {
    net::io_context ioc;
    beast::tcp_stream stream(ioc);
    stream.connect(endpoint);
    stream.socket().set_option(tcp::no_delay(true));
    http::request<http::empty_body> req{http::verb::get, "/Vehicle/Speed", 11};
    req.set(http::field::host, "127.0.0.1");
    req.keep_alive(true);
    std::vector<double> local;
    beast::flat_buffer buffer;
    while (Clock::now() < until) {
      auto t0 = Clock::now();
      beast::error_code ec;
      http::write(stream, req, ec);
      http::response<http::string_body> res;
      if (!ec) http::read(stream, buffer, res, ec);
      if (ec) break;
      local.push_back(pharos::bench::Ms(t0, Clock::now()));
      if (res.result() == http::status::ok) ++http_ok;
    }
    http_ms.Add(local);
  });
  run([&](Clock::time_point until) {
    std::vector<double> local;
    v2::GetValueRequest req;
    req.mutable_signal_id()->set_path(kSpeed);
    while (Clock::now() < until) {
      auto t0 = Clock::now();
      grpc::ClientContext ctx;
      v2::GetValueResponse resp;
      if (!stub.GetValue(&ctx, req, &resp).ok()) break;
      local.push_back(pharos::bench::Ms(t0, Clock::now()));
      ++grpc_ok;
    }
    grpc_ms.Add(local);
  });
  fmt::print("\n(c) reads at {} concurrent connections/calls, {} s each\n\n", kConnections,
             seconds);
  fmt::print("| path | requests/s | p50 ms | p99 ms |\n|---|---|---|---|\n");
  fmt::print("| VISS HTTP GET (keep-alive) | {:.0f} | {:.3f} | {:.3f} |\n",
             double(http_ok) / seconds, http_ms.Quantile(0.5), http_ms.Quantile(0.99));
  fmt::print("| kuksa.val.v2 GetValue | {:.0f} | {:.3f} | {:.3f} |\n", double(grpc_ok) / seconds,
             grpc_ms.Quantile(0.5), grpc_ms.Quantile(0.99));
  fmt::print("\nHTTP requests/s / gRPC requests/s: {:.2f}\n",
             grpc_ok ? double(http_ok) / double(grpc_ok) : 0.0);
}

// The broker's VISS I/O threads: $VISS_THREADS, default 1 (the broker's default).
std::string VissThreads() {
  const char* env = std::getenv("VISS_THREADS");
  return env && *env ? env : "1";
}

}  // namespace

int main(int argc, char** argv) {
  int seconds = argc > 1 ? std::atoi(argv[1]) : 5;
  // 10,000 clients and as many server sockets, in this process and the broker.
  rlimit files{};
  getrlimit(RLIMIT_NOFILE, &files);
  files.rlim_cur = files.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &files) != 0 || files.rlim_cur < 10'100) {
    fmt::print(stderr, "the open-file limit is {}: 10,000 clients need more than 10,100\n",
               static_cast<long>(files.rlim_cur));
  }
  std::string dir = "/tmp/pharos-bench-viss-" + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  pid_t broker = pharos::bench::Spawn(
      {PHAROS_BROKER_BINARY, "--port", "0", "--enable-viss", "--viss-port", "0", "--viss-threads",
       VissThreads(), "--ready-file", dir + "/ready", "--log-level", "warn"},
      dir + "/broker.log");
  std::string ready = pharos::bench::WaitForReadyFile(dir + "/ready");
  size_t viss_at = ready.find("viss=");
  if (ready.empty() || viss_at == std::string::npos) {
    fmt::print(stderr, "pharos-broker did not start: {}\n",
               pharos::bench::ReadAll(dir + "/broker.log"));
    pharos::bench::Stop(broker);
    return 1;
  }
  std::string grpc_address = ready.substr(0, ready.find('\n'));
  std::string viss = ready.substr(viss_at + 5, ready.find('\n', viss_at) - viss_at - 5);
  std::string host = viss.substr(0, viss.rfind(':'));
  std::string port = viss.substr(viss.rfind(':') + 1);
  tcp::endpoint endpoint(net::ip::make_address(host), static_cast<unsigned short>(std::stoi(port)));
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  auto stub = v2::VAL::NewStub(
      grpc::CreateCustomChannel(grpc_address, grpc::InsecureChannelCredentials(), args));
  if (!Publish(*stub, 0)) {
    fmt::print(stderr, "cannot publish to pharos-broker\n");
    pharos::bench::Stop(broker);
    return 1;
  }
  fmt::print("pharos-broker --enable-viss --viss-threads {}; clients in this process ({} cores "
             "shared)\n",
             VissThreads(), std::thread::hardware_concurrency());
  OneSubscriberEach(*stub, host, port, seconds);
  HttpGets(*stub, endpoint, seconds);

  fmt::print("\n(b) many WebSocket clients, each subscribed to {}, 10 values/s for {} s\n\n",
             kSpeed, seconds);
  fmt::print(
      "| clients | subscribed | notifications/s | delivered | p50 ms | p99 ms | max ms | "
      "broker KiB per client |\n|---|---|---|---|---|---|---|---|\n");
  size_t seq_base = 1'000'000;
  for (size_t n : {size_t{1000}, size_t{10000}}) {
    ManyClients(*stub, broker, endpoint, n, seconds, seq_base);
    std::this_thread::sleep_for(3s);  // the broker lets the last clients go
  }
  pharos::bench::Stop(broker);
  std::filesystem::remove_all(dir);
  return 0;
}
