// A simulated DoIP entity (ISO 13400-2): a gateway with simulated ECUs
// behind it. UDP vehicle identification, TCP routing activation (tester
// addresses 0x0E00–0x0FFF), diagnostic messages acknowledged and routed to
// the ECU by target address, alive checks when every socket is taken, the
// inactivity timers, entity status and power mode. Runs on the io_context
// it is given (one thread: the ECUs' replies are scheduled on it).
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "sovd/common/asio.h"
#include "sovd/doip/byte_stream.h"
#include "sovd/sim/simulated_ecu.h"

namespace pharos::sovd::sim {

struct EntityOptions {
  std::string name = "gateway";
  std::string address = "127.0.0.1";
  uint16_t port = 13400;  // TCP_DATA and UDP_DISCOVERY; 0: any free TCP port, no UDP
  uint16_t logical_address = 0x1000;
  std::string vin = "PHAROSSIM00000001";
  std::array<uint8_t, 6> eid{0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
  uint8_t max_sockets = 16;
  uint32_t max_payload = 64 * 1024;
  std::chrono::milliseconds initial_inactivity{2000};    // T_TCP_Initial_Inactivity
  std::chrono::milliseconds general_inactivity{300000};  // T_TCP_General_Inactivity
  std::chrono::milliseconds alive_check_timeout{500};    // A_DoIP_Alive_Check
  // TLS (ISO 13400-2:2019): on when a certificate is given, on tls_port
  // (0: any free port); with a CA, testers must present a certificate it
  // signed; require_tls refuses plain sockets' routing activation (0x07).
  uint16_t tls_port = 0;
  std::string tls_cert, tls_key, tls_ca;
  bool require_tls = false;
};

class DoipEntity {
 public:
  DoipEntity(asio::io_context& io, EntityOptions options,
             std::vector<std::unique_ptr<SimulatedEcu>> ecus);
  ~DoipEntity();
  DoipEntity(const DoipEntity&) = delete;

  // Binds and starts accepting; INVALID_ARGUMENT / UNAVAILABLE naming the address.
  absl::Status Start();
  void Stop();

  uint16_t tcp_port() const { return tcp_port_; }
  uint16_t tls_port() const { return tls_port_; }
  const EntityOptions& options() const { return options_; }
  SimulatedEcu* FindEcu(uint16_t address);
  SimulatedEcu* FindEcu(const std::string& name_or_address);
  const std::vector<std::unique_ptr<SimulatedEcu>>& ecus() const { return ecus_; }
  size_t open_connections() const;

 private:
  class Connection;
  awaitable<void> Accept(tcp::acceptor& acceptor, bool tls);
  awaitable<void> Secure(tcp::socket socket);  // the TLS handshake, then Open
  void Open(std::unique_ptr<doip::ByteStream> stream);
  awaitable<void> ServeDiscovery();
  // Frees a socket for a new tester: alive-checks the others, closes the
  // silent ones (ISO 13400-2 9.2.2). Returns whether one is free now.
  awaitable<bool> MakeRoom(Connection* asking);

  asio::io_context& io_;
  const EntityOptions options_;
  std::vector<std::unique_ptr<SimulatedEcu>> ecus_;
  tcp::acceptor acceptor_;
  tcp::acceptor tls_acceptor_;
  std::shared_ptr<asio::ssl::context> tls_;
  udp::socket discovery_;
  uint16_t tcp_port_ = 0, tls_port_ = 0;
  std::vector<std::shared_ptr<Connection>> connections_;
};

}  // namespace pharos::sovd::sim
