// The security controller's enforcement loop: which policy is in force
// (configured over the API, else the configuration's `security_policy:`,
// reshaped by the emergency mode), its selectors resolved against the
// pods and services of the moment, compiled per enforcement point and
// applied as one nftables transaction per namespace. Rule changes replace
// the table; membership changes rewrite set elements only. The configured
// policy and the mode are persisted and restored on start.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/clock.h"
#include "model/findings.h"
#include "model/topology.h"
#include "security/nft_policy.h"
#include "security/policy.h"
#include "store/security_store.h"

namespace pharos::security {

// Where compiled policy goes. The real one is nftables in the namespace;
// unit tests record the text.
class Firewall {
 public:
  virtual ~Firewall() = default;
  virtual absl::Status Run(const std::string& netns, const std::string& nft_text) = 0;
  // Which namespace goes by that name now: a VM rebuilt by drift repair
  // has a fresh one without the table, which must then be applied again.
  virtual uint64_t NamespaceIdentity(const std::string& netns) = 0;
  // Whether the policy table is there (someone may have flushed it).
  virtual absl::StatusOr<bool> TableExists(const std::string& netns) = 0;
};

class NftFirewall : public Firewall {
 public:
  absl::Status Run(const std::string& netns, const std::string& nft_text) override;
  uint64_t NamespaceIdentity(const std::string& netns) override;
  absl::StatusOr<bool> TableExists(const std::string& netns) override;
};

struct EnforcerOptions {
  plan::NodeNamespaces namespaces;  // where each VM's table goes
  int nflog_group = 0;
  bool tls_ingress = false;  // the TLS ingress runs on the cloud gateway (tls_verified)
  // How often the worker checks that every table it applied is still
  // there (`nft flush ruleset` by hand, another tool); 0: never.
  std::chrono::seconds verify_interval{10};
};

// Who hears what the enforcer finds, given at construction (both optional).
struct EnforcerHooks {
  // An enforcement point starts failing (namespace, why): once per outage,
  // after whatever the call tried has settled.
  std::function<void(const std::string& netns, const std::string& why)> alarm;
  // The enforcement points' namespaces after every sync (the NFLOG readers
  // follow them).
  std::function<void(std::set<std::string>)> points;
};

struct PolicyChange {
  absl::Status status;  // InvalidArgument: the YAML; Internal: the kernel/store
  model::Findings findings;
  std::string message;
};

class PolicyEnforcer {
 public:
  using ServiceSource = std::function<std::vector<ServiceAddress>()>;
  // `firewall` null: compute and explain only (plan mode).
  PolicyEnforcer(store::Database& db, const Clock& clock, Firewall* firewall,
                 ServiceSource services, EnforcerOptions options, EnforcerHooks hooks = {});
  ~PolicyEnforcer();

  // Loads the configured policy and the emergency mode from the store.
  absl::Status Restore();
  void Start();  // the worker that follows membership changes
  void Stop();

  // From ConfigController's converged hook: the applied topology and its
  // configuration's policy. Enforces before returning.
  void OnConverged(const model::Topology& topology, const model::SecurityPolicySpec& configured);
  // Services changed: re-resolve membership soon (worker thread).
  void Wake();
  // Re-applies every table that vanished behind Pharos's back, and retries
  // the points that failed to apply; returns how many vanished (the worker
  // calls it every `verify_interval`).
  absl::StatusOr<int> VerifyTables();

  // ConfigureSecurityPolicy: `yaml` holds `security_policy:` only; empty
  // clears the API policy (the configuration's section applies again).
  PolicyChange Configure(std::string_view yaml, const model::Topology* reference);
  // EmergencyNetworkMode. Returns the active mode ("" for none).
  absl::StatusOr<std::string> SetEmergency(bool activate, std::string_view mode);
  std::string ActiveMode();

  struct View {
    Policy policy;
    Membership membership;
    std::string source;  // "api", "configuration" or "" (none)
    std::vector<PodSubnet> pod_subnets;
    // Enforcement points whose table could not be applied: namespace ->
    // why. Such a VM forwards without the policy (a new VM) or with the
    // last one that applied.
    std::map<std::string, std::string> not_enforced;
  };
  View Current();
  // Applies what is due now (the worker calls it; tests may too).
  absl::Status Sync();

 private:
  const model::SecurityPolicySpec& SpecLocked() const;
  std::string SourceLocked() const;
  absl::Status SyncLocked();
  Inventory InventoryLocked();
  View ViewLocked();
  // Applies the changed state and stores `key` = `value`; on failure calls
  // `revert` and re-applies what was there, so nothing changes.
  absl::Status EnforceAndStoreLocked(const char* key, const std::string& value,
                                     const std::function<void()>& revert);
  // Raises the alarm for points that newly fail; logs the ones that recovered.
  void ReportFailuresLocked();

  store::SecurityStateStore state_;
  Firewall* firewall_;
  ServiceSource services_;
  EnforcerOptions options_;

  std::mutex mu_;  // everything below; held while applying (one swap at a time)
  model::Topology topology_;
  model::SecurityPolicySpec configured_;  // from the configuration
  std::optional<model::SecurityPolicySpec> api_policy_;
  std::string api_yaml_;
  EmergencyMode mode_ = EmergencyMode::kNone;
  struct Applied {
    std::string rules_digest;
    std::string members_digest;
    uint64_t netns_identity = 0;
  };
  std::map<std::string, Applied> applied_;      // netns -> what its table holds
  std::map<std::string, std::string> failing_;  // netns -> why its table did not apply
  std::set<std::string> alarmed_;               // failing points already reported
  EnforcerHooks hooks_;
  bool cleaned_ = false;  // stale tables removed once after start

  std::mutex wake_mu_;
  std::condition_variable wake_cv_;
  bool wake_ = false;
  bool stop_ = false;
  std::thread worker_;
};

}  // namespace pharos::security
