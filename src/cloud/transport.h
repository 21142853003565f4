// How a batch reaches the cloud: a connection that takes payloads and
// reports their receipts (an MQTT PUBACK, an HTTP 2xx). Driven by one
// thread (the connector's sender); not thread-safe. When the connection
// is lost every payload still waiting fails, so the connector sends it
// again on the next one: nothing is kept inside a transport.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "cloud/endpoint.h"

namespace pharos::cloud {

struct OutgoingMessage {
  std::string stream;  // the priority class: MQTT topic <base>/<stream>, HTTP header
  std::string payload;
  bool compressed = false;
  std::string key;  // "<first item id>..<last item id>": the batch's idempotency key
};

struct Progress {
  std::vector<uint64_t> delivered;                        // tokens whose receipt came
  std::vector<std::pair<uint64_t, absl::Status>> failed;  // tokens that will not be taken
  bool connection_lost = false;
};

class Transport {
 public:
  virtual ~Transport() = default;
  // Starts (or goes on) connecting: true once connected, false while it
  // is under way; UNAVAILABLE with why when it failed (refused, timed out,
  // TLS), so the caller backs off and calls again.
  virtual absl::StatusOr<bool> Connect() = 0;
  virtual bool connected() const = 0;
  // Takes one payload; its outcome comes from a later Poll under `token`.
  virtual absl::Status Send(const OutgoingMessage& message, uint64_t token) = 0;
  // Runs the connection's I/O for up to `wait` and reports what came.
  virtual Progress Poll(std::chrono::milliseconds wait) = 0;
  // How many payloads may wait for a receipt at once.
  virtual int window() const = 0;
  // "mqtts://cloud:8883/pharos/vehicle" (logs, status).
  virtual std::string Describe() const = 0;
};

// Files and knobs of the connection, from pharosd's --cloud-* flags.
struct TransportOptions {
  std::string ca_file;    // verifies the endpoint ("" : the system's CAs)
  std::string cert_file;  // mutual TLS: this vehicle's certificate and key
  std::string key_file;
  std::string client_id;   // MQTT client id
  std::string base_topic;  // used when the endpoint names none
  int mqtt_version = 5;    // 3 (3.1.1) or 5
  int keepalive_seconds = 10;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds receipt_timeout{10000};  // no receipt by then: the connection is dead
  int window = 32;
  std::string bind_address;  // the uplink's own address ("" : the route decides)
  // The network namespace the connection is made from ("" : pharosd's
  // own): in the twin, the vehicle's cloud gateway.
  std::string netns;
};

}  // namespace pharos::cloud
