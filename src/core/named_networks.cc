#include "core/named_networks.h"

#include <spdlog/spdlog.h>

#include "common/strings.h"
#include "common/text.h"
#include "core/pod_request.h"
#include "model/validator.h"
#include "plan/naming.h"

namespace pharos::core {
namespace {

const model::TopologyNode* FirstVm(const model::Topology& topo) {
  for (const auto& n : topo.nodes) {
    if (n.kind == model::NodeKind::kVm) return &n;
  }
  return nullptr;
}

std::string Described(const store::RuntimeNetwork& n, const std::string& prefix) {
  return StrCat("network ", n.name, " on ", n.vm, ": ", n.subnet,
                n.bridge.empty() ? std::string(", a pod subnet of the vehicle")
                                 : StrCat(", bridge ", prefix, n.bridge));
}

}  // namespace

absl::StatusOr<std::string> NamedNetworks::Setup(const std::string& name, const std::string& mode) {
  if (std::string why = UnsupportedNetworkModeReason(mode); !why.empty()) {
    return absl::InvalidArgumentError(why);
  }
  std::lock_guard changes(changes_mu_);
  if (!model::IsValidName(name)) {
    return absl::InvalidArgumentError(
        StrCat("network_name '", Shown(name),
               "' is not valid: use letters, digits, '-', '_' or '.', starting with a letter or "
               "digit, at most 63"));
  }
  const std::string& prefix = controller_.interface_prefix();
  {
    std::lock_guard lock(table_.mu());
    absl::StatusOr<std::optional<store::RuntimeNetwork>> existing = table_.networks().Get(name);
    if (!existing.ok()) return existing.status();
    if (existing->has_value()) return StrCat(Described(**existing, prefix), " (already set up)");
  }
  model::Topology topo = controller_.CurrentTopology();
  if (topo.nodes.empty()) {
    return absl::FailedPreconditionError(
        "no vehicle configuration is applied yet: a network needs a VM to live on");
  }
  std::shared_ptr<const model::PullpiriSpec> mapping = controller_.CurrentPullpiri();
  const model::PullpiriNetworkSpec* mapped = mapping->Find(name);
  const model::TopologyNode* vm =
      mapped && mapped->vm.present ? topo.FindNode(mapped->vm.value) : FirstVm(topo);
  if (!vm || vm->kind != model::NodeKind::kVm) {
    return absl::FailedPreconditionError("the applied vehicle has no VM for the network");
  }
  store::RuntimeNetwork row;
  row.name = name;
  row.soc = vm->parent;
  row.vm = vm->name;
  row.mode = "bridge";
  row.created_at = FormatIso8601Utc(clock_.Now());
  std::optional<Ipv4Prefix> subnet;
  if (mapped && mapped->subnet.prefix) {
    subnet = mapped->subnet.prefix->Normalized();
  } else if (const model::Segment* first = topo.FirstPodSegmentOf(vm->name)) {
    subnet = first->prefix.Normalized();
  } else {
    return absl::FailedPreconditionError(
        StrCat(vm->name, " has no pod subnet to give network '", name,
               "': map it to one in the configuration's pullpiri.networks (docs/pullpiri.md)"));
  }
  row.subnet = subnet->ToString();
  bool exists = false;
  for (const auto& seg : topo.segments) {
    if (!seg.prefix.Overlaps(*subnet)) continue;
    if (seg.kind == model::SegmentKind::kPodNet && seg.owner == vm->name &&
        seg.prefix.Normalized() == *subnet && seg.network.empty()) {
      exists = true;  // a pod subnet the vehicle has anyway: nothing to build
      continue;
    }
    return absl::FailedPreconditionError(
        StrCat("network '", name, "' would be ", subnet->ToString(), " on ", vm->name,
               ", which overlaps ", model::SegmentKindName(seg.kind), " ", seg.prefix.ToString(),
               " (", seg.owner, seg.network.empty() ? "" : StrCat(", network ", seg.network),
               "); map it to a free range in pullpiri.networks"));
  }
  // Its own bridge is named after it (short enough for the prefix).
  if (!exists) row.bridge = plan::InterfaceName(prefix, name).substr(prefix.size());
  {
    std::lock_guard lock(table_.mu());
    if (absl::Status s = table_.networks().Add(row); !s.ok()) {
      if (absl::IsAlreadyExists(s)) return StrCat(Described(row, prefix), " (already set up)");
      return s;
    }
  }
  absl::StatusOr<dataplane::ApplyResult> applied = controller_.ApplyRuntimePods();
  if (!applied.ok()) {
    {
      std::lock_guard lock(table_.mu());
      (void)table_.networks().Remove(name);
    }
    if (auto back = controller_.ApplyRuntimePods(); !back.ok()) {
      spdlog::error("runtime networks: {}", std::string(back.status().message()));
    }
    return absl::FailedPreconditionError(
        StrCat("network '", name, "' cannot be built: ", applied.status().message()));
  }
  spdlog::info("{} set up", Described(row, prefix));
  return StrCat(Described(row, prefix), " set up");
}

absl::StatusOr<std::string> NamedNetworks::Remove(const std::string& name) {
  std::lock_guard changes(changes_mu_);
  store::RuntimeNetwork row;
  std::vector<std::string> users;
  {
    std::lock_guard lock(table_.mu());
    absl::StatusOr<std::optional<store::RuntimeNetwork>> existing = table_.networks().Get(name);
    if (!existing.ok()) return existing.status();
    if (!existing->has_value()) {
      return absl::NotFoundError(StrCat("no network '", Shown(name), "' was set up"));
    }
    row = **existing;
    absl::StatusOr<std::vector<store::RuntimePod>> pods = table_.rows().List();
    if (!pods.ok()) return pods.status();
    for (const auto& p : *pods) {
      if (p.network == name || (!row.bridge.empty() && p.vm == row.vm && p.subnet == row.subnet)) {
        users.push_back(p.name);
      }
    }
  }
  if (!row.bridge.empty()) {
    // Pods of the vehicle's own YAML may sit on its bridge too.
    model::Topology topo = controller_.CurrentTopology();
    for (const auto& seg : topo.segments) {
      if (seg.network != name) continue;
      for (const auto& m : seg.members) {
        if (std::find(users.begin(), users.end(), m) == users.end()) users.push_back(m);
      }
    }
  }
  if (!users.empty()) {
    std::string list;
    for (size_t i = 0; i < users.size() && i < 8; ++i) StrAppend(&list, i ? ", " : "", users[i]);
    if (users.size() > 8) StrAppend(&list, " and ", users.size() - 8, " more");
    return absl::FailedPreconditionError(
        StrCat("network '", name, "' is in use by pod(s) ", list, "; remove them first"));
  }
  {
    std::lock_guard lock(table_.mu());
    if (absl::Status s = table_.networks().Remove(name); !s.ok()) return s;
  }
  absl::StatusOr<dataplane::ApplyResult> applied = controller_.ApplyRuntimePods();
  if (!applied.ok()) {
    return absl::InternalError(StrCat("network '", name,
                                      "' removed from the plan, but the dataplane did not "
                                      "converge: ",
                                      applied.status().message()));
  }
  spdlog::info("{} removed", Described(row, controller_.interface_prefix()));
  return StrCat(Described(row, controller_.interface_prefix()), " removed");
}

absl::StatusOr<std::vector<store::RuntimeNetwork>> NamedNetworks::List() {
  std::lock_guard lock(table_.mu());
  return table_.networks().List();
}

}  // namespace pharos::core
