// The MQTT transport (libmosquitto, MQTT 3.1.1 or 5, QoS 1, TLS and
// mutual TLS): a payload's receipt is its PUBACK. Each connection is its
// own libmosquitto client with its network thread, never reconnected: a
// lost one is destroyed with everything it held and the next Connect
// starts a fresh one, so only the connector decides what is sent again.
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "cloud/transport.h"

struct mosquitto;

namespace pharos::cloud {

class MqttTransport final : public Transport {
 public:
  MqttTransport(Endpoint endpoint, TransportOptions options);
  ~MqttTransport() override;

  absl::StatusOr<bool> Connect() override;
  bool connected() const override {
    std::lock_guard lock(mu_);
    return state_ == State::kConnected && !lost_;
  }
  absl::Status Send(const OutgoingMessage& message, uint64_t token) override;
  Progress Poll(std::chrono::milliseconds wait) override;
  int window() const override { return options_.window; }
  std::string Describe() const override { return endpoint_.url; }

  // The topic a stream's batches go to: <base>/<stream>.
  std::string TopicFor(const std::string& stream) const;

 private:
  enum class State { kIdle, kConnecting, kConnected };
  // Fails everything waiting (under mu_) and forgets the client.
  mosquitto* DropLocked(const absl::Status& why);
  static void Destroy(mosquitto* m);
  static void OnConnect(mosquitto*, void* self, int rc);
  static void OnDisconnect(mosquitto*, void* self, int rc);
  static void OnPublish(mosquitto*, void* self, int mid, int reason, const void* props);

  const Endpoint endpoint_;
  const TransportOptions options_;
  const std::string base_;
  mutable std::mutex mu_;  // with cv_: everything below, shared with libmosquitto's thread
  std::condition_variable cv_;
  mosquitto* mosq_ = nullptr;
  State state_ = State::kIdle;
  std::chrono::steady_clock::time_point connect_deadline_;
  std::string connect_error_;
  bool lost_ = false;
  struct Waiting {
    uint64_t token;
    std::chrono::steady_clock::time_point since;
  };
  std::map<int, Waiting> waiting_;  // by MQTT message id
  Progress pending_;                // filled by the callbacks, handed out by Poll
  // A connection attempt in progress (probe, connect, libmosquitto's thread).
  std::thread attempt_;
  bool attempt_done_ = false;
  absl::Status attempt_status_;
};

}  // namespace pharos::cloud
