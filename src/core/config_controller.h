// The configuration use cases behind PharosService: validate, apply,
// update, roll back, and what is current. Owns the order of operations
// that makes them safe: validate fully, converge the dataplane, then make
// the version durable; on start, converge the dataplane to the stored
// current version. Knows nothing of gRPC.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/observers.h"
#include "core/config_analysis.h"
#include "core/network_events.h"
#include "core/runtime_pod_overlay.h"
#include "dataplane/backend.h"
#include "model/yaml_limits.h"
#include "plan/plan_diff.h"
#include "store/config_store.h"

namespace pharos::core {

struct ControllerOptions {
  std::string interface_prefix = "ph-";
  // Limits on what one document may ask for (docs/configuration.md).
  size_t max_pods = 8192;
  size_t max_config_bytes = model::kMaxConfigBytes;
};

// Asked between the phases of a long change (after the analysis, before
// the dataplane is touched): true when the caller has gone (cancelled, or
// its deadline passed), so the change is not started for nobody.
using Abandoned = std::function<bool()>;

// The result of a mutating call. `status` is the one error vocabulary:
// InvalidArgument (the YAML), NotFound (a version), FailedPrecondition
// (state forbids it), Unavailable/Internal (dataplane or store).
struct ChangeOutcome {
  absl::Status status;
  std::string message;
  model::Findings findings;
  std::optional<int64_t> version_id;             // the current version afterwards
  bool changed = false;                          // a different version became current
  bool created = false;                          // a new version was stored
  std::vector<std::string> affected_components;  // from the plan diff
};

struct ComponentStatus {
  std::string name;
  std::string type;
  std::string status;
  std::string ip_address;
  std::vector<std::string> connected_to;
  std::string detail{};  // why it is not "up"
};

// A pod requested at run time, parsed, with the VM it goes under.
// What is applied after a convergence (apply, update, rollback, runtime
// pods, recovery, repair, teardown). Immutable: every observer shares it.
struct Converged {
  uint64_t generation = 0;  // grows with every convergence
  std::shared_ptr<const model::Topology> topology;
  std::shared_ptr<const model::SecurityPolicySpec> policy;  // the configuration's section
};

class ConfigController {
 public:
  // `events` (optional) records what happens to the network outside of
  // configuration changes (and tells Piccolo). `runtime_pods` (optional):
  // the pods requested at run time, merged into every plan.
  ConfigController(store::ConfigStore& store, dataplane::DataplaneBackend& backend,
                   ControllerOptions options, NetworkEventRecorder* events = nullptr,
                   RuntimePodOverlay* runtime_pods = nullptr);

  // Converges the dataplane to the stored current version (on start).
  absl::Status Recover();
  // Converges again after the dataplane reported drift; records what had
  // to be repaired. Returns the number of kernel changes made.
  absl::StatusOr<size_t> Repair();
  // Removes everything from the dataplane; no version is current after.
  ChangeOutcome Teardown();

  // Told after every convergence, once the controller's lock is released
  // (an observer may be slow, e.g. an nft transaction per VM, and may call
  // the controller's read methods), one snapshot at a time and in order;
  // several quick convergences may reach it as only the newest. The call
  // that converged returns after its observers did: the security
  // controller enforces the policy before a change is reported done.
  using ConvergedObservers = ObserverList<const Converged&>;
  ConvergedObservers& converged() { return converged_; }
  // Re-plans the current configuration with the runtime pods as they are
  // now and converges the dataplane to it.
  absl::StatusOr<dataplane::ApplyResult> ApplyRuntimePods();
  // The topology of what is applied (configuration + runtime pods).
  model::Topology CurrentTopology();
  // The same without a copy (what readers on a hot path take).
  std::shared_ptr<const model::Topology> TopologySnapshot() const;
  // The same for the configuration alone, without runtime pods: replaced
  // only when the configuration changes (a version, a rollback, teardown).
  std::shared_ptr<const model::Topology> DeclaredTopologySnapshot() const;
  // The current configuration's `pullpiri:` mapping (empty when none).
  std::shared_ptr<const model::PullpiriSpec> CurrentPullpiri() const;
  // The component whose address `a` is (its own, or a gateway it holds),
  // without copying the topology (the registry asks per registration).
  std::optional<std::string> OwnerOf(Ipv4Address a);

  // Validation, and the analysis part of Apply and Update, run without the
  // change lock: a large document never makes status, versions or pod
  // requests wait for it.
  Analysis Validate(std::string_view yaml);
  // Apply a complete configuration. `source` is recorded with the version
  // ("apply", "configure", "update"). `dry_run` validates and diffs only.
  ChangeOutcome Apply(std::string_view yaml, std::string_view source, bool dry_run,
                      const Abandoned& abandoned = nullptr);
  ChangeOutcome Update(std::string_view yaml, bool incremental,
                       const Abandoned& abandoned = nullptr);
  const std::string& interface_prefix() const { return options_.interface_prefix; }
  size_t max_pods() const { return options_.max_pods; }
  // `target` empty: the newest version older than the current one.
  ChangeOutcome Rollback(std::string_view target);

  // Components of the current configuration whose type equals `filter`,
  // or whose name equals or glob-matches it; all when `filter` is empty.
  absl::StatusOr<std::vector<ComponentStatus>> Status(std::string_view filter);

  absl::StatusOr<std::vector<store::ConfigVersion>> Versions();
  // `id` empty: the current version.
  absl::StatusOr<store::ConfigVersion> Version(std::string_view id);
  absl::StatusOr<plan::Plan> PlanOf(std::string_view id);
  // The plan of the current version (empty when there is none).
  plan::Plan CurrentPlan();

 private:
  template <typename Work>
  auto Converging(Work&& work);
  absl::Status RecoverLocked();
  absl::StatusOr<size_t> RepairLocked();
  ChangeOutcome TeardownLocked();
  absl::StatusOr<dataplane::ApplyResult> ApplyRuntimePodsLocked();
  // What is current, as readers see it without the change lock.
  struct Snapshot {
    uint64_t generation = 0;
    std::shared_ptr<const plan::Plan> plan = std::make_shared<const plan::Plan>();
    std::shared_ptr<const model::Topology> topology = std::make_shared<const model::Topology>();
    std::shared_ptr<const model::Topology> declared_topology =
        std::make_shared<const model::Topology>();
    std::shared_ptr<const std::string> yaml = std::make_shared<const std::string>();
    std::shared_ptr<const model::PullpiriSpec> pullpiri =
        std::make_shared<const model::PullpiriSpec>();
  };
  Snapshot Current() const;
  // A document analysed against a snapshot, ready to be committed.
  struct Prepared {
    uint64_t generation = 0;               // of the snapshot it was analysed against
    std::optional<ChangeOutcome> refused;  // the text itself is refused
    Analysis analysis;
    model::Findings merge_findings;  // an incremental update's own
    bool merged = false;
  };
  AnalysisOptions AnalysisFor(const model::Topology* reference,
                              const model::PlannedAddresses* keep) const;
  Prepared PrepareApply(std::string_view yaml, const Snapshot& base) const;
  Prepared PrepareUpdate(std::string_view yaml, const Snapshot& base) const;
  // The outcome when `prepared` must not be applied (invalid, no vehicle).
  static std::optional<ChangeOutcome> Rejection(const Prepared& prepared);
  // Under mu_: analysed again when a convergence happened since `prepared`
  // was made (`redo`), then diffed, applied and stored.
  ChangeOutcome CommitLocked(Prepared prepared, const std::function<Prepared()>& redo,
                             std::string_view source, bool dry_run, const Abandoned& abandoned);
  ChangeOutcome ApplyAnalyzedLocked(Analysis a, std::string_view source, bool dry_run);
  ChangeOutcome RollbackLocked(std::string_view target);
  ChangeOutcome Activate(const Analysis& analysis, std::optional<int64_t> existing_id,
                         std::string_view source);
  absl::StatusOr<Analysis> AnalyzeStored(const store::ConfigVersion& version);
  // The pods and networks requested at run time (none without an overlay).
  struct RuntimeParts {
    std::vector<RuntimePodSpec> pods;
    std::vector<RuntimeNetworkSpec> networks;
  };
  RuntimeParts ReadOverlay();
  // Which runtime pods and networks a plan holds.
  struct AppliedRuntime {
    AppliedRuntimePods pods;  // by name, their fingerprints
    std::string networks;     // fingerprint of the networks
  };
  static AppliedRuntime AppliedRuntimeOf(const RuntimeParts& parts);
  // `declarative` with the runtime pods merged into its plan and topology
  // (hash, canonical YAML and findings stay those of the configuration):
  // planned in full.
  absl::StatusOr<Analysis> WithRuntimePods(const Analysis& declarative, RuntimeParts parts);
  // The runtime pods' change planned incrementally on the applied plan;
  // nullopt when that change needs the full plan (runtime_pod_planner.h).
  // `wanted`: AppliedRuntimeOf(parts), computed once by the caller.
  std::optional<absl::StatusOr<dataplane::ApplyResult>> ApplyRuntimePodsIncrementally(
      const RuntimeParts& parts, const AppliedRuntime& wanted);
  absl::StatusOr<int64_t> ParseVersionId(std::string_view id);

  std::mutex mu_;  // serialises changes
  void RecordEvents(const dataplane::ApplyResult& applied, const std::string& kind);

  store::ConfigStore& store_;
  dataplane::DataplaneBackend& backend_;
  NetworkEventRecorder* events_;
  RuntimePodOverlay* overlay_;
  // Stages what is now applied for the observers and the readers' snapshot
  // (mu_ held); Publish, with mu_ released, delivers it.
  void TopologyChanged();
  mutable std::mutex snapshot_mu_;
  Snapshot snapshot_;  // snapshot_mu_
  void Publish();
  ConvergedObservers converged_;
  uint64_t generation_ = 0;          // mu_
  std::optional<Converged> staged_;  // mu_: not yet delivered
  std::mutex publish_mu_;            // one delivery at a time, in generation order
  ControllerOptions options_;
  // Plan and topology of the current version (empty if none), shared with
  // the snapshot: replaced, never changed in place.
  std::shared_ptr<const plan::Plan> current_plan_ = std::make_shared<const plan::Plan>();
  // OwnerOf's index, of the topology it was built from.
  std::mutex owners_mu_;
  std::shared_ptr<const model::Topology> owners_of_;
  std::unordered_map<uint32_t, std::string> owners_;
  std::shared_ptr<const model::Topology> declared_topology_ =
      std::make_shared<const model::Topology>();  // of current_declarative_
  std::shared_ptr<const model::Topology> current_topology_ =
      std::make_shared<const model::Topology>();
  model::SecurityPolicySpec current_policy_;  // `security_policy:` of the current version
  model::PullpiriSpec current_pullpiri_;      // its `pullpiri:` mapping
  std::string current_yaml_;
  // The analysis of the current configuration alone (without runtime
  // pods): what each runtime-pod change merges the pods into.
  std::optional<Analysis> current_declarative_;
  AppliedRuntime applied_runtime_;  // what current_plan_ holds of them
};

}  // namespace pharos::core
