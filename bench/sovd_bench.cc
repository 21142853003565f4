// pharos-sovd end to end, in one run (docs/benchmarks.md "Vehicle diagnostics"):
//  (a) ReadDTC latency, gRPC → DoIP → simulated ECU → stream, for 1 and 20 ECUs;
//  (b) 100 and 1,000 concurrent ExecuteCommand streams: completed/s and p99;
//  (c) the same load against the seed's own Python VehicleServiceServicer
//      (its "Server Example", grpcio from Debian) answering with canned chunks.
// The ratio (b)/(c) is what a C++ vehicle service buys; both run on this
// machine in the same minute.
#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "process_support.h"
#include "sovd_vehicle_service.grpc.pb.h"

namespace {

using namespace pharos::bench;
using Clock = std::chrono::steady_clock;
using sovd::vehicle::CommandRequest;
using sovd::vehicle::CommandResponse;
using sovd::vehicle::VehicleService;

constexpr char kOne[] = "00000000-0000-4000-8000-000000000001";
constexpr char kTwo[] = "00000000-0000-4000-8000-000000000002";
constexpr char kTwenty[] = "00000000-0000-4000-8000-000000000020";

CommandRequest ReadDtc(const std::string& vehicle) {
  CommandRequest r;
  r.set_command_id("550e8400-e29b-41d4-a716-446655440000");
  r.set_vehicle_id(vehicle);
  r.set_command_name("ReadDTC");
  return r;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
}

// One ExecuteCommand, read to its end; the latency in ms, or -1 on an error.
double Once(VehicleService::Stub& stub, const CommandRequest& request, int* chunks) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  auto start = Clock::now();
  auto reader = stub.ExecuteCommand(&ctx, request);
  CommandResponse r;
  int n = 0;
  while (reader->Read(&r)) ++n;
  if (!reader->Finish().ok()) return -1;
  if (chunks) *chunks = n;
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// N streams kept in flight for `seconds` over a few channels (callback
// API); each one that ends starts the next.
struct LoadResult {
  double per_second = 0, p50 = 0, p99 = 0;
  long errors = 0;
};

class Load {
 public:
  Load(const std::string& address, CommandRequest request, int streams, double seconds)
      : request_(std::move(request)), streams_(streams), seconds_(seconds) {
    for (int i = 0; i < 8; ++i) {
      grpc::ChannelArguments args;
      args.SetInt("pharos.bench.channel", i);  // a connection each
      stubs_.push_back(VehicleService::NewStub(
          grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args)));
    }
  }

  LoadResult Run() {
    start_ = Clock::now();
    end_ = start_ +
           std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds_));
    for (int i = 0; i < streams_; ++i) new Call(*this, *stubs_[i % stubs_.size()]);
    std::unique_lock lock(mu_);
    done_cv_.wait(lock, [&] { return active_ == 0; });
    LoadResult r;
    double elapsed = std::chrono::duration<double>(last_ - start_).count();
    r.per_second = latencies_.size() / std::max(elapsed, 1e-9);
    r.p50 = Percentile(latencies_, 0.50);
    r.p99 = Percentile(latencies_, 0.99);
    r.errors = errors_;
    return r;
  }

 private:
  class Call : public grpc::ClientReadReactor<CommandResponse> {
   public:
    Call(Load& load, VehicleService::Stub& stub) : load_(load), stub_(stub) {
      {
        std::lock_guard lock(load_.mu_);
        ++load_.active_;
      }
      Begin();
    }
    void Begin() {
      ctx_ = std::make_unique<grpc::ClientContext>();
      ctx_->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
      started_ = Clock::now();
      stub_.async()->ExecuteCommand(ctx_.get(), &load_.request_, this);
      StartRead(&response_);
      StartCall();
    }
    void OnReadDone(bool ok) override {
      if (ok) StartRead(&response_);
    }
    void OnDone(const grpc::Status& s) override {
      auto now = Clock::now();
      bool again;
      {
        std::lock_guard lock(load_.mu_);
        if (s.ok()) {
          load_.latencies_.push_back(
              std::chrono::duration<double, std::milli>(now - started_).count());
        } else {
          ++load_.errors_;
        }
        load_.last_ = now;
        again = now < load_.end_;
        if (!again && --load_.active_ == 0) load_.done_cv_.notify_all();
      }
      if (again) {
        Begin();
      } else {
        delete this;
      }
    }

   private:
    Load& load_;
    VehicleService::Stub& stub_;
    std::unique_ptr<grpc::ClientContext> ctx_;
    CommandResponse response_;
    Clock::time_point started_;
  };

  const CommandRequest request_;
  const int streams_;
  const double seconds_;
  std::vector<std::unique_ptr<VehicleService::Stub>> stubs_;
  std::mutex mu_;
  std::condition_variable done_cv_;
  int active_ = 0;
  long errors_ = 0;
  std::vector<double> latencies_;
  Clock::time_point start_, end_, last_;
};

std::string Ecu(int i) {
  return fmt::format(
      "name: ecu{0}\nlogical_address: 0x{1:04X}\ndids:\n  - {{id: 0xF190, name: vin, type: ascii, "
      "length: 17, value: WPHAROSBENCH00001}}\ndtcs:\n  - {{code: P0101, status: 0x09, "
      "description: Mass or volume air flow sensor A circuit range/performance}}\n  - {{code: "
      "P0420, status: 0x24, description: Catalyst system efficiency below threshold}}\n",
      i, 0x0100 + i);
}

// The seed's server example: its code as the seed gives it, with two
// changes it needs to run at all (the seed omits `import json`; the port is
// a free one instead of 50051) and the generated stubs' import fix.
bool WriteSeedServer(const std::string& dir, int port) {
  std::string seed = ReadAll(PHAROS_SHARED_DIR "/seeds/001_6ecbb3d3ba2fa46c.txt");
  const std::string start = "### Server Example (Python)\n\n```python\n";
  size_t from = seed.find(start);
  if (from == std::string::npos) return false;
  from += start.size();
  std::string code = seed.substr(from, seed.find("```", from) - from);
  size_t at = code.find("[::]:50051");
  if (at == std::string::npos) return false;
  code.replace(at, 10, fmt::format("127.0.0.1:{}", port));
  std::filesystem::create_directories(dir + "/app/generated");
  std::ofstream(dir + "/app/__init__.py").close();
  std::ofstream(dir + "/app/generated/__init__.py").close();
  std::ofstream(dir + "/server.py") << "import json\n" << code;
  std::string cmd = fmt::format(
      "cd {} && protoc -I {} --python_out=app/generated --grpc_python_out=app/generated "
      "--plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin sovd_vehicle_service.proto && "
      "sed -i 's/^import sovd_vehicle_service_pb2/from . import sovd_vehicle_service_pb2/' "
      "app/generated/sovd_vehicle_service_pb2_grpc.py",
      dir, SOVD_PROTO_DIR);
  return system(cmd.c_str()) == 0;
}

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  int port = ntohs(a.sin_port);
  close(fd);
  return port;
}

bool WaitServing(const std::string& address) {
  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  return channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10));
}

}  // namespace

int main() {
  setvbuf(stdout, nullptr, _IOLBF, 0);  // children must not inherit unflushed lines
  std::string dir = "/tmp/pharos-sovd-bench-" + std::to_string(getpid());
  std::filesystem::create_directories(dir + "/ecus");
  std::ofstream sim(dir + "/sim.yaml");
  sim << "entities:\n  - name: gateway\n    address: 127.0.0.1\n    port: 0\n    ecus:\n";
  for (int i = 1; i <= 20; ++i) {
    std::ofstream(fmt::format("{}/ecus/ecu{}.yaml", dir, i)) << Ecu(i);
    sim << fmt::format("      - ecus/ecu{}.yaml\n", i);
  }
  sim.close();
  pid_t sim_pid = Spawn({PHAROS_ECU_SIM_BINARY, "--config", dir + "/sim.yaml", "--ready-file",
                         dir + "/sim.ready", "--log-level", "warn"},
                        dir + "/sim.log");
  std::string sim_ready = WaitForReadyFile(dir + "/sim.ready");
  if (sim_ready.empty()) {
    fprintf(stderr, "pharos-ecu-sim did not start: %s\n", ReadAll(dir + "/sim.log").c_str());
    return 1;
  }
  int sim_port = std::stoi(sim_ready.substr(sim_ready.rfind(':') + 1));
  std::ofstream cfg(dir + "/sovd.yaml");
  cfg << "vehicles:\n";
  int tester = 0x0E00;
  for (auto [id, n] : {std::pair{kOne, 1}, std::pair{kTwo, 2}, std::pair{kTwenty, 20}}) {
    cfg << fmt::format(
        "  - id: {}\n    tester_address: 0x{:04X}\n    entities:\n      - name: "
        "gateway\n        host: 127.0.0.1\n        port: {}\n        ecus:\n",
        id, tester++, sim_port);
    for (int i = 1; i <= n; ++i) cfg << fmt::format("          - ecus/ecu{}.yaml\n", i);
  }
  cfg.close();
  pid_t sovd_pid = Spawn({PHAROS_SOVD_BINARY, "--config", dir + "/sovd.yaml", "--port", "0",
                          "--ready-file", dir + "/sovd.ready", "--log-level", "warn"},
                         dir + "/sovd.log");
  std::string sovd = WaitForReadyFile(dir + "/sovd.ready");
  if (sovd.empty()) {
    fprintf(stderr, "pharos-sovd did not start: %s\n", ReadAll(dir + "/sovd.log").c_str());
    return 1;
  }
  sovd = sovd.substr(0, sovd.find('\n'));
  auto stub =
      VehicleService::NewStub(grpc::CreateChannel(sovd, grpc::InsecureChannelCredentials()));

  printf("(a) ReadDTC end to end, sequential, 500 calls each\n");
  printf("%-10s %8s %10s %10s\n", "ECUs", "chunks", "p50 ms", "p99 ms");
  for (auto [id, n] : {std::pair{kOne, 1}, std::pair{kTwenty, 20}}) {
    std::vector<double> lat;
    int chunks = 0;
    for (int i = 0; i < 550; ++i) {
      double ms = Once(*stub, ReadDtc(id), &chunks);
      if (i >= 50 && ms >= 0) lat.push_back(ms);  // the first 50 warm up
    }
    printf("%-10d %8d %10.3f %10.3f\n", n, chunks, Percentile(lat, 0.5), Percentile(lat, 0.99));
  }

  int py_port = FreePort();
  pid_t py_pid = -1;
  bool py_ok = WriteSeedServer(dir + "/seed-server", py_port);
  if (py_ok) {
    py_pid =
        Spawn({"/bin/sh", "-c", "cd " + dir + "/seed-server && exec /usr/bin/python3 server.py"},
              dir + "/seed-server.log");
    py_ok = WaitServing(fmt::format("127.0.0.1:{}", py_port));
  }
  if (!py_ok) fprintf(stderr, "the seed's Python server did not start; (c) is skipped\n");

  printf(
      "\n(b) pharos-sovd, ReadDTC over 2 ECUs (2 chunks, real DoIP)  vs\n"
      "(c) the seed's Python VehicleServiceServicer (2 canned chunks), 3 s each\n");
  printf("%-8s %-22s %12s %10s %10s %8s\n", "streams", "server", "completed/s", "p50 ms", "p99 ms",
         "errors");
  for (int streams : {100, 1000}) {
    LoadResult ours = Load(sovd, ReadDtc(kTwo), streams, 3).Run();
    printf("%-8d %-22s %12.0f %10.2f %10.2f %8ld\n", streams, "pharos-sovd", ours.per_second,
           ours.p50, ours.p99, ours.errors);
    if (py_ok) {
      LoadResult peer = Load(fmt::format("127.0.0.1:{}", py_port), ReadDtc(kTwo), streams, 3).Run();
      printf("%-8d %-22s %12.0f %10.2f %10.2f %8ld\n", streams, "seed Python server",
             peer.per_second, peer.p50, peer.p99, peer.errors);
      printf("%-8d %-22s %11.1fx\n", streams, "ratio (completed/s)",
             ours.per_second / std::max(peer.per_second, 1e-9));
    }
  }
  printf("\npharos-sovd RSS %ld kB, pharos-ecu-sim RSS %ld kB\n", RssKb(sovd_pid), RssKb(sim_pid));
  Stop(py_pid);
  Stop(sovd_pid);
  Stop(sim_pid);
  std::filesystem::remove_all(dir);
  return 0;
}
