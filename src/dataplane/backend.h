// The dataplane backend interface: converge the machine to a plan, and say
// what is really there. Implementations: PlanBackend (records, touches
// nothing; the `plan` mode) and, from the dataplane issue on, the Linux
// backend (`emulated` and `host` modes) talking netlink and nftables.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "plan/plan.h"

namespace pharos::dataplane {

// plan: compute, touch nothing; emulated: the whole vehicle as namespaces
// on this machine (the twin); host: only what the node named --node owns.
enum class DataplaneMode { kPlan, kEmulated, kHost };
std::string_view ModeName(DataplaneMode mode);
std::optional<DataplaneMode> ParseDataplaneMode(std::string_view text);

class Kernel;

// Observed state of one component ("up", "down", "degraded", "planned").
struct ComponentObservation {
  std::string status;
  std::string detail;
  // From the kernel (empty in plan mode): the addresses really configured,
  // and the neighbours whose links really exist.
  std::vector<std::string> addresses;
  std::vector<std::string> connected_to;
  bool observed = false;  // false: the fields above are not known
};

// What an Apply really changed.
struct ApplyResult {
  std::set<std::string> changed_components;
  std::vector<std::string> actions;  // one line per kernel change
  std::map<std::string, std::vector<std::string>> actions_by_component;
};

class DataplaneBackend {
 public:
  virtual ~DataplaneBackend() = default;

  // "plan", "emulated" or "host".
  virtual DataplaneMode mode() const = 0;

  // Converges the dataplane to `desired`. Must be idempotent: applying the
  // same plan twice changes nothing the second time.
  virtual absl::StatusOr<ApplyResult> Apply(const plan::Plan& desired) = 0;
  // The same, told that `desired` differs from the plan of the last
  // successful Apply only in the `touched` parts (a runtime pod came or
  // went): a backend may look at those alone, so the cost does not grow
  // with the vehicle. By default, Apply.
  virtual absl::StatusOr<ApplyResult> ApplyChange(const plan::Plan& desired,
                                                  const plan::ChangedParts& touched) {
    (void)touched;
    return Apply(desired);
  }

  // The observed status of each component of `desired`, by component name.
  virtual absl::StatusOr<std::map<std::string, ComponentObservation>> Observe(
      const plan::Plan& desired) = 0;

  // Removes everything this backend created.
  virtual absl::Status Teardown() = 0;

  // The kernel a Linux backend works on (diagnostics); nullptr in plan mode.
  virtual Kernel* kernel() { return nullptr; }
  // Where a planned namespace is on this machine ("" = the host's own).
  virtual std::string LocalNamespace(const std::string& planned_ns) const { return planned_ns; }
};

struct BackendOptions {
  DataplaneMode mode = DataplaneMode::kPlan;
  std::string node;           // host mode: the node this machine is
  std::string interface_prefix = "ph-";
};

// The backend for `options.mode`, or an error naming what is missing.
absl::StatusOr<std::unique_ptr<DataplaneBackend>> CreateBackend(
    const BackendOptions& options);

}  // namespace pharos::dataplane
