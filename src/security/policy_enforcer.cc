#include "security/policy_enforcer.h"

#include <spdlog/spdlog.h>

#include <set>

#include "common/strings.h"
#include "dataplane/nft.h"
#include "model/config_parser.h"
#include "model/validator.h"
#include "netlink/netns.h"
#include "plan/naming.h"

namespace pharos::security {
namespace {

constexpr char kPolicyKey[] = "policy_yaml";
constexpr char kModeKey[] = "emergency_mode";

}  // namespace

absl::Status NftFirewall::Run(const std::string& netns, const std::string& nft_text) {
  return dataplane::RunNftInNamespace(netns, nft_text, dataplane::NftSyntax::kText);
}

uint64_t NftFirewall::NamespaceIdentity(const std::string& netns) {
  return netlink::NetnsIdentity(netns);
}

absl::StatusOr<bool> NftFirewall::TableExists(const std::string& netns) {
  std::string tables;
  absl::Status s =
      dataplane::RunNftInNamespace(netns, "list tables inet", dataplane::NftSyntax::kText, &tables);
  if (!s.ok()) return s;
  return tables.find(StrCat("table inet ", kPolicyTable, "\n")) != std::string::npos;
}

PolicyEnforcer::PolicyEnforcer(store::Database& db, const Clock& clock, Firewall* firewall,
                               ServiceSource services, EnforcerOptions options,
                               EnforcerHooks hooks)
    : state_(db, clock),
      firewall_(firewall),
      services_(std::move(services)),
      options_(std::move(options)),
      hooks_(std::move(hooks)) {}

PolicyEnforcer::~PolicyEnforcer() { Stop(); }

absl::Status PolicyEnforcer::Restore() {
  absl::StatusOr<std::optional<std::string>> yaml = state_.Get(kPolicyKey);
  if (!yaml.ok()) return yaml.status();
  absl::StatusOr<std::optional<std::string>> mode = state_.Get(kModeKey);
  if (!mode.ok()) return mode.status();
  std::lock_guard lock(mu_);
  if (*yaml && !(*yaml)->empty()) {
    model::ParsedConfig parsed = model::ParseConfig(**yaml);
    if (!parsed.syntax_ok || !parsed.document.policy.present) {
      return absl::DataLossError("the stored security policy no longer parses");
    }
    api_policy_ = std::move(parsed.document.policy);
    api_yaml_ = **yaml;
  }
  if (*mode && !(*mode)->empty()) {
    std::optional<EmergencyMode> m = ParseMode(**mode);
    if (!m) return absl::DataLossError(StrCat("stored emergency mode '", **mode, "' is unknown"));
    mode_ = *m;
    spdlog::warn("emergency network mode '{}' is still active (restored)", **mode);
  }
  return absl::OkStatus();
}

void PolicyEnforcer::Start() {
  worker_ = std::thread([this] {
    std::unique_lock lock(wake_mu_);
    while (!stop_) {
      bool woken = true;
      if (options_.verify_interval.count() > 0) {
        woken =
            wake_cv_.wait_for(lock, options_.verify_interval, [this] { return wake_ || stop_; });
      } else {
        wake_cv_.wait(lock, [this] { return wake_ || stop_; });
      }
      if (stop_) break;
      wake_ = false;
      lock.unlock();
      absl::Status s = absl::OkStatus();
      if (woken) {
        s = Sync();
      } else if (absl::StatusOr<int> restored = VerifyTables(); !restored.ok()) {
        s = restored.status();
      }
      if (!s.ok()) spdlog::error("security policy: {}", std::string(s.message()));
      lock.lock();
    }
  });
}

void PolicyEnforcer::Stop() {
  {
    std::lock_guard lock(wake_mu_);
    stop_ = true;
  }
  wake_cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void PolicyEnforcer::Wake() {
  {
    std::lock_guard lock(wake_mu_);
    wake_ = true;
  }
  wake_cv_.notify_all();
}

absl::StatusOr<int> PolicyEnforcer::VerifyTables() {
  std::lock_guard lock(mu_);
  if (!firewall_) return 0;
  int missing = 0;
  for (auto it = applied_.begin(); it != applied_.end();) {
    absl::StatusOr<bool> there = firewall_->TableExists(it->first);
    if (!there.ok() || *there) {
      ++it;
      continue;
    }
    spdlog::warn("security policy: the table in {} was removed behind Pharos's back; restoring",
                 it->first);
    it = applied_.erase(it);  // forgotten: the sync below applies it whole
    ++missing;
  }
  // Points that failed to apply are retried here too, not only on the next change.
  if (missing == 0 && failing_.empty()) return 0;
  absl::Status s = SyncLocked();
  ReportFailuresLocked();
  if (!s.ok()) return s;
  return missing;
}

void PolicyEnforcer::OnConverged(const model::Topology& topology,
                                 const model::SecurityPolicySpec& configured) {
  std::lock_guard lock(mu_);
  topology_ = topology;
  configured_ = configured;
  if (absl::Status s = SyncLocked(); !s.ok()) {
    spdlog::error("security policy not enforced after convergence: {}", std::string(s.message()));
  }
  ReportFailuresLocked();
}

const model::SecurityPolicySpec& PolicyEnforcer::SpecLocked() const {
  return api_policy_ ? *api_policy_ : configured_;
}

std::string PolicyEnforcer::SourceLocked() const {
  if (api_policy_) return "api";
  return configured_.present ? "configuration" : "";
}

Inventory PolicyEnforcer::InventoryLocked() {
  Inventory inv = InventoryOf(topology_);
  if (services_) inv.services = services_();
  if (options_.tls_ingress) inv.ingress_address = inv.cloud_gateway;
  return inv;
}

PolicyEnforcer::View PolicyEnforcer::ViewLocked() {
  View v;
  v.policy = EffectivePolicy(SpecLocked(), mode_);
  Inventory inv = InventoryLocked();
  v.membership = Resolve(v.policy, inv);
  v.source = SourceLocked();
  v.pod_subnets = std::move(inv.pod_subnets);
  v.not_enforced = failing_;
  return v;
}

void PolicyEnforcer::ReportFailuresLocked() {
  for (auto it = alarmed_.begin(); it != alarmed_.end();) {
    if (failing_.count(*it)) {
      ++it;
      continue;
    }
    spdlog::info("security policy: enforced in {} again", *it);
    it = alarmed_.erase(it);
  }
  for (const auto& [netns, why] : failing_) {
    if (!alarmed_.insert(netns).second) continue;
    spdlog::error("security policy NOT enforced in {}: {}", netns, why);
    if (hooks_.alarm) hooks_.alarm(netns, why);
  }
}

PolicyEnforcer::View PolicyEnforcer::Current() {
  std::lock_guard lock(mu_);
  return ViewLocked();
}

std::string PolicyEnforcer::ActiveMode() {
  std::lock_guard lock(mu_);
  return std::string(ModeName(mode_));
}

absl::Status PolicyEnforcer::Sync() {
  std::lock_guard lock(mu_);
  absl::Status s = SyncLocked();
  ReportFailuresLocked();
  return s;
}

absl::Status PolicyEnforcer::SyncLocked() {
  if (!firewall_) return absl::OkStatus();
  View view = ViewLocked();
  std::vector<EnforcementPoint> points =
      view.policy.enforced ? EnforcementPoints(view.pod_subnets, options_.namespaces)
                           : std::vector<EnforcementPoint>{};

  absl::Status first_error = absl::OkStatus();
  auto note = [&first_error](absl::Status s) {
    if (!s.ok() && first_error.ok()) first_error = s;
  };
  std::set<std::string> wanted;
  if (!points.empty()) {
    std::vector<Ipv4Prefix> all_subnets;
    for (const auto& s : view.pod_subnets) all_subnets.push_back(s.prefix);
    for (const auto& point : points) {
      wanted.insert(point.netns);
      CompiledPolicy compiled =
          CompilePolicy(view.policy, view.membership, point, all_subnets, {options_.nflog_group});
      uint64_t identity = firewall_->NamespaceIdentity(point.netns);
      auto it = applied_.find(point.netns);
      if (it != applied_.end() && it->second.rules_digest == compiled.rules_digest &&
          it->second.netns_identity == identity) {
        if (it->second.members_digest == compiled.members_digest) continue;
        absl::Status s = firewall_->Run(point.netns, compiled.sets_text);
        if (s.ok()) {
          it->second.members_digest = compiled.members_digest;
          continue;
        }
        spdlog::warn("security policy: set update in {} failed ({}); replacing the table",
                     point.netns, std::string(s.message()));
      }
      absl::Status s = firewall_->Run(point.netns, compiled.replace_text);
      if (s.ok()) {
        applied_[point.netns] = {compiled.rules_digest, compiled.members_digest, identity};
        failing_.erase(point.netns);
      } else {
        applied_.erase(point.netns);  // unknown state: replace next time
        // Kept without the namespace the message may start with: readers add it.
        std::string why(s.message());
        if (why.rfind(point.netns + ": ", 0) == 0) why.erase(0, point.netns.size() + 2);
        failing_[point.netns] = why;
        note(s);
      }
    }
  }
  std::erase_if(failing_, [&wanted](const auto& f) { return !wanted.count(f.first); });
  // Tables where no policy belongs any more. After a start, also every VM
  // namespace (a table may be left from before, with a policy since removed).
  std::set<std::string> stale;
  for (const auto& [netns, _] : applied_) {
    if (!wanted.count(netns)) stale.insert(netns);
  }
  if (!cleaned_) {
    for (const auto& n : topology_.nodes) {
      if (n.kind != model::NodeKind::kVm) continue;
      std::optional<std::string> netns = options_.namespaces.Of(n.name);
      if (netns && !wanted.count(*netns)) stale.insert(*netns);
    }
    cleaned_ = !topology_.nodes.empty();
  }
  for (const auto& netns : stale) {
    absl::Status s = firewall_->Run(netns, RemovePolicyText());
    applied_.erase(netns);
    if (!s.ok() && !absl::IsNotFound(s)) {
      spdlog::debug("security policy: removing the table in {}: {}", netns,
                    std::string(s.message()));
    }
  }
  if (hooks_.points) {
    std::set<std::string> live;
    for (const auto& [netns, _] : applied_) live.insert(netns);
    hooks_.points(std::move(live));
  }
  return first_error;
}

absl::Status PolicyEnforcer::EnforceAndStoreLocked(const char* key, const std::string& value,
                                                   const std::function<void()>& revert) {
  absl::Status applied = SyncLocked();
  absl::Status stored = applied.ok() ? state_.Set(key, value) : absl::OkStatus();
  if (applied.ok() && stored.ok()) {
    ReportFailuresLocked();
    return absl::OkStatus();
  }
  // Put back what was enforced before: the running state stays as it was.
  revert();
  applied_.clear();
  (void)SyncLocked();
  ReportFailuresLocked();  // only what still fails with the old policy
  return applied.ok() ? stored : applied;
}

PolicyChange PolicyEnforcer::Configure(std::string_view yaml, const model::Topology* reference) {
  PolicyChange out;
  std::optional<model::SecurityPolicySpec> spec;
  if (!yaml.empty()) {
    model::ParsedConfig parsed = model::ParseConfig(yaml);
    out.findings = parsed.findings;
    if (parsed.syntax_ok && parsed.document.vehicle.present) {
      out.findings.Error("vehicle", {}, "ConfigureSecurityPolicy takes a security policy only",
                         "send the vehicle with ApplyConfiguration");
    }
    if (parsed.syntax_ok && !parsed.document.policy.present && !out.findings.HasErrors()) {
      out.findings.Error("", {}, "the document has no 'security_policy:'");
    }
    if (parsed.syntax_ok) {
      model::ValidatorOptions vo;
      vo.interface_prefix = options_.namespaces.interface_prefix;
      vo.reference_vehicle = reference;
      model::Validate(parsed.document, vo, out.findings);
    }
    if (!parsed.syntax_ok || out.findings.HasErrors()) {
      out.status = absl::InvalidArgumentError(
          StrCat("the security policy is not valid: ", out.findings.ErrorSummary()));
      out.message = "the security policy is not valid; nothing changed";
      return out;
    }
    // Services named by the policy that nobody registered yet.
    std::set<std::string> known;
    if (services_) {
      for (const auto& s : services_()) known.insert(s.name);
    }
    for (const auto& r : parsed.document.policy.rules) {
      for (const model::PolicySelector* sel : {&r.from, &r.to}) {
        if (sel->service.present && !known.count(sel->service.value)) {
          out.findings.Warning(sel->service.path, sel->service.mark,
                               StrCat("no service '", sel->service.value,
                                      "' is registered yet; the rule takes effect when it is"));
        }
      }
    }
    spec = std::move(parsed.document.policy);
  }

  std::lock_guard lock(mu_);
  std::optional<model::SecurityPolicySpec> previous = api_policy_;
  std::string previous_yaml = api_yaml_;
  api_policy_ = spec;
  api_yaml_ = std::string(yaml);
  out.status = EnforceAndStoreLocked(kPolicyKey, api_yaml_, [&] {
    api_policy_ = std::move(previous);
    api_yaml_ = std::move(previous_yaml);
  });
  if (!out.status.ok()) {
    out.message = StrCat("the security policy was not applied: ", out.status.message());
    return out;
  }
  size_t rules = api_policy_ ? api_policy_->rules.size() : 0;
  out.message = api_policy_
                    ? StrCat("security policy applied: ", rules, " rules, default ",
                             api_policy_->default_action.present ? api_policy_->default_action.value
                                                                 : std::string("deny"))
                    : "the API policy was cleared; the configuration's policy applies";
  if (mode_ != EmergencyMode::kNone) {
    StrAppend(&out.message, " (emergency mode '", ModeName(mode_), "' is active and shapes it)");
  }
  return out;
}

absl::StatusOr<std::string> PolicyEnforcer::SetEmergency(bool activate, std::string_view mode) {
  auto unknown = [&mode] {
    return absl::InvalidArgumentError(
        StrCat("unknown emergency mode '", mode, "': use minimal, failsafe or diagnostic"));
  };
  std::lock_guard lock(mu_);
  EmergencyMode target = EmergencyMode::kNone;
  if (activate) {
    std::optional<EmergencyMode> m = ParseMode(mode);
    if (!m) return unknown();
    target = *m;
    if (target == EmergencyMode::kDiagnostic && !SpecLocked().emergency.diagnostic.present) {
      return absl::FailedPreconditionError(
          "diagnostic mode needs security_policy.emergency.diagnostic (tester and ports)");
    }
  } else if (!mode.empty() && mode != ModeName(mode_)) {
    if (!ParseMode(mode)) return unknown();
    return absl::FailedPreconditionError(StrCat("emergency mode '", mode, "' is not active (",
                                                mode_ == EmergencyMode::kNone
                                                    ? std::string("none is")
                                                    : StrCat("'", ModeName(mode_), "' is"),
                                                ")"));
  }
  EmergencyMode previous = mode_;
  mode_ = target;
  if (absl::Status s =
          EnforceAndStoreLocked(kModeKey, std::string(ModeName(mode_)), [&] { mode_ = previous; });
      !s.ok()) {
    return s;
  }
  if (previous != target) {
    spdlog::warn("emergency network mode: '{}' -> '{}'", ModeName(previous), ModeName(target));
  }
  return std::string(ModeName(mode_));
}

}  // namespace pharos::security
