// An in-memory Kernel for reconciler tests: namespaces, links, addresses,
// routes and NAT as plain data, and a log of every mutating call.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "dataplane/kernel.h"

namespace pharos::testing {

class FakeKernel : public dataplane::Kernel {
 public:
  struct FakeLink {
    int index = 0;
    std::string kind, master, peer_ns, peer, alias;
    bool up = false;
    std::string mac;  // "" until one is set
  };
  struct FakeNs {
    std::string marker;
    std::map<std::string, FakeLink> links;
    std::set<std::tuple<std::string, uint32_t, int>> addresses;  // (ifname, ip, len)
    std::vector<netlink::RouteEntry> routes;
    std::vector<netlink::RuleEntry> rules;
    bool forwarding = false;
    std::optional<std::string> nat;
  };

  std::map<std::string, FakeNs> namespaces;
  std::vector<std::string> calls;  // "CreateBridge ns name", ...

  absl::StatusOr<std::vector<std::string>> ListNamespaces() override;
  bool NamespaceExists(const std::string& ns) override { return namespaces.count(ns) > 0; }
  absl::Status CreateNamespace(const std::string& ns, const std::string& marker,
                               const std::string& attach_to) override;
  absl::StatusOr<std::string> NamespaceMarkerOf(const std::string& ns) override;
  absl::Status MarkNamespace(const std::string& ns, const std::string& marker) override;
  absl::Status DeleteNamespace(const std::string& ns) override;
  absl::StatusOr<dataplane::ObservedNamespace> Observe(const std::string& ns) override;
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
  absl::Status ReplaceNat(const std::string& ns, const std::vector<plan::NatObject>& nats) override;
  absl::StatusOr<netlink::RouteEntry> LookupRoute(const std::string& ns, Ipv4Address) override {
    return absl::UnimplementedError("fake");
  }
  absl::StatusOr<std::vector<netlink::Link>> Links(const std::string& ns) override {
    return absl::UnimplementedError("fake");
  }

 private:
  FakeNs* Find(const std::string& ns);
  int next_index_ = 2;
};

}  // namespace pharos::testing
