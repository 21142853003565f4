#include "cloud/mqtt_transport.h"

#include <mosquitto.h>
#include <mqtt_protocol.h>

#include <cerrno>
#include <cstring>
#include <mutex>

#include "common/fmt_absl.h"
#include "fmt/format.h"
#include "spdlog/spdlog.h"

namespace pharos::cloud {
namespace {

std::once_flag library;

std::string ConnackText(int rc) { return rc == 0 ? "accepted" : mosquitto_connack_string(rc); }

}  // namespace

MqttTransport::MqttTransport(Endpoint endpoint, TransportOptions options)
    : endpoint_(std::move(endpoint)),
      options_(std::move(options)),
      base_(endpoint_.path.empty() ? options_.base_topic : endpoint_.path) {
  std::call_once(library, [] { mosquitto_lib_init(); });
}

MqttTransport::~MqttTransport() {
  mosquitto* m;
  {
    std::lock_guard lock(mu_);
    m = DropLocked(absl::CancelledError("the transport is closing"));
  }
  Destroy(m);
}

std::string MqttTransport::TopicFor(const std::string& stream) const {
  return base_.empty() ? stream : fmt::format("{}/{}", base_, stream);
}

void MqttTransport::Destroy(mosquitto* m) {
  if (m == nullptr) return;
  mosquitto_disconnect(m);
  mosquitto_loop_stop(m, true);
  mosquitto_destroy(m);
}

mosquitto* MqttTransport::DropLocked(const absl::Status& why) {
  for (const auto& [mid, w] : waiting_) pending_.failed.emplace_back(w.token, why);
  waiting_.clear();
  if (mosq_ != nullptr && state_ == State::kConnected) pending_.connection_lost = true;
  state_ = State::kIdle;
  lost_ = false;
  mosquitto* m = mosq_;
  mosq_ = nullptr;
  return m;
}

absl::StatusOr<bool> MqttTransport::Connect() {
  std::unique_lock lock(mu_);
  if (state_ == State::kConnected && !lost_) return true;
  auto now = std::chrono::steady_clock::now();
  if (state_ == State::kConnecting) {
    if (lost_ || now >= connect_deadline_) {
      std::string why = connect_error_.empty() ? fmt::format("no CONNACK within {} ms",
                                                             options_.connect_timeout.count())
                                               : connect_error_;
      mosquitto* m = DropLocked(absl::UnavailableError(why));
      lock.unlock();
      Destroy(m);
      return absl::UnavailableError(fmt::format("{}: {}", endpoint_.url, why));
    }
    return false;
  }
  if (lost_) {
    mosquitto* m = DropLocked(absl::UnavailableError("the connection was lost"));
    lock.unlock();
    Destroy(m);
    lock.lock();
  }
  mosquitto* m =
      mosquitto_new(options_.client_id.empty() ? nullptr : options_.client_id.c_str(), true, this);
  if (m == nullptr) return absl::ResourceExhaustedError("mosquitto_new failed");
  auto fail = [&](std::string why) -> absl::StatusOr<bool> {
    lock.unlock();
    mosquitto_destroy(m);
    return absl::UnavailableError(fmt::format("{}: {}", endpoint_.url, why));
  };
  mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION,
                       options_.mqtt_version == 3 ? MQTT_PROTOCOL_V311 : MQTT_PROTOCOL_V5);
  mosquitto_int_option(m, MOSQ_OPT_SEND_MAXIMUM, options_.window);
  if (endpoint_.tls()) {
    if (options_.ca_file.empty()) mosquitto_int_option(m, MOSQ_OPT_TLS_USE_OS_CERTS, 1);
    int rc =
        mosquitto_tls_set(m, options_.ca_file.empty() ? nullptr : options_.ca_file.c_str(), nullptr,
                          options_.cert_file.empty() ? nullptr : options_.cert_file.c_str(),
                          options_.key_file.empty() ? nullptr : options_.key_file.c_str(), nullptr);
    if (rc != MOSQ_ERR_SUCCESS) return fail(fmt::format("TLS: {}", mosquitto_strerror(rc)));
  }
  mosquitto_connect_callback_set(m, &MqttTransport::OnConnect);
  mosquitto_disconnect_callback_set(m, &MqttTransport::OnDisconnect);
  mosquitto_publish_v5_callback_set(
      m, [](mosquitto* mq, void* self, int mid, int reason, const mosquitto_property* props) {
        OnPublish(mq, self, mid, reason, props);
      });
  connect_error_.clear();
  lost_ = false;
  state_ = State::kConnecting;
  connect_deadline_ = now + options_.connect_timeout;
  mosq_ = m;
  int rc = mosquitto_connect_bind_async(
      m, endpoint_.host.c_str(), endpoint_.port, options_.keepalive_seconds,
      options_.bind_address.empty() ? nullptr : options_.bind_address.c_str());
  if (rc == MOSQ_ERR_SUCCESS) rc = mosquitto_loop_start(m);
  if (rc != MOSQ_ERR_SUCCESS) {
    mosq_ = nullptr;
    state_ = State::kIdle;
    std::string why = rc == MOSQ_ERR_ERRNO ? std::strerror(errno) : mosquitto_strerror(rc);
    lock.unlock();
    Destroy(m);
    return absl::UnavailableError(fmt::format("{}: {}", endpoint_.url, why));
  }
  return false;
}

void MqttTransport::OnConnect(mosquitto* m, void* self, int rc) {
  auto* t = static_cast<MqttTransport*>(self);
  std::lock_guard lock(t->mu_);
  if (m != t->mosq_) return;
  if (rc == 0) {
    t->state_ = State::kConnected;
  } else {
    t->connect_error_ = fmt::format("the broker refused the connection: {}", ConnackText(rc));
    t->lost_ = true;
  }
  t->cv_.notify_all();
}

void MqttTransport::OnDisconnect(mosquitto* m, void* self, int rc) {
  auto* t = static_cast<MqttTransport*>(self);
  std::lock_guard lock(t->mu_);
  if (m != t->mosq_) return;
  if (t->state_ == State::kConnecting && t->connect_error_.empty()) {
    t->connect_error_ = fmt::format("cannot connect: {}", mosquitto_strerror(rc));
  }
  t->lost_ = true;
  t->cv_.notify_all();
}

void MqttTransport::OnPublish(mosquitto* m, void* self, int mid, int reason, const void*) {
  auto* t = static_cast<MqttTransport*>(self);
  std::lock_guard lock(t->mu_);
  if (m != t->mosq_) return;
  auto it = t->waiting_.find(mid);
  if (it == t->waiting_.end()) return;
  if (reason >= 128) {  // MQTT 5: the broker took the packet but not the message
    t->pending_.failed.emplace_back(
        it->second.token, absl::UnavailableError(fmt::format("the broker refused the message: {}",
                                                             mosquitto_reason_string(reason))));
  } else {
    t->pending_.delivered.push_back(it->second.token);
  }
  t->waiting_.erase(it);
  t->cv_.notify_all();
}

absl::Status MqttTransport::Send(const OutgoingMessage& message, uint64_t token) {
  std::lock_guard lock(mu_);
  if (state_ != State::kConnected || lost_ || mosq_ == nullptr) {
    return absl::UnavailableError("not connected");
  }
  std::string topic = TopicFor(message.stream);
  mosquitto_property* props = nullptr;
  if (options_.mqtt_version != 3) {
    mosquitto_property_add_string(&props, MQTT_PROP_CONTENT_TYPE,
                                  message.compressed ? "application/zstd" : "application/json");
  }
  int mid = 0;
  // Under mu_: the PUBACK cannot be handled before `mid` is recorded.
  int rc =
      mosquitto_publish_v5(mosq_, &mid, topic.c_str(), static_cast<int>(message.payload.size()),
                           message.payload.data(), 1, false, props);
  mosquitto_property_free_all(&props);
  if (rc != MOSQ_ERR_SUCCESS) {
    return absl::UnavailableError(fmt::format("publish to {}: {}", topic, mosquitto_strerror(rc)));
  }
  waiting_[mid] = {token, std::chrono::steady_clock::now()};
  return absl::OkStatus();
}

Progress MqttTransport::Poll(std::chrono::milliseconds wait) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, wait,
               [&] { return lost_ || !pending_.delivered.empty() || !pending_.failed.empty(); });
  mosquitto* dead = nullptr;
  auto now = std::chrono::steady_clock::now();
  bool overdue = false;
  for (const auto& [mid, w] : waiting_) overdue |= now - w.since > options_.receipt_timeout;
  if (state_ == State::kConnected && (lost_ || overdue)) {
    dead = DropLocked(absl::UnavailableError(
        overdue ? fmt::format("no PUBACK within {} ms", options_.receipt_timeout.count())
                : std::string("the connection was lost")));
  }
  Progress out = std::move(pending_);
  pending_ = {};
  lock.unlock();
  Destroy(dead);
  return out;
}

}  // namespace pharos::cloud
