// pharos-broker's wiring, the one place that knows every part: the store,
// the catalog, the core, the token authority and the gRPC front ends, built
// in that order and stopped in reverse.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "broker/auth/token_authority.h"
#include "broker/core/broker.h"
#include "broker/server/broker_options.h"
#include "common/clock.h"
#include "serving/pharosd_registration.h"

namespace pharos::broker {

namespace kuksa_val_v2 {
class ValService;
}
namespace viss {
class VissServer;
class VissMqttBridge;
}
namespace viss_v3 {
class VissService;
}
namespace kuksa_val_v1 {
class ValService;
}
namespace sdv_databroker_v1 {
class BrokerService;
class CollectorService;
}  // namespace sdv_databroker_v1

class BrokerServer {
 public:
  static absl::StatusOr<std::unique_ptr<BrokerServer>> Start(const BrokerServerOptions& options,
                                                             const Clock& clock);
  ~BrokerServer();

  // "127.0.0.1:55555" as bound (port 0 resolved).
  const std::string& address() const { return address_; }
  // VISS's "host:port" as bound; "" when --enable-viss is off.
  std::string viss_address() const;
  // VISS over MQTT's request topic ("VIN/Vehicle"); "" when it is off.
  std::string viss_mqtt_topic() const;
  Broker& broker() { return *broker_; }
  // Stops accepting calls; open streams are cancelled after `grace`.
  void Shutdown(std::chrono::milliseconds grace = std::chrono::seconds(2));

 private:
  BrokerServer() = default;

  std::unique_ptr<SignalStore> store_;
  std::unique_ptr<Broker> broker_;
  std::unique_ptr<TokenAuthority> tokens_;
  std::unique_ptr<kuksa_val_v2::ValService> val_v2_;
  std::unique_ptr<kuksa_val_v1::ValService> val_v1_;
  std::unique_ptr<sdv_databroker_v1::BrokerService> sdv_broker_;
  std::unique_ptr<sdv_databroker_v1::CollectorService> sdv_collector_;
  std::unique_ptr<viss::VissServer> viss_;  // after broker_ and tokens_: uses both
  std::unique_ptr<viss::VissMqttBridge> viss_mqtt_;  // likewise
  std::unique_ptr<viss_v3::VissService> viss_v3_;    // likewise; gRPC, with --enable-viss
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<PharosdRegistration> registration_;  // after the server: it announces it
  std::string address_;
};

}  // namespace pharos::broker
