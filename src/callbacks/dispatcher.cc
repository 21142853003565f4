#include "callbacks/dispatcher.h"

#include <spdlog/spdlog.h>

#include "actioncontroller/actioncontroller.grpc.pb.h"
#include "callbacks/notifier.h"
#include "pharos/api/v1/piccolo_callback_service.grpc.pb.h"

namespace pharos::callbacks {
namespace {

namespace v1 = pharos::api::v1;

std::shared_ptr<grpc::Channel> ChannelTo(const DispatcherOptions& options) {
  grpc::ChannelArguments args;
  // Notice a dead peer on an idle connection, and reconnect promptly.
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 5000);
  return grpc::CreateCustomChannel(options.endpoint, grpc::InsecureChannelCredentials(), args);
}

template <typename Request>
bool Parse(const store::OutboxEntry& e, Request* request) {
  return request->ParseFromString(e.payload);
}

class PiccoloClient : public CallbackClient {
 public:
  explicit PiccoloClient(const DispatcherOptions& o)
      : stub_(v1::PiccoloCallbackService::NewStub(ChannelTo(o))), timeout_(o.call_timeout) {}

  grpc::Status Send(const store::OutboxEntry& e, bool* skipped) override {
    *skipped = false;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + timeout_);
    if (e.kind == kCompleteNetworkSetting) {
      v1::CompleteNetworkSettingRequest req;
      v1::CompleteNetworkSettingResponse resp;
      if (!Parse(e, &req)) return Corrupt(e);
      return stub_->CompleteNetworkSetting(&ctx, req, &resp);
    }
    if (e.kind == kNetworkStatusChange) {
      v1::NetworkStatusChangeNotification req;
      v1::NetworkStatusChangeAcknowledgement resp;
      if (!Parse(e, &req)) return Corrupt(e);
      return stub_->NotifyNetworkStatusChange(&ctx, req, &resp);
    }
    if (e.kind == kServiceStatusChange) {
      v1::ServiceStatusChangeNotification req;
      v1::ServiceStatusChangeAcknowledgement resp;
      if (!Parse(e, &req)) return Corrupt(e);
      return stub_->NotifyServiceStatusChange(&ctx, req, &resp);
    }
    if (e.kind == kSecurityEvent) {
      v1::SecurityEventNotification req;
      v1::SecurityEventAcknowledgement resp;
      if (!Parse(e, &req)) return Corrupt(e);
      return stub_->NotifySecurityEvent(&ctx, req, &resp);
    }
    return Corrupt(e);
  }

 private:
  static grpc::Status Corrupt(const store::OutboxEntry& e) {
    return grpc::Status(grpc::StatusCode::DATA_LOSS, "outbox entry " + std::to_string(e.id) + " (" +
                                                         e.kind + ") cannot be decoded");
  }
  std::unique_ptr<v1::PiccoloCallbackService::Stub> stub_;
  std::chrono::milliseconds timeout_;
};

// Pullpiri's action controller receives completions only, in its own
// message (DESIGN.md); status, service and security notifications have no
// receiver there.
class PullpiriClient : public CallbackClient {
 public:
  explicit PullpiriClient(const DispatcherOptions& o)
      : stub_(actioncontroller::ActionControllerConnection::NewStub(ChannelTo(o))),
        timeout_(o.call_timeout) {}

  grpc::Status Send(const store::OutboxEntry& e, bool* skipped) override {
    *skipped = e.kind != kCompleteNetworkSetting;
    if (*skipped) return grpc::Status::OK;
    v1::CompleteNetworkSettingRequest ours;
    if (!ours.ParseFromString(e.payload)) {
      return grpc::Status(grpc::StatusCode::DATA_LOSS, "outbox entry cannot be decoded");
    }
    actioncontroller::CompleteNetworkSettingRequest req;
    req.set_request_id(ours.request_id());
    switch (ours.status()) {
      case v1::CompleteNetworkSettingRequest::OK:
        req.set_network_status(actioncontroller::OK);
        req.set_pod_status(actioncontroller::READY);
        break;
      case v1::CompleteNetworkSettingRequest::TIMEOUT:
        req.set_network_status(actioncontroller::TIMEOUT);
        req.set_pod_status(actioncontroller::FAILED);
        break;
      default:
        req.set_network_status(actioncontroller::ERROR);
        req.set_pod_status(actioncontroller::FAILED);
    }
    req.set_details(ours.details());
    actioncontroller::CompleteNetworkSettingResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + timeout_);
    return stub_->CompleteNetworkSetting(&ctx, req, &resp);
  }

 private:
  std::unique_ptr<actioncontroller::ActionControllerConnection::Stub> stub_;
  std::chrono::milliseconds timeout_;
};

// RESOURCE_EXHAUSTED (larger than the receiver takes) or INVALID_ARGUMENT
// (it cannot read it), again after kRefusedAttempts tries: a limit of the
// receiver, not a passing failure. Other failures are retried for ever.
bool RefusedForGood(const grpc::Status& s, const store::OutboxEntry& entry) {
  bool refusal = s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED ||
                 s.error_code() == grpc::StatusCode::INVALID_ARGUMENT;
  return refusal && entry.attempts + 1 >= kRefusedAttempts;
}

}  // namespace

std::unique_ptr<CallbackClient> CreateCallbackClient(const DispatcherOptions& options) {
  if (options.flavour == "pullpiri") return std::make_unique<PullpiriClient>(options);
  return std::make_unique<PiccoloClient>(options);
}

Dispatcher::Dispatcher(store::OutboxStore& outbox, std::unique_ptr<CallbackClient> client,
                       DispatcherOptions options)
    : outbox_(outbox), client_(std::move(client)), options_(std::move(options)) {}

Dispatcher::~Dispatcher() { Stop(); }

void Dispatcher::Start() {
  thread_ = std::thread([this] { Run(); });
}

void Dispatcher::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Dispatcher::Wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

std::chrono::milliseconds Dispatcher::NextBackoff() {
  backoff_ = backoff_.count() == 0 ? options_.initial_backoff
                                   : std::min(backoff_ * 2, options_.max_backoff);
  std::uniform_real_distribution<double> jitter(0.8, 1.2);
  return std::chrono::milliseconds(static_cast<int64_t>(backoff_.count() * jitter(random_)));
}

void Dispatcher::Run() {
  while (true) {
    std::chrono::milliseconds wait{0};
    absl::StatusOr<std::vector<store::OutboxEntry>> batch = outbox_.Pending(64);
    if (!batch.ok()) {
      spdlog::error("callback outbox: {}", std::string(batch.status().message()));
      wait = NextBackoff();
    } else if (batch->empty()) {
      wait = std::chrono::hours(1);  // until woken
    } else {
      for (const auto& entry : *batch) {
        bool skipped = false;
        grpc::Status s = client_->Send(entry, &skipped);
        // A receiver without this (optional) notification never will have
        // it: waiting would hold every later notification back. Completions
        // are never given up.
        bool not_wanted = s.error_code() == grpc::StatusCode::UNIMPLEMENTED &&
                          entry.kind != kCompleteNetworkSetting;
        if (s.ok() || s.error_code() == grpc::StatusCode::DATA_LOSS || not_wanted) {
          if (!s.ok()) spdlog::error("callback {} dropped: {}", entry.kind, s.error_message());
          (void)outbox_.MarkDelivered(entry.id);
          backoff_ = std::chrono::milliseconds(0);
          continue;
        }
        if (RefusedForGood(s, entry)) {
          // The receiver refuses this message itself (too large, malformed),
          // every time: set it aside, kept and counted, so it does not hold
          // back the ones behind it.
          spdlog::error("callback {} for {} dead-lettered after {} attempts: {} ({})", entry.kind,
                        entry.component, entry.attempts + 1, s.error_message(),
                        static_cast<int>(s.error_code()));
          (void)outbox_.DeadLetter(entry.id, s.error_message());
          backoff_ = std::chrono::milliseconds(0);
          continue;
        }
        // Keep the order: nothing after this entry goes before it.
        (void)outbox_.RecordFailure(entry.id, s.error_message());
        wait = NextBackoff();
        if (entry.attempts == 0 || entry.attempts % 10 == 0) {
          spdlog::warn("callback {} to {} failed ({}), retrying in {} ms", entry.kind,
                       options_.endpoint, s.error_message(), wait.count());
        }
        break;
      }
    }
    std::unique_lock lock(mu_);
    if (stop_) return;
    if (wait.count() > 0) {
      // While failing, only the backoff ends the wait (new entries queue
      // behind the failing one anyway).
      bool failing = backoff_.count() > 0;
      cv_.wait_for(lock, wait, [&] { return stop_ || (woken_ && !failing); });
    }
    if (stop_) return;
    woken_ = false;
  }
}

}  // namespace pharos::callbacks
