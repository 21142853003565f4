#include "sovd/grpc/vehicle_service.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_set>

#include "common/fmt_absl.h"
#include "fmt/format.h"
#include "sovd/grpc/conversions.h"

namespace pharos::sovd::grpc_api {
namespace {

using ::sovd::vehicle::CommandRequest;
using ::sovd::vehicle::CommandResponse;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

grpc::Status ToGrpc(const absl::Status& s) {
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

}  // namespace

// Cancels streams whose client stopped reading: a sweep every quarter of
// the idle time looks at when each stream's pending write started (a
// per-write timer would cost two thread wake-ups per chunk).
struct VehicleService::Watchdog {
  explicit Watchdog(std::chrono::milliseconds idle) : idle(idle) {
    thread = std::thread([this] { Sweep(); });
  }
  ~Watchdog() {
    {
      std::lock_guard lock(mu);
      stop = true;
    }
    wake.notify_all();
    thread.join();
  }
  void Add(Stream* stream) {
    std::lock_guard lock(mu);
    streams.insert(stream);
  }
  void Remove(Stream* stream) {
    std::lock_guard lock(mu);
    streams.erase(stream);
  }
  void Sweep();

  const std::chrono::milliseconds idle;
  std::mutex mu;
  std::condition_variable wake;
  bool stop = false;
  std::unordered_set<Stream*> streams;
  std::thread thread;
};

class VehicleService::Stream final : public grpc::ServerWriteReactor<CommandResponse>,
                                     public core::ResultSink {
 public:
  Stream(VehicleService& service, grpc::CallbackServerContext* context,
         const CommandRequest& request)
      : service_(service),
        context_(context),
        command_id_(request.command_id()),
        watchdog_(*service.watchdog_) {
    watchdog_.Add(this);
    audit_.time = service.clock_.Now();
    audit_.front_end = "grpc";
    audit_.caller = context->peer();
    audit_.command_id = request.command_id();
    audit_.vehicle_id = request.vehicle_id();
    audit_.command = request.command_name();
    if (auto it = request.command_params().find("ecuAddress");
        it != request.command_params().end()) {
      audit_.ecu = it->second;
    }
  }

  void Begin(const CommandRequest& request) {
    absl::StatusOr<std::string> caller = service_.check_caller_(*context_);
    if (!caller.ok()) return Refuse(caller.status());
    audit_.caller = *caller;
    absl::StatusOr<core::Command> command = CommandFromRequest(request);
    if (!command.ok()) return Refuse(command.status());
    command->caller = *caller;
    // The client's own deadline, when sooner than the configured one.
    auto left = context_->deadline() - std::chrono::system_clock::now();
    if (left < std::chrono::hours(24 * 365)) {
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(left);
      if (!command->timeout || ms < *command->timeout) {
        command->timeout = std::max(ms, std::chrono::milliseconds(1));
      }
    }
    // The core holds the sink; this reactor outlives the run, because it
    // finishes only once the run is done.
    std::shared_ptr<core::ResultSink> self(std::shared_ptr<void>(), this);
    absl::StatusOr<std::shared_ptr<core::RunningCommand>> run =
        service_.diagnostics_.Start(std::move(*command), self);
    if (!run.ok()) return Refuse(run.status());
    std::unique_lock lock(mu_);
    run_ = *run;
    if (cancelled_) run_->Cancel();
    begun_ = true;  // from here on the stream may write and finish
    Pump(lock);
  }

  // core::ResultSink (the I/O thread).
  void OnResult(core::EcuResult result, bool last) override {
    std::vector<std::string> payloads = Payloads(result, service_.options_.max_chunk_bytes);
    std::unique_lock lock(mu_);
    for (size_t i = 0; i < payloads.size(); ++i) {
      queue_.push_back(Chunk(std::move(payloads[i]), last && i + 1 == payloads.size()));
    }
    Pump(lock);
  }

  void OnDone(absl::Status status) override {
    std::unique_lock lock(mu_);
    // Nothing to say: one empty final chunk (the seed allows an empty payload).
    if (status.ok() && next_sequence_ == 0) queue_.push_back(Chunk("", true));
    core_done_ = true;
    final_ = status;
    Pump(lock);
  }

  // grpc reactions.
  void OnWriteDone(bool ok) override {
    write_started_ns_.store(0);
    std::unique_lock lock(mu_);
    writing_ = false;
    if (!ok) {
      queue_.clear();  // the client is gone; the run ends with CANCELLED
      if (run_) run_->Cancel();
    }
    Pump(lock);
  }

  void OnCancel() override {
    std::lock_guard lock(mu_);
    cancelled_ = true;
    if (run_) run_->Cancel();
  }

  void OnDone() override {
    watchdog_.Remove(this);
    delete this;
  }

  // The watchdog's view (under its lock): cancel once a write has been
  // pending for `idle`.
  void CancelIfStalled(int64_t now_ns, std::chrono::milliseconds idle) {
    int64_t started = write_started_ns_.load();
    if (started == 0 || idle_cancelled_ ||
        now_ns - started < std::chrono::nanoseconds(idle).count()) {
      return;
    }
    idle_cancelled_ = true;
    spdlog::warn("command {}: its client read no chunk for {} ms: cancelled", command_id_,
                 idle.count());
    context_->TryCancel();
  }

 private:
  CommandResponse Chunk(std::string payload, bool final) {
    CommandResponse r;
    r.set_is_final(final);
    r.set_command_id(command_id_);
    r.set_response_payload(std::move(payload));
    r.set_sequence_number(next_sequence_++);
    r.set_timestamp(SeedTimestamp(service_.clock_.Now()));
    return r;
  }

  void Refuse(const absl::Status& status) {
    Audit(status);
    Finish(ToGrpc(status));
  }

  void Audit(const absl::Status& status) {
    audit_.code = status.code();
    audit_.message = std::string(status.message());
    audit_.chunks = next_sequence_;
    audit_.took =
        std::chrono::duration_cast<std::chrono::milliseconds>(service_.clock_.Now() - audit_.time);
    service_.audit_.Record(audit_);
  }

  // Starts the next write, or finishes once the run is done and all is
  // written. Releases the lock before calling into gRPC: a reaction may
  // run inline, and Finish may delete this.
  void Pump(std::unique_lock<std::mutex>& lock) {
    if (!begun_ || writing_ || finished_) return;
    if (!queue_.empty()) {
      current_ = std::move(queue_.front());
      queue_.pop_front();
      // The final chunk and the status go in one batch once the run is done.
      bool last = queue_.empty() && core_done_ && final_.ok() && current_.is_final();
      // A final chunk waits for OnDone (it follows at once), to go with the status.
      if (current_.is_final() && !core_done_) {
        queue_.push_front(std::move(current_));
        return;
      }
      writing_ = true;
      if (last) finished_ = true;
      absl::Status status = final_;
      lock.unlock();
      write_started_ns_.store(NowNs());
      if (last) {
        Audit(status);
        StartWriteAndFinish(&current_, grpc::WriteOptions(), grpc::Status::OK);
      } else {
        // (Not with a buffer hint: the hinted write completes only once a
        // later one flushes it, and the next write waits for OnWriteDone.)
        StartWrite(&current_);
      }
      return;
    }
    if (!core_done_) return;
    finished_ = true;
    absl::Status status = final_;
    lock.unlock();
    Audit(status);
    Finish(ToGrpc(status));
  }

  VehicleService& service_;
  grpc::CallbackServerContext* context_;
  const std::string command_id_;
  Watchdog& watchdog_;
  std::atomic<int64_t> write_started_ns_{0};  // 0: no write pending
  bool idle_cancelled_ = false;               // the watchdog's
  core::AuditRecord audit_;
  std::mutex mu_;
  std::shared_ptr<core::RunningCommand> run_;
  std::deque<CommandResponse> queue_;
  CommandResponse current_;
  int next_sequence_ = 0;
  bool begun_ = false;
  bool writing_ = false;
  bool core_done_ = false;
  bool finished_ = false;
  bool cancelled_ = false;
  absl::Status final_;
};

void VehicleService::Watchdog::Sweep() {
  std::unique_lock lock(mu);
  auto period = std::max(idle / 4, std::chrono::milliseconds(25));
  while (!wake.wait_for(lock, period, [&] { return stop; })) {
    int64_t now = NowNs();
    for (Stream* stream : streams) stream->CancelIfStalled(now, idle);
  }
}

VehicleService::VehicleService(core::Diagnostics& diagnostics, core::AuditSink& audit,
                               const Clock& clock, CallerCheck check_caller, ServiceOptions options)
    : diagnostics_(diagnostics),
      audit_(audit),
      clock_(clock),
      check_caller_(std::move(check_caller)),
      options_(options),
      watchdog_(std::make_unique<Watchdog>(options.stream_idle)) {}

VehicleService::~VehicleService() = default;

grpc::ServerWriteReactor<CommandResponse>* VehicleService::ExecuteCommand(
    grpc::CallbackServerContext* context, const CommandRequest* request) {
  auto* stream = new Stream(*this, context, *request);
  stream->Begin(*request);
  return stream;
}

}  // namespace pharos::sovd::grpc_api
