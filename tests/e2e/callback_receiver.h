// A real PiccoloCallbackService on a real port, started by a test: it
// records what Pharos sends and acknowledges it.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "pharos/api/v1/piccolo_callback_service.grpc.pb.h"

namespace pharos::e2e {

class CallbackReceiver final : public pharos::api::v1::PiccoloCallbackService::Service {
 public:
  // Serves on 127.0.0.1:`port` (0: a free one); false when it cannot.
  // `max_message_bytes` > 0: refuses larger messages (RESOURCE_EXHAUSTED),
  // as a receiver with a lower limit than gRPC's 4 MiB would.
  bool Start(int port = 0, int max_message_bytes = 0);
  void Stop();
  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

  // Waits until at least `n` status changes arrived; returns them.
  std::vector<pharos::api::v1::NetworkStatusChangeNotification> WaitForStatusChanges(
      size_t n, std::chrono::milliseconds timeout);

  // Waits until at least `n` completions arrived; returns them in order.
  std::vector<pharos::api::v1::CompleteNetworkSettingRequest> WaitForCompletions(
      size_t n, std::chrono::milliseconds timeout);

  grpc::Status CompleteNetworkSetting(grpc::ServerContext*,
                                      const pharos::api::v1::CompleteNetworkSettingRequest*,
                                      pharos::api::v1::CompleteNetworkSettingResponse*) override;
  // Waits until at least `n` service status changes arrived.
  std::vector<pharos::api::v1::ServiceStatusChangeNotification> WaitForServiceChanges(
      size_t n, std::chrono::milliseconds timeout);
  grpc::Status NotifyServiceStatusChange(
      grpc::ServerContext*, const pharos::api::v1::ServiceStatusChangeNotification*,
      pharos::api::v1::ServiceStatusChangeAcknowledgement*) override;
  // Waits until a security event satisfying `match` arrived; returns all.
  std::vector<pharos::api::v1::SecurityEventNotification> WaitForSecurityEvent(
      const std::function<bool(const pharos::api::v1::SecurityEventNotification&)>& match,
      std::chrono::milliseconds timeout);
  grpc::Status NotifySecurityEvent(grpc::ServerContext*,
                                   const pharos::api::v1::SecurityEventNotification*,
                                   pharos::api::v1::SecurityEventAcknowledgement*) override;
  grpc::Status NotifyNetworkStatusChange(
      grpc::ServerContext*, const pharos::api::v1::NetworkStatusChangeNotification*,
      pharos::api::v1::NetworkStatusChangeAcknowledgement*) override;

 private:
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<pharos::api::v1::NetworkStatusChangeNotification> status_changes_;
  std::vector<pharos::api::v1::CompleteNetworkSettingRequest> completions_;
  std::vector<pharos::api::v1::ServiceStatusChangeNotification> service_changes_;
  std::vector<pharos::api::v1::SecurityEventNotification> security_events_;
};

}  // namespace pharos::e2e
