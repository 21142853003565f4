#include "e2e/callback_receiver.h"

namespace pharos::e2e {

namespace v1 = pharos::api::v1;

bool CallbackReceiver::Start(int port, int max_message_bytes) {
  grpc::ServerBuilder builder;
  if (max_message_bytes > 0) builder.SetMaxReceiveMessageSize(max_message_bytes);
  builder.AddListeningPort("127.0.0.1:" + std::to_string(port), grpc::InsecureServerCredentials(),
                           &port_);
  builder.RegisterService(this);
  server_ = builder.BuildAndStart();
  return server_ && port_ != 0;
}

void CallbackReceiver::Stop() {
  if (!server_) return;
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(200));
  server_->Wait();
  server_.reset();
}

std::vector<v1::NetworkStatusChangeNotification> CallbackReceiver::WaitForStatusChanges(
    size_t n, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return status_changes_.size() >= n; });
  return status_changes_;
}

std::vector<v1::CompleteNetworkSettingRequest> CallbackReceiver::WaitForCompletions(
    size_t n, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return completions_.size() >= n; });
  return completions_;
}

grpc::Status CallbackReceiver::CompleteNetworkSetting(grpc::ServerContext*,
                                                      const v1::CompleteNetworkSettingRequest* req,
                                                      v1::CompleteNetworkSettingResponse* resp) {
  {
    std::lock_guard lock(mu_);
    completions_.push_back(*req);
  }
  cv_.notify_all();
  resp->set_acknowledged(true);
  return grpc::Status::OK;
}

grpc::Status CallbackReceiver::NotifyNetworkStatusChange(
    grpc::ServerContext*, const v1::NetworkStatusChangeNotification* req,
    v1::NetworkStatusChangeAcknowledgement* resp) {
  {
    std::lock_guard lock(mu_);
    status_changes_.push_back(*req);
  }
  cv_.notify_all();
  resp->set_acknowledged(true);
  return grpc::Status::OK;
}

std::vector<v1::ServiceStatusChangeNotification> CallbackReceiver::WaitForServiceChanges(
    size_t n, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return service_changes_.size() >= n; });
  return service_changes_;
}

grpc::Status CallbackReceiver::NotifyServiceStatusChange(
    grpc::ServerContext*, const v1::ServiceStatusChangeNotification* req,
    v1::ServiceStatusChangeAcknowledgement* resp) {
  {
    std::lock_guard lock(mu_);
    service_changes_.push_back(*req);
  }
  cv_.notify_all();
  resp->set_acknowledged(true);
  return grpc::Status::OK;
}

std::vector<v1::SecurityEventNotification> CallbackReceiver::WaitForSecurityEvent(
    const std::function<bool(const v1::SecurityEventNotification&)>& match,
    std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, timeout, [&] {
    for (const auto& e : security_events_) {
      if (match(e)) return true;
    }
    return false;
  });
  return security_events_;
}

grpc::Status CallbackReceiver::NotifySecurityEvent(grpc::ServerContext*,
                                                   const v1::SecurityEventNotification* req,
                                                   v1::SecurityEventAcknowledgement* resp) {
  {
    std::lock_guard lock(mu_);
    security_events_.push_back(*req);
  }
  cv_.notify_all();
  resp->set_acknowledged(true);
  return grpc::Status::OK;
}

}  // namespace pharos::e2e
