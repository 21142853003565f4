#include "sovd/grpc/vehicle_service.h"

#include <spdlog/spdlog.h>

#include <deque>
#include <mutex>
#include <thread>

#include "common/fmt_absl.h"
#include "fmt/format.h"
#include "sovd/common/asio.h"
#include "sovd/grpc/conversions.h"

namespace pharos::sovd::grpc_api {
namespace {

using ::sovd::vehicle::CommandRequest;
using ::sovd::vehicle::CommandResponse;

grpc::Status ToGrpc(const absl::Status& s) {
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

}  // namespace

// Cancels streams whose client stopped reading: each write arms a timer.
struct VehicleService::Watchdog {
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  std::thread thread{[this] { io.run(); }};
  ~Watchdog() {
    work.reset();
    io.stop();
    thread.join();
  }
};

class VehicleService::Stream final : public grpc::ServerWriteReactor<CommandResponse>,
                                     public core::ResultSink {
 public:
  Stream(VehicleService& service, grpc::CallbackServerContext* context,
         const CommandRequest& request)
      : service_(service),
        context_(context),
        command_id_(request.command_id()),
        idle_(std::make_shared<IdleGuard>(service.watchdog_->io, context)) {
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
    idle_->Disarm();
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
    idle_->Gone();
    delete this;
  }

 private:
  // Arms on every write; fires TryCancel when a write has not completed
  // within the stream-idle time (the client stopped reading).
  struct IdleGuard {
    IdleGuard(asio::io_context& io, grpc::CallbackServerContext* context)
        : timer(io), context(context) {}
    void Arm(std::chrono::milliseconds idle, std::shared_ptr<IdleGuard> self) {
      std::lock_guard lock(mu);
      timer.expires_after(idle);
      timer.async_wait([self](const boost::system::error_code& ec) {
        if (ec) return;
        std::lock_guard lock(self->mu);
        if (self->context) {
          spdlog::warn("a CommandResponse stream was not read for its idle time: cancelled");
          self->context->TryCancel();
        }
      });
    }
    void Disarm() {
      std::lock_guard lock(mu);
      timer.cancel();
    }
    void Gone() {
      std::lock_guard lock(mu);
      context = nullptr;
      timer.cancel();
    }
    std::mutex mu;
    asio::steady_timer timer;
    grpc::CallbackServerContext* context;
  };

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
      writing_ = true;
      lock.unlock();
      idle_->Arm(service_.options_.stream_idle, idle_);
      StartWrite(&current_);
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
  std::shared_ptr<IdleGuard> idle_;
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

VehicleService::VehicleService(core::Diagnostics& diagnostics, core::AuditSink& audit,
                               const Clock& clock, CallerCheck check_caller, ServiceOptions options)
    : diagnostics_(diagnostics),
      audit_(audit),
      clock_(clock),
      check_caller_(std::move(check_caller)),
      options_(options),
      watchdog_(std::make_unique<Watchdog>()) {}

VehicleService::~VehicleService() = default;

grpc::ServerWriteReactor<CommandResponse>* VehicleService::ExecuteCommand(
    grpc::CallbackServerContext* context, const CommandRequest* request) {
  auto* stream = new Stream(*this, context, *request);
  stream->Begin(*request);
  return stream;
}

}  // namespace pharos::sovd::grpc_api
