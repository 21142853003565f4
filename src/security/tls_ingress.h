// The TLS-verifying ingress behind `tls_verified: true`. It listens on the
// vehicle's cloud-bridge gateway (inside the `vehicle` node's namespace),
// terminates TLS, requires a client certificate that chains to the
// configured CA, and forwards the plaintext stream to the service the
// client named in SNI ("update-service" or "update-service.<anything>").
// The forwarded connection leaves from the gateway address itself, so the
// policy can tell it apart: `tls_verified` resolves to that one address,
// which nobody on the cloud side can use (the kernel drops packets that
// arrive with one of its own addresses as source).
//
// One Asio thread does all the I/O; sockets are opened inside the
// namespace by a short setns() on whichever thread opens them.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/ipv4.h"
#include "model/topology.h"
#include "plan/naming.h"

namespace pharos::security {

struct IngressOptions {
  std::string cert_file;       // server certificate chain (PEM)
  std::string key_file;        // its private key (PEM)
  std::string client_ca_file;  // client certificates must chain to this (PEM)
  int port = 443;
  std::chrono::milliseconds handshake_timeout{10000};
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds idle_timeout{300000};  // a forwarded connection with no data either way
  int max_connections = 256;
};

// Where the ingress listens: the namespace holding the cloud bridge and the
// bridge's gateway address.
struct IngressPlacement {
  std::string netns;
  Ipv4Address address;
  bool operator==(const IngressPlacement&) const = default;
};
// The cloud gateway of `topology` in the namespace of the node that holds
// the cloud bridge (`vehicle`); nullopt when the configuration has no cloud
// side or that node is not on this machine (host mode).
std::optional<IngressPlacement> IngressPlacementOf(const model::Topology& topology,
                                                   const plan::NodeNamespaces& namespaces);

// "update-service.vehicle.example" -> "update-service"; "" for no name.
std::string ServiceOfServerName(std::string_view sni);

struct IngressBackend {
  Ipv4Address ip;
  int port = 0;
  std::string status;  // the registry's: registered | healthy | degraded | unhealthy
};
// The instances of a service right now (the registry).
using BackendLookup = std::function<std::vector<IngressBackend>(const std::string& service)>;
// The instance the `n`th connection goes to: round robin over the healthy
// (or not yet checked) instances, then the degraded ones; an unhealthy one
// only when nothing else is left.
std::optional<IngressBackend> PickBackend(const std::vector<IngressBackend>& instances, uint64_t n);

// A client the ingress turned away (for the security event pipeline).
struct IngressRefusal {
  Ipv4Address client;
  Ipv4Address ingress;
  int port = 0;
  std::string reason;  // "TLS handshake refused: certificate verify failed"
};
using RefusalListener = std::function<void(const IngressRefusal&)>;

struct IngressStats {
  uint64_t accepted = 0;   // TCP connections taken
  uint64_t refused = 0;    // handshakes that failed (no or bad certificate, timeout)
  uint64_t unrouted = 0;   // verified, but no such service or no reachable instance
  uint64_t forwarded = 0;  // verified and connected to an instance
  int64_t active = 0;      // connections open now
};

class TlsIngress {
 public:
  // Loads the certificate, key and CA; an error names the file at fault.
  static absl::StatusOr<std::unique_ptr<TlsIngress>> Create(IngressOptions options,
                                                            BackendLookup backends,
                                                            RefusalListener refusals);
  ~TlsIngress();  // stops

  void Start();  // the I/O thread
  void Stop();   // closes every connection
  // Listens at `where` (again, when the namespace was recreated or the
  // address moved); nullopt stops listening. Open connections are kept.
  absl::Status Place(const std::optional<IngressPlacement>& where);
  IngressStats stats() const;
  int port() const;
  std::optional<IngressPlacement> placement() const;

  struct Impl;

 private:
  explicit TlsIngress(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace pharos::security
