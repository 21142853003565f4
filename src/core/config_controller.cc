#include "core/config_controller.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>

#include "common/strings.h"
#include "common/text.h"
#include "core/runtime_pod_planner.h"
#include "model/config_merge.h"

namespace pharos::core {
namespace {

ChangeOutcome Failure(absl::Status status, model::Findings findings = {}) {
  ChangeOutcome out;
  out.message = std::string(status.message());
  out.status = std::move(status);
  out.findings = std::move(findings);
  return out;
}

// Positions in a merged document would point into text the caller never
// wrote; keep the YAML paths, drop the positions.
void DropPositions(model::Findings& findings) {
  model::Findings stripped;
  for (auto f : findings.items()) {
    stripped.Add(f.severity, f.path, {}, f.description, f.recommendation);
  }
  findings = std::move(stripped);
}

}  // namespace

ConfigController::ConfigController(store::ConfigStore& store, dataplane::DataplaneBackend& backend,
                                   ControllerOptions options, NetworkEventRecorder* events,
                                   RuntimePodOverlay* runtime_pods)
    : store_(store),
      backend_(backend),
      events_(events),
      overlay_(runtime_pods),
      options_(std::move(options)) {}

absl::StatusOr<Analysis> ConfigController::AnalyzeStored(const store::ConfigVersion& version) {
  model::PlannedAddresses stored = model::PlannedAddressesFromJson(version.planned_addresses);
  Analysis a = AnalyzeConfig(version.yaml, AnalysisFor(nullptr, &stored));
  if (!a.plan) {
    return absl::FailedPreconditionError(
        StrCat("stored version ", version.id, " no longer validates: ", a.findings.ErrorSummary()));
  }
  return a;
}

absl::Status ConfigController::RecoverLocked() {
  absl::StatusOr<std::optional<store::ConfigVersion>> current = store_.Current();
  if (!current.ok()) return current.status();
  if (!current->has_value()) return absl::OkStatus();
  absl::StatusOr<Analysis> declarative = AnalyzeStored(**current);
  if (!declarative.ok()) return declarative.status();
  RuntimeParts parts = ReadOverlay();
  AppliedRuntime merged = AppliedRuntimeOf(parts);
  absl::StatusOr<Analysis> a = WithRuntimePods(*declarative, std::move(parts));
  absl::StatusOr<dataplane::ApplyResult> applied =
      a.ok() ? backend_.Apply(*a->plan) : absl::StatusOr<dataplane::ApplyResult>(a.status());
  if (!applied.ok() && overlay_) {
    // A runtime pod no longer fits (its VM is gone from the configuration,
    // its runtime's namespace vanished): the vehicle comes first; the pod
    // manager releases such pods when it starts.
    spdlog::warn("runtime pods left out on start: {}", std::string(applied.status().message()));
    a = *declarative;
    merged = {};
    applied = backend_.Apply(*a->plan);
  }
  if (!applied.ok()) return applied.status();
  RecordEvents(*applied, "converged-on-start");
  current_plan_ = std::make_shared<const plan::Plan>(*a->plan);
  current_topology_ = std::make_shared<const model::Topology>(a->topology);
  current_policy_ = a->document.policy;
  current_pullpiri_ = a->document.pullpiri;
  current_yaml_ = (*current)->yaml;
  declared_topology_ = std::make_shared<const model::Topology>(declarative->topology);
  TopologyChanged();
  current_declarative_ = std::move(*declarative);
  applied_runtime_ = std::move(merged);
  return absl::OkStatus();
}

ConfigController::RuntimeParts ConfigController::ReadOverlay() {
  if (!overlay_) return {};
  return {overlay_->OverlayPods(), overlay_->OverlayNetworks()};
}

ConfigController::AppliedRuntime ConfigController::AppliedRuntimeOf(const RuntimeParts& parts) {
  AppliedRuntime out;
  for (const auto& p : parts.pods) out.pods[p.pod.name.value] = RuntimePodFingerprint(p);
  for (const auto& n : parts.networks) {
    StrAppend(&out.networks, n.soc, "/", n.vm, "/", n.network.name, "/", n.network.subnet.value,
              "/", n.network.bridge.present, n.network.bridge.value, "\n");
  }
  return out;
}

absl::StatusOr<Analysis> ConfigController::WithRuntimePods(const Analysis& declarative,
                                                           RuntimeParts parts) {
  std::vector<RuntimePodSpec>& pods = parts.pods;
  std::vector<RuntimeNetworkSpec>& networks = parts.networks;
  if (!declarative.plan || (pods.empty() && networks.empty())) return declarative;
  model::ConfigDocument document = declarative.document;
  auto find_vm = [&](const std::string& soc_name, const std::string& vm_name) {
    model::VmSpec* vm = nullptr;
    for (auto& soc : document.vehicle.socs) {
      if (soc.name.value != soc_name) continue;
      for (auto& v : soc.vms) {
        if (v.name.value == vm_name) vm = &v;
      }
    }
    return vm;
  };
  for (auto& n : networks) {
    model::VmSpec* vm = find_vm(n.soc, n.vm);
    if (!vm) {
      return absl::FailedPreconditionError(
          StrCat("runtime network ", n.network.name, ": VM ", n.vm, " on ", n.soc,
                 " is not in this configuration; remove the network first"));
    }
    n.network.path = StrCat(vm->path, ".networks[", vm->pod_networks.size(), "]");
    n.network.subnet.path = n.network.path;
    vm->pod_networks.push_back(std::move(n.network));
  }
  for (auto& p : pods) {
    model::VmSpec* vm = find_vm(p.soc, p.vm);
    if (!vm) {
      return absl::FailedPreconditionError(
          StrCat("runtime pod ", p.pod.name.value, ": VM ", p.vm, " on ", p.soc,
                 " is not in this configuration; remove the pod first"));
    }
    p.pod.path = StrCat(vm->path, ".pods[", vm->pods.size(), "]");
    vm->pods.push_back(std::move(p.pod));
  }
  model::PlannedAddresses keep = model::PlannedAddressesOf(declarative.topology);
  Analysis merged = AnalyzeDocument(std::move(document), AnalysisFor(nullptr, &keep));
  if (!merged.valid() || !merged.plan) {
    return absl::FailedPreconditionError(
        StrCat("the pods requested at run time (RequestNetworkPod) do not fit this configuration: ",
               merged.findings.ErrorSummary(), "; remove them first"));
  }
  merged.canonical_yaml = declarative.canonical_yaml;
  merged.content_hash = declarative.content_hash;
  merged.findings = declarative.findings;
  merged.document = declarative.document;
  return merged;
}

absl::StatusOr<dataplane::ApplyResult> ConfigController::ApplyRuntimePodsLocked() {
  if (!current_declarative_) {
    return absl::FailedPreconditionError(
        "no vehicle configuration is applied yet: pods need a VM to run on");
  }
  RuntimeParts parts = ReadOverlay();
  AppliedRuntime merged = AppliedRuntimeOf(parts);
  if (auto done = ApplyRuntimePodsIncrementally(parts, merged)) return std::move(*done);
  absl::StatusOr<Analysis> a = WithRuntimePods(*current_declarative_, std::move(parts));
  if (!a.ok()) return a.status();
  absl::StatusOr<dataplane::ApplyResult> applied = backend_.Apply(*a->plan);
  if (!applied.ok()) {
    (void)backend_.Apply(*current_plan_);  // back to what was there
    return applied.status();
  }
  current_plan_ = std::make_shared<const plan::Plan>(std::move(*a->plan));
  current_topology_ = std::make_shared<const model::Topology>(std::move(a->topology));
  current_policy_ = a->document.policy;
  current_pullpiri_ = a->document.pullpiri;
  applied_runtime_ = std::move(merged);
  TopologyChanged();
  return applied;
}

std::optional<absl::StatusOr<dataplane::ApplyResult>>
ConfigController::ApplyRuntimePodsIncrementally(const RuntimeParts& parts,
                                                const AppliedRuntime& wanted) {
  if (wanted.networks != applied_runtime_.networks) return std::nullopt;
  RuntimePodChange change = DiffRuntimePods(applied_runtime_.pods, parts.pods);
  if (change.empty()) return dataplane::ApplyResult{};
  // Copies: readers hold the applied ones (the snapshot shares them), and
  // a failed apply goes back.
  model::Topology topology = *current_topology_;
  plan::Plan plan = *current_plan_;
  IncrementalPodOptions options{options_.interface_prefix, options_.max_pods,
                                &current_declarative_->topology};
  plan::ChangedParts touched;
  absl::StatusOr<bool> planned = PlanRuntimePodChange(current_declarative_->document.vehicle,
                                                      change, options, topology, plan, &touched);
  if (!planned.ok()) return planned.status();
  if (!*planned) return std::nullopt;
  absl::StatusOr<dataplane::ApplyResult> applied = backend_.ApplyChange(plan, touched);
  if (!applied.ok()) {
    (void)backend_.Apply(*current_plan_);  // back to what was there
    return applied.status();
  }
  current_plan_ = std::make_shared<const plan::Plan>(std::move(plan));
  current_topology_ = std::make_shared<const model::Topology>(std::move(topology));
  applied_runtime_ = wanted;
  TopologyChanged();
  return applied;
}

std::shared_ptr<const model::PullpiriSpec> ConfigController::CurrentPullpiri() const {
  return Current().pullpiri;
}

ConfigController::Snapshot ConfigController::Current() const {
  std::lock_guard lock(snapshot_mu_);
  return snapshot_;
}

model::Topology ConfigController::CurrentTopology() { return *Current().topology; }

std::shared_ptr<const model::Topology> ConfigController::TopologySnapshot() const {
  return Current().topology;
}

std::shared_ptr<const model::Topology> ConfigController::DeclaredTopologySnapshot() const {
  return Current().declared_topology;
}

std::optional<std::string> ConfigController::OwnerOf(Ipv4Address a) {
  std::shared_ptr<const model::Topology> topology = TopologySnapshot();
  std::lock_guard lock(owners_mu_);
  if (owners_of_ != topology) {
    // Built once per applied topology, on the first lookup: the registry
    // asks for every registration, and a scan was O(nodes) each time.
    // The first claim counts, gateways before nodes (as Topology::OwnerOf).
    owners_.clear();
    for (const auto& seg : topology->segments) {
      if (seg.prefix.Contains(seg.gateway)) owners_.emplace(seg.gateway.value(), seg.owner);
    }
    for (const auto& n : topology->nodes) {
      if (n.ip) owners_.emplace(n.ip->value(), n.name);
    }
    owners_of_ = std::move(topology);
  }
  auto it = owners_.find(a.value());
  if (it == owners_.end()) return std::nullopt;
  return it->second;
}

AnalysisOptions ConfigController::AnalysisFor(const model::Topology* reference,
                                              const model::PlannedAddresses* keep) const {
  AnalysisOptions o{options_.interface_prefix, reference, keep};
  o.max_pods = options_.max_pods;
  o.bounds.max_bytes = options_.max_config_bytes;
  return o;
}

void ConfigController::RecordEvents(const dataplane::ApplyResult& applied,
                                    const std::string& kind) {
  if (applied.actions.empty()) return;
  // The first few changes in the log line; all of them in the events.
  constexpr size_t kLogged = 8;
  std::vector<std::string> shown(
      applied.actions.begin(), applied.actions.begin() + std::min(kLogged, applied.actions.size()));
  spdlog::info("{}: {} change(s): {}{}", kind, applied.actions.size(), StrJoin(shown, "; "),
               applied.actions.size() > kLogged ? "; …" : "");
  if (!events_) return;
  for (const auto& [component, actions] : applied.actions_by_component) {
    if (absl::Status s = events_->Record(component, kind, StrJoin(actions, "; ")); !s.ok()) {
      spdlog::error("cannot record network event: {}", std::string(s.message()));
    }
  }
}

absl::StatusOr<size_t> ConfigController::RepairLocked() {
  absl::StatusOr<dataplane::ApplyResult> applied = backend_.Apply(*current_plan_);
  if (!applied.ok()) return applied.status();
  RecordEvents(*applied, "drift-repaired");
  // A rebuilt namespace lacks what others keep there (the policy table, the
  // ingress's socket): let them put it back.
  if (!applied->actions.empty()) TopologyChanged();
  return applied->actions.size();
}

ChangeOutcome ConfigController::TeardownLocked() {
  ChangeOutcome out;
  absl::StatusOr<dataplane::ApplyResult> applied = backend_.Apply(plan::Plan{});
  if (!applied.ok()) {
    out.status = applied.status();
    out.message = StrCat("teardown failed: ", applied.status().message());
    return out;
  }
  if (absl::Status s = store_.Deactivate(); !s.ok()) {
    out.status = s;
    out.message = StrCat("dataplane removed, but the store could not be updated: ", s.message());
    return out;
  }
  RecordEvents(*applied, "teardown");
  out.changed = !applied->actions.empty() || !current_plan_->namespaces.empty();
  out.affected_components.assign(applied->changed_components.begin(),
                                 applied->changed_components.end());
  out.message = StrCat("torn down: ", applied->actions.size(),
                       " kernel change(s); no version is "
                       "current (the versions are kept: pharosctl rollback VERSION restores one)");
  current_plan_ = std::make_shared<const plan::Plan>();
  current_topology_ = std::make_shared<const model::Topology>();
  current_policy_ = model::SecurityPolicySpec{};
  current_pullpiri_ = model::PullpiriSpec{};
  current_yaml_.clear();
  declared_topology_ = std::make_shared<const model::Topology>();
  TopologyChanged();
  current_declarative_.reset();
  applied_runtime_ = {};
  return out;
}

Analysis ConfigController::Validate(std::string_view yaml) {
  Snapshot base = Current();
  return AnalyzeConfig(yaml, AnalysisFor(base.topology.get(), nullptr));
}

// The public mutators: the work under the lock, then the observers told
// with the lock released.
template <typename Work>
auto ConfigController::Converging(Work&& work) {
  auto result = [&] {
    std::lock_guard lock(mu_);
    return work();
  }();
  Publish();
  return result;
}

absl::Status ConfigController::Recover() {
  return Converging([&] { return RecoverLocked(); });
}
absl::StatusOr<size_t> ConfigController::Repair() {
  return Converging([&] { return RepairLocked(); });
}
ChangeOutcome ConfigController::Teardown() {
  return Converging([&] { return TeardownLocked(); });
}
absl::StatusOr<dataplane::ApplyResult> ConfigController::ApplyRuntimePods() {
  return Converging([&] { return ApplyRuntimePodsLocked(); });
}
ChangeOutcome ConfigController::Apply(std::string_view yaml, std::string_view source, bool dry_run,
                                      const Abandoned& abandoned) {
  auto prepare = [&] { return PrepareApply(yaml, Current()); };
  Prepared pre = prepare();
  if (std::optional<ChangeOutcome> refused = Rejection(pre)) return *refused;  // no lock taken
  return Converging(
      [&] { return CommitLocked(std::move(pre), prepare, source, dry_run, abandoned); });
}
ChangeOutcome ConfigController::Update(std::string_view yaml, bool incremental,
                                       const Abandoned& abandoned) {
  if (!incremental) return Apply(yaml, "update", false, abandoned);
  auto prepare = [&] { return PrepareUpdate(yaml, Current()); };
  Prepared pre = prepare();
  if (std::optional<ChangeOutcome> refused = Rejection(pre)) return *refused;
  return Converging(
      [&] { return CommitLocked(std::move(pre), prepare, "update", false, abandoned); });
}
ChangeOutcome ConfigController::Rollback(std::string_view target) {
  return Converging([&] { return RollbackLocked(target); });
}

void ConfigController::TopologyChanged() {
  // Shared, not copied: what is applied never changes in place.
  staged_ = Converged{++generation_, current_topology_,
                      std::make_shared<const model::SecurityPolicySpec>(current_policy_)};
  Snapshot next{generation_, current_plan_, current_topology_, declared_topology_,
                std::make_shared<const std::string>(current_yaml_),
                std::make_shared<const model::PullpiriSpec>(current_pullpiri_)};
  std::lock_guard lock(snapshot_mu_);
  snapshot_ = std::move(next);
}

void ConfigController::Publish() {
  std::lock_guard order(publish_mu_);
  std::optional<Converged> next;
  {
    std::lock_guard lock(mu_);
    next = std::move(staged_);
    staged_.reset();
  }
  if (next) converged_.Notify(*next);
}

ConfigController::Prepared ConfigController::PrepareApply(std::string_view yaml,
                                                          const Snapshot& base) const {
  Prepared p;
  p.generation = base.generation;
  model::PlannedAddresses keep = model::PlannedAddressesOf(*base.topology);
  p.analysis = AnalyzeConfig(yaml, AnalysisFor(base.topology.get(), &keep));
  return p;
}

ConfigController::Prepared ConfigController::PrepareUpdate(std::string_view yaml,
                                                           const Snapshot& base) const {
  Prepared p;
  p.generation = base.generation;
  // Report problems of the update text itself with its own positions.
  model::YamlBounds bounds;
  bounds.max_bytes = options_.max_config_bytes;
  model::ParsedConfig update = model::ParseConfig(yaml, bounds);
  if (!update.syntax_ok) {
    p.refused = Failure(absl::InvalidArgumentError(StrCat("update rejected, nothing changed: ",
                                                          update.findings.ErrorSummary())),
                        update.findings);
    return p;
  }
  model::MergeResult merged = model::MergeConfigYaml(*base.yaml, yaml);
  if (!merged.ok) {
    p.refused = Failure(absl::InvalidArgumentError(StrCat("update rejected, nothing changed: ",
                                                          merged.findings.ErrorSummary())),
                        merged.findings);
    return p;
  }
  p = PrepareApply(merged.yaml, base);
  p.merge_findings = std::move(merged.findings);
  p.merged = true;
  return p;
}

namespace {

// An update's outcome speaks of the merged document by path only, plus
// what the merge itself found.
void AddMergeFindings(const model::Findings& merge_findings, ChangeOutcome& out) {
  DropPositions(out.findings);
  for (const auto& f : merge_findings.items()) {
    out.findings.Add(f.severity, f.path, f.mark, f.description, f.recommendation);
  }
}

}  // namespace

std::optional<ChangeOutcome> ConfigController::Rejection(const Prepared& p) {
  if (p.refused) return p.refused;
  const Analysis& a = p.analysis;
  std::optional<ChangeOutcome> out;
  if (!a.syntax_ok || a.findings.HasErrors()) {
    out = Failure(absl::InvalidArgumentError(StrCat("configuration rejected, nothing changed: ",
                                                    a.findings.ErrorSummary())),
                  a.findings);
  } else if (!a.has_vehicle()) {
    out = Failure(absl::InvalidArgumentError(
                      "the document has no 'vehicle:' section; a configuration to apply "
                      "describes the whole vehicle (security policies alone go through "
                      "ConfigureSecurityPolicy)"),
                  a.findings);
  }
  if (out && p.merged) AddMergeFindings(p.merge_findings, *out);
  return out;
}

ChangeOutcome ConfigController::CommitLocked(Prepared prepared,
                                             const std::function<Prepared()>& redo,
                                             std::string_view source, bool dry_run,
                                             const Abandoned& abandoned) {
  // Analysed against what was current then; a convergence since (another
  // change, runtime pods, repair) means analysing again, now under the lock.
  if (prepared.generation != generation_) prepared = redo();
  if (std::optional<ChangeOutcome> refused = Rejection(prepared)) return *refused;
  if (abandoned && abandoned()) {
    return Failure(absl::DeadlineExceededError(
                       "the caller went away (cancelled, or its deadline passed) before the "
                       "change began; nothing changed"),
                   prepared.analysis.findings);
  }
  ChangeOutcome out = ApplyAnalyzedLocked(std::move(prepared.analysis), source, dry_run);
  if (prepared.merged) AddMergeFindings(prepared.merge_findings, out);
  return out;
}

ChangeOutcome ConfigController::ApplyAnalyzedLocked(Analysis a, std::string_view source,
                                                    bool dry_run) {
  plan::PlanDiff diff = plan::DiffPlans(*current_plan_, *a.plan);
  ChangeOutcome out;
  out.findings = a.findings;
  out.affected_components.assign(diff.affected_components.begin(), diff.affected_components.end());
  absl::StatusOr<std::optional<store::ConfigVersion>> existing = store_.FindByHash(a.content_hash);
  if (!existing.ok()) return Failure(existing.status(), a.findings);
  absl::StatusOr<std::optional<store::ConfigVersion>> current = store_.Current();
  if (!current.ok()) return Failure(current.status(), a.findings);

  if (dry_run) {
    out.message = StrCat("dry run: configuration is valid; ", diff.changes.size(),
                         " dataplane change(s) across ", out.affected_components.size(),
                         " component(s) would apply");
    if (current->has_value()) out.version_id = (*current)->id;
    return out;
  }
  if (existing->has_value() && current->has_value() && (*existing)->id == (*current)->id) {
    out.version_id = (*current)->id;
    out.affected_components.clear();
    out.message =
        StrCat("configuration unchanged: version ", (*current)->id, " is already current");
    return out;
  }
  std::optional<int64_t> existing_id;
  if (existing->has_value()) {
    // Known content: rebuild exactly the network that version had.
    existing_id = (*existing)->id;
    absl::StatusOr<Analysis> stored = AnalyzeStored(**existing);
    if (!stored.ok()) return Failure(stored.status(), a.findings);
    a = std::move(*stored);
    out.affected_components.clear();
    for (const auto& c : plan::DiffPlans(*current_plan_, *a.plan).affected_components)
      out.affected_components.push_back(c);
  }
  ChangeOutcome activated = Activate(a, existing_id, source);
  activated.findings = a.findings;
  return activated;
}

ChangeOutcome ConfigController::Activate(const Analysis& a, std::optional<int64_t> existing_id,
                                         std::string_view source) {
  // Dataplane first, then the store: a version is acknowledged only once
  // it is both applied and durable. A crash in between leaves the old
  // version current, and start-up converges the dataplane back to it.
  RuntimeParts parts = ReadOverlay();
  AppliedRuntime merged = AppliedRuntimeOf(parts);
  absl::StatusOr<Analysis> effective = WithRuntimePods(a, std::move(parts));
  if (!effective.ok()) return Failure(effective.status());
  absl::StatusOr<dataplane::ApplyResult> applied = backend_.Apply(*effective->plan);
  if (!applied.ok()) {
    absl::Status restore = backend_.Apply(*current_plan_).status();
    return Failure(absl::UnavailableError(StrCat(
        "dataplane (", dataplane::ModeName(backend_.mode()), ") failed to apply: ", applied.status().message(),
        restore.ok() ? "; previous configuration restored"
                     : StrCat("; restoring the previous one also failed: ", restore.message()))));
  }
  ChangeOutcome out;
  // What the dataplane really changed, not what the plans differ in.
  out.affected_components.assign(applied->changed_components.begin(),
                                 applied->changed_components.end());
  if (existing_id) {
    if (absl::Status s = store_.Activate(*existing_id, std::string(source)); !s.ok())
      return Failure(s);
    out.version_id = existing_id;
    out.message =
        StrCat("content equals stored version ", *existing_id, ", which is current again");
  } else {
    absl::StatusOr<store::ConfigVersion> v =
        store_.AddAndActivate(a.canonical_yaml, a.content_hash, std::string(source),
                              model::PlannedAddressesToJson(model::PlannedAddressesOf(a.topology)));
    if (!v.ok()) return Failure(v.status());
    out.version_id = v->id;
    out.created = true;
    out.message =
        StrCat("configuration applied as version ", v->id, " (", dataplane::ModeName(backend_.mode()), " dataplane)");
  }
  out.changed = true;
  current_plan_ = std::make_shared<const plan::Plan>(*effective->plan);
  current_topology_ = std::make_shared<const model::Topology>(effective->topology);
  current_policy_ = effective->document.policy;
  current_pullpiri_ = effective->document.pullpiri;
  current_yaml_ = a.canonical_yaml;
  declared_topology_ = std::make_shared<const model::Topology>(a.topology);
  TopologyChanged();
  current_declarative_ = a;
  applied_runtime_ = std::move(merged);
  return out;
}

absl::StatusOr<int64_t> ConfigController::ParseVersionId(std::string_view id) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), value);
  if (id.empty() || ec != std::errc() || end != id.data() + id.size() || value <= 0) {
    return absl::NotFoundError(
        StrCat("no configuration version '", id, "': versions are numbers (1, 2, ...)"));
  }
  return value;
}

ChangeOutcome ConfigController::RollbackLocked(std::string_view target) {
  absl::StatusOr<std::optional<store::ConfigVersion>> current = store_.Current();
  if (!current.ok()) return Failure(current.status());
  std::optional<store::ConfigVersion> to;
  if (target.empty()) {
    if (!current->has_value()) {
      return Failure(
          absl::FailedPreconditionError("nothing to roll back: no configuration has been applied"));
    }
    absl::StatusOr<std::optional<store::ConfigVersion>> prev = store_.PreviousOf((*current)->id);
    if (!prev.ok()) return Failure(prev.status());
    if (!prev->has_value()) {
      return Failure(absl::FailedPreconditionError(
          StrCat("nothing to roll back to: version ", (*current)->id, " is the oldest")));
    }
    to = **prev;
  } else {
    absl::StatusOr<int64_t> id = ParseVersionId(target);
    if (!id.ok()) return Failure(id.status());
    absl::StatusOr<std::optional<store::ConfigVersion>> v = store_.Get(*id);
    if (!v.ok()) return Failure(v.status());
    if (!v->has_value()) {
      return Failure(absl::NotFoundError(
          StrCat("no configuration version ", *id, " (see pharosctl versions)")));
    }
    to = **v;
  }
  if (current->has_value() && (*current)->id == to->id) {
    ChangeOutcome out;
    out.version_id = to->id;
    out.message = StrCat("version ", to->id, " is already current");
    return out;
  }
  absl::StatusOr<Analysis> a = AnalyzeStored(*to);
  if (!a.ok()) return Failure(a.status());
  ChangeOutcome out = Activate(*a, to->id, "rollback");
  if (out.status.ok()) out.message = StrCat("rolled back to version ", to->id);
  return out;
}

plan::Plan ConfigController::CurrentPlan() { return *Current().plan; }

absl::StatusOr<std::vector<ComponentStatus>> ConfigController::Status(std::string_view filter) {
  std::shared_ptr<const plan::Plan> current = Current().plan;
  const plan::Plan& plan = *current;
  absl::StatusOr<std::map<std::string, dataplane::ComponentObservation>> observed =
      backend_.Observe(plan);
  if (!observed.ok()) return observed.status();
  std::vector<ComponentStatus> out;
  for (const auto& c : plan.components) {
    bool match =
        filter.empty() || c.type == filter || c.name == filter || GlobMatch(filter, c.name);
    if (!match) continue;
    auto it = observed->find(c.name);
    if (it == observed->end()) {
      out.push_back({c.name, c.type, "unknown", c.ip, c.connected_to});
      continue;
    }
    const dataplane::ComponentObservation& o = it->second;
    ComponentStatus status{c.name, c.type, o.status, c.ip, c.connected_to, o.detail};
    if (o.observed) {
      // What the kernel has: the planned address only if it is really there.
      bool present = std::find(o.addresses.begin(), o.addresses.end(), c.ip) != o.addresses.end();
      status.ip_address = present ? c.ip : (o.addresses.empty() ? "" : o.addresses.front());
      status.connected_to = o.connected_to;
    }
    out.push_back(std::move(status));
  }
  return out;
}

// The store serialises its own statements: no wait for a change.
absl::StatusOr<std::vector<store::ConfigVersion>> ConfigController::Versions() {
  return store_.List();
}

absl::StatusOr<store::ConfigVersion> ConfigController::Version(std::string_view id) {
  absl::StatusOr<std::optional<store::ConfigVersion>> v;
  if (id.empty()) {
    v = store_.Current();
    if (v.ok() && !v->has_value()) {
      return absl::NotFoundError("no configuration has been applied yet");
    }
  } else {
    absl::StatusOr<int64_t> n = ParseVersionId(id);
    if (!n.ok()) return n.status();
    v = store_.Get(*n);
    if (v.ok() && !v->has_value()) {
      return absl::NotFoundError(StrCat("no configuration version ", *n));
    }
  }
  if (!v.ok()) return v.status();
  return **v;
}

absl::StatusOr<plan::Plan> ConfigController::PlanOf(std::string_view id) {
  absl::StatusOr<store::ConfigVersion> v = Version(id);
  if (!v.ok()) return v.status();
  absl::StatusOr<Analysis> a = AnalyzeStored(*v);
  if (!a.ok()) return a.status();
  return *a->plan;
}

}  // namespace pharos::core
