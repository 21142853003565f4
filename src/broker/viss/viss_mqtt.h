// VISS v2 over MQTT (the v2.0 transport text's "MQTT Application Level
// Protocol"): the broker is a client of an MQTT broker (mosquitto), takes
// requests on the topic "<vehicle id>/Vehicle", each a JSON message
// {"topic": "<client topic>", "request": "<a WebSocket-format request>"},
// and publishes the answer, and later the subscription's events, on the
// client's topic. One VissChannel per client topic, on a strand of this
// bridge's I/O thread; the MQTT network loop is libmosquitto's own thread.
// The connection is kept up: a lost broker is reconnected with back-off,
// and the vehicle topic subscribed again.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "broker/auth/token_authority.h"
#include "broker/core/broker.h"
#include "broker/viss/viss_channel.h"
#include "common/clock.h"

namespace pharos::broker::viss {

struct VissMqttOptions {
  // mqtt://host:port or mqtts://host:port (port default 1883 / 8883).
  std::string broker_url;
  std::string vehicle_id = "vehicle";  // requests arrive on "<vehicle_id>/Vehicle"
  std::string client_id;               // "" : "pharos-broker-<vehicle_id>"
  // mqtts: the CA that signed the MQTT broker's certificate; a client
  // certificate and key for mutual TLS (both or neither).
  std::string ca_file, cert_file, key_file;
  bool allow_plaintext = false;  // mqtt:// to an address that is not loopback
  int qos = 1;                   // of the answers and events published
  size_t max_clients = 1000;     // client topics with subscriptions at once
  ChannelOptions channel;
  absl::Status Validate() const;
};

class VissMqttBridge {
 public:
  // Starts connecting (an MQTT broker that is not up yet is retried; the
  // vehicle's signals are served meanwhile on the other front ends).
  // INVALID_ARGUMENT for bad options.
  static absl::StatusOr<std::unique_ptr<VissMqttBridge>> Start(Broker& broker,
                                                               const TokenAuthority& tokens,
                                                               const Clock& clock,
                                                               const VissMqttOptions& options);
  ~VissMqttBridge();  // disconnects, ends every channel's subscriptions

  // "VIN/Vehicle".
  const std::string& request_topic() const;
  bool connected() const;

  struct State;

 private:
  explicit VissMqttBridge(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace pharos::broker::viss
