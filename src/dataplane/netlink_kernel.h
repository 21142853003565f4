// The real Kernel: rtnetlink through libmnl, NAT through libnftables'
// JSON API, namespaces as iproute2 names them. Never spawns `ip` or `nft`.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>

#include "dataplane/kernel.h"
#include "netlink/socket.h"

namespace pharos::dataplane {

class NetlinkKernel : public Kernel {
 public:
  absl::StatusOr<std::vector<std::string>> ListNamespaces() override;
  bool NamespaceExists(const std::string& ns) override;
  absl::Status CreateNamespace(const std::string& ns, const std::string& marker,
                               const std::string& attach_to) override;
  absl::StatusOr<std::string> NamespaceMarkerOf(const std::string& ns) override;
  absl::Status MarkNamespace(const std::string& ns, const std::string& marker) override;
  absl::Status DeleteNamespace(const std::string& ns) override;
  absl::StatusOr<ObservedNamespace> Observe(const std::string& ns) override;
  absl::Status SetForwarding(const std::string& ns, bool enabled) override;
  absl::Status CreateBridge(const std::string& ns, const std::string& name) override;
  absl::Status CreateVeth(const plan::VethObject& v) override;
  absl::Status SetLinkMac(const std::string& ns, const std::string& name,
                          const MacAddress& mac) override;
  absl::Status ConfigureLink(const std::string& ns, const std::string& name,
                             const std::string& master, bool up) override;
  absl::Status DeleteLink(const std::string& ns, const std::string& name) override;
  absl::Status AddAddress(const std::string& ns, const plan::AddressObject& a) override;
  absl::Status DeleteAddress(const std::string& ns, const netlink::AddressEntry& a) override;
  absl::Status AddRoute(const std::string& ns, const plan::RouteObject& r) override;
  absl::Status DeleteRoute(const std::string& ns, const netlink::RouteEntry& r) override;
  absl::Status AddRule(const std::string& ns, const plan::RuleObject& r) override;
  absl::Status DeleteRule(const std::string& ns, const netlink::RuleEntry& r) override;
  absl::Status ReplaceNat(const std::string& ns,
                          const std::vector<plan::NatObject>& nats) override;
  absl::StatusOr<netlink::RouteEntry> LookupRoute(const std::string& ns,
                                                  Ipv4Address destination) override;
  void Forget(const std::string& ns) override;

  absl::StatusOr<std::vector<netlink::Link>> Links(const std::string& ns) override;

 private:
  // The cached request socket of a namespace; call with mu_ held.
  absl::StatusOr<netlink::Socket*> SocketFor(const std::string& ns);
  absl::StatusOr<netlink::Socket*> NetfilterSocketFor(const std::string& ns);
  // Runs `fn` with the namespace's socket, under the lock.
  absl::Status WithSocket(const std::string& ns,
                          const std::function<absl::Status(netlink::Socket&)>& fn);
  absl::StatusOr<int> IndexOf(netlink::Socket& socket, const std::string& ns,
                              const std::string& name);
  absl::StatusOr<netlink::Link> LinkByName(netlink::Socket& socket, const std::string& ns,
                                           const std::string& name);
  absl::StatusOr<std::vector<netlink::Link>> DumpLinks(netlink::Socket& socket);
  absl::StatusOr<std::optional<std::string>> ObserveNat(const std::string& ns);
  absl::Status RunNft(const std::string& ns, const std::string& json, std::string* output);

  std::mutex mu_;
  std::map<std::string, std::unique_ptr<netlink::Socket>> sockets_;
  std::map<std::string, std::unique_ptr<netlink::Socket>> netfilter_sockets_;
};

}  // namespace pharos::dataplane
