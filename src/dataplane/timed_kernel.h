// A Kernel that times every call of the one it wraps: the per-operation
// profile of a convergence (how many netlink round trips of which kind,
// and how long they took), for benchmarks and diagnostics. Thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "dataplane/kernel.h"

namespace pharos::dataplane {

struct KernelOpStats {
  uint64_t calls = 0;
  std::chrono::nanoseconds total{0};
};

class TimedKernel : public Kernel {
 public:
  explicit TimedKernel(std::unique_ptr<Kernel> inner) : inner_(std::move(inner)) {}

  // By operation name ("CreateVeth", "Observe", ...), since the last Reset.
  std::map<std::string, KernelOpStats> Stats() const;
  void Reset();

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
  absl::Status ConfigureLink(const std::string& ns, const std::string& name,
                             const std::string& master, bool up) override;
  absl::Status SetLinkMac(const std::string& ns, const std::string& name,
                          const MacAddress& mac) override;
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
  absl::StatusOr<std::vector<netlink::Link>> Links(const std::string& ns) override;
  void Forget(const std::string& ns) override;

 private:
  template <typename F>
  auto Timed(const char* op, F&& call) {
    auto start = std::chrono::steady_clock::now();
    auto result = call();
    auto took = std::chrono::steady_clock::now() - start;
    std::lock_guard lock(mu_);
    KernelOpStats& s = stats_[op];
    ++s.calls;
    s.total += std::chrono::duration_cast<std::chrono::nanoseconds>(took);
    return result;
  }

  std::unique_ptr<Kernel> inner_;
  mutable std::mutex mu_;
  std::map<std::string, KernelOpStats> stats_;
};

}  // namespace pharos::dataplane
