// The Linux dataplane (`emulated` and `host` modes): converges the kernel
// to a plan with the Reconciler, remembers what it converged so the next
// change only observes the namespaces whose objects differ, and reports
// what the kernel really has. `host` mode is the same code on a plan cut
// down to the objects of one node, placed in the host's namespace.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>

#include "common/observers.h"
#include "dataplane/backend.h"
#include "dataplane/kernel.h"
#include "dataplane/reconciler.h"

namespace pharos::dataplane {

class LinuxBackend : public DataplaneBackend {
 public:
  LinuxBackend(std::unique_ptr<Kernel> kernel, BackendOptions options);

  DataplaneMode mode() const override { return options_.mode; }
  absl::StatusOr<ApplyResult> Apply(const plan::Plan& desired) override;
  // Digests and scope for the touched parts only (emulated mode, after a
  // first Apply; otherwise Apply).
  absl::StatusOr<ApplyResult> ApplyChange(const plan::Plan& desired,
                                          const plan::ChangedParts& touched) override;
  absl::StatusOr<std::map<std::string, ComponentObservation>> Observe(
      const plan::Plan& desired) override;
  absl::Status Teardown() override;

  // The monitor saw something change in these namespaces: the next Apply
  // observes them again even if the plan did not change there.
  void MarkDirty(const std::set<std::string>& namespaces);
  // Namespaces of the last converged plan (what the monitor watches).
  std::set<std::string> ConvergedNamespaces() const;
  // Told after every successful Apply (the monitor re-syncs its watches).
  ObserverList<>& converged() { return converged_; }

  Kernel* kernel() override { return kernel_.get(); }
  std::string LocalNamespace(const std::string& planned_ns) const override;

 private:
  absl::StatusOr<ApplyResult> ApplyLocked(const plan::Plan& desired);  // mu_ held
  // Host mode: the plan cut down to this node; emulated: nullopt (use the
  // plan as it is, no copy).
  std::optional<plan::Plan> Localize(const plan::Plan& desired) const;
  // The namespaces to observe and converge, and the links of namespaces
  // out of scope to delete by name.
  std::set<std::string> ScopeFor(const std::map<std::string, NamespaceDigest>& now,
                                 std::vector<LinkRef>& unlink);
  // Whether `ns` must be in scope, given its digest now (nullptr: gone)
  // and whether a namespace exists in the new plan.
  bool NeedsConverging(const std::string& ns, const NamespaceDigest* now,
                       const std::function<bool(const std::string&)>& exists_now,
                       std::vector<LinkRef>& unlink) const;
  // Converges `scope`; on success `record` notes what converged.
  absl::StatusOr<ApplyResult> ConvergeScope(const plan::Plan& local, std::set<std::string> scope,
                                            std::vector<LinkRef> unlink,
                                            const std::function<void()>& record);

  std::unique_ptr<Kernel> kernel_;
  BackendOptions options_;
  Reconciler reconciler_;
  mutable std::mutex mu_;
  // What the last successful Apply converged to: a digest per namespace
  // (so the next Apply can tell which namespaces changed without keeping
  // or re-slicing the whole plan).
  bool converged_once_ = false;
  std::map<std::string, NamespaceDigest> converged_digests_;
  std::map<std::string, std::string> component_of_ns_;  // namespaces converged, by component
  std::set<std::string> dirty_;
  ObserverList<> converged_;
};

// Only the objects of `node` (namespace `node_ns`), moved to the host
// namespace; veths are left out: on a real node the links to other nodes
// are physical and exist already.
plan::Plan PlanForHost(const plan::Plan& plan, const std::string& node_ns);

// The netlink backend for the emulated or host mode; PermissionDenied
// without root, InvalidArgument for host mode without a node.
absl::StatusOr<std::unique_ptr<LinuxBackend>> CreateLinuxBackend(const BackendOptions& options);

}  // namespace pharos::dataplane
