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

#include "dataplane/backend.h"
#include "dataplane/kernel.h"
#include "dataplane/reconciler.h"

namespace pharos::dataplane {

class LinuxBackend : public DataplaneBackend {
 public:
  LinuxBackend(std::unique_ptr<Kernel> kernel, BackendOptions options);

  std::string_view mode() const override { return options_.mode; }
  absl::StatusOr<ApplyResult> Apply(const plan::Plan& desired) override;
  absl::StatusOr<std::map<std::string, ComponentObservation>> Observe(
      const plan::Plan& desired) override;
  absl::Status Teardown() override;

  // The monitor saw something change in these namespaces: the next Apply
  // observes them again even if the plan did not change there.
  void MarkDirty(const std::set<std::string>& namespaces);
  // Namespaces of the last converged plan (what the monitor watches).
  std::set<std::string> ConvergedNamespaces() const;
  // Called after every successful Apply (the monitor re-syncs its watches).
  void SetConvergedListener(std::function<void()> listener);

  Kernel* kernel() override { return kernel_.get(); }
  std::string LocalNamespace(const std::string& planned_ns) const override;

 private:
  plan::Plan Localize(const plan::Plan& desired) const;
  std::set<std::string> ScopeFor(const std::map<std::string, NamespaceSlice>& now);

  std::unique_ptr<Kernel> kernel_;
  BackendOptions options_;
  Reconciler reconciler_;
  mutable std::mutex mu_;
  std::optional<plan::Plan> converged_;  // localized plan last converged
  std::map<std::string, NamespaceSlice> converged_slices_;
  std::map<std::string, std::string> component_of_ns_;  // every namespace ever converged
  std::set<std::string> dirty_;
  std::function<void()> converged_listener_;
};

// Only the objects of `node` (namespace `node_ns`), moved to the host
// namespace; veths are left out: on a real node the links to other nodes
// are physical and exist already.
plan::Plan PlanForHost(const plan::Plan& plan, const std::string& node_ns);

}  // namespace pharos::dataplane
