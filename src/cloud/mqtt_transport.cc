#include "cloud/mqtt_transport.h"

#include <arpa/inet.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <optional>
#include <thread>

#include "common/fmt_absl.h"
#include "fmt/format.h"
#include "netlink/netns.h"
#include "spdlog/spdlog.h"

namespace pharos::cloud {
namespace {

std::once_flag library;

// A TCP connect to host:port (an IPv4 address or a name) within `limit`.
absl::Status ProbeTcp(const std::string& host, int port, const std::string& bind_address,
                      std::chrono::milliseconds limit) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int e = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found); e != 0) {
    return absl::UnavailableError(fmt::format("cannot resolve {}: {}", host, gai_strerror(e)));
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> list(found, freeaddrinfo);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::UnavailableError(std::strerror(errno));
  if (!bind_address.empty()) {
    sockaddr_in local{};
    local.sin_family = AF_INET;
    if (inet_pton(AF_INET, bind_address.c_str(), &local.sin_addr) != 1 ||
        bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0) {
      close(fd);
      return absl::UnavailableError(fmt::format("cannot bind to {}", bind_address));
    }
  }
  int rc = connect(fd, found->ai_addr, found->ai_addrlen);
  if (rc != 0 && errno == EINPROGRESS) {
    pollfd p{fd, POLLOUT, 0};
    rc = poll(&p, 1, static_cast<int>(limit.count()));
    if (rc == 0) {
      close(fd);
      return absl::UnavailableError(fmt::format("no TCP connection within {} ms", limit.count()));
    }
    int error = 0;
    socklen_t len = sizeof(error);
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len);
    errno = error;
    rc = error == 0 ? 0 : -1;
  }
  std::string why = rc == 0 ? "" : std::strerror(errno);
  close(fd);
  if (rc != 0) return absl::UnavailableError(fmt::format("cannot connect: {}", why));
  return absl::OkStatus();
}

std::string ConnackText(int rc) { return rc == 0 ? "accepted" : mosquitto_connack_string(rc); }

}  // namespace

MqttTransport::MqttTransport(Endpoint endpoint, TransportOptions options)
    : endpoint_(std::move(endpoint)),
      options_(std::move(options)),
      base_(endpoint_.path.empty() ? options_.base_topic : endpoint_.path) {
  std::call_once(library, [] { mosquitto_lib_init(); });
}

MqttTransport::~MqttTransport() {
  if (attempt_.joinable()) attempt_.join();  // at most the probe's timeout
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
  if (attempt_.joinable()) {
    if (!attempt_done_) return false;  // the path is still being tried
    lock.unlock();
    attempt_.join();
    lock.lock();
    if (!attempt_status_.ok()) {
      mosquitto* m = mosq_;
      mosq_ = nullptr;
      state_ = State::kIdle;
      lost_ = false;
      lock.unlock();
      Destroy(m);
      return absl::UnavailableError(
          fmt::format("{}: {}", endpoint_.url, attempt_status_.message()));
    }
  }
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
  mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION,
                       options_.mqtt_version == 3 ? MQTT_PROTOCOL_V311 : MQTT_PROTOCOL_V5);
  mosquitto_int_option(m, MOSQ_OPT_SEND_MAXIMUM, options_.window);
  if (endpoint_.tls()) {
    if (options_.ca_file.empty()) mosquitto_int_option(m, MOSQ_OPT_TLS_USE_OS_CERTS, 1);
    int rc =
        mosquitto_tls_set(m, options_.ca_file.empty() ? nullptr : options_.ca_file.c_str(), nullptr,
                          options_.cert_file.empty() ? nullptr : options_.cert_file.c_str(),
                          options_.key_file.empty() ? nullptr : options_.key_file.c_str(), nullptr);
    if (rc != MOSQ_ERR_SUCCESS) {
      lock.unlock();
      mosquitto_destroy(m);
      return absl::UnavailableError(
          fmt::format("{}: TLS: {}", endpoint_.url, mosquitto_strerror(rc)));
    }
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
  // The attempt's probe, then the CONNACK.
  connect_deadline_ = now + 2 * options_.connect_timeout;
  mosq_ = m;
  attempt_done_ = false;
  // The attempt runs on a thread of its own so the connector goes on
  // sampling meanwhile. libmosquitto 2.0.11's non-blocking connect breaks
  // when the connect is still in progress as its thread starts (a second
  // CONNECT, which the broker calls a protocol error): the path is probed
  // first with a bounded TCP connect, then libmosquitto connects blocking
  // (quick: the path just answered) and its thread starts on a connected
  // socket. Both in the connection's namespace (a thread is born in its
  // creator's, so libmosquitto's is too).
  attempt_ = std::thread([this, m] {
    absl::Status status;
    std::optional<netlink::ScopedNetns> in_netns;
    if (!options_.netns.empty()) {
      auto entered = netlink::ScopedNetns::Enter(options_.netns);
      if (entered.ok()) {
        in_netns.emplace(std::move(*entered));
      } else {
        status = absl::UnavailableError(
            fmt::format("namespace {}: {}", options_.netns, entered.status().message()));
      }
    }
    if (status.ok()) {
      status =
          ProbeTcp(endpoint_.host, endpoint_.port, options_.bind_address, options_.connect_timeout);
    }
    if (status.ok()) {
      int rc = mosquitto_connect_bind(
          m, endpoint_.host.c_str(), endpoint_.port, options_.keepalive_seconds,
          options_.bind_address.empty() ? nullptr : options_.bind_address.c_str());
      if (rc == MOSQ_ERR_SUCCESS) rc = mosquitto_loop_start(m);
      if (rc != MOSQ_ERR_SUCCESS) {
        status = absl::UnavailableError(rc == MOSQ_ERR_ERRNO ? std::strerror(errno)
                                                             : mosquitto_strerror(rc));
      }
    }
    std::lock_guard done(mu_);
    attempt_status_ = status;
    attempt_done_ = true;
    cv_.notify_all();
  });
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
