#include "dataplane/linux_backend.h"

#include <algorithm>

#include "common/strings.h"
#include "plan/naming.h"

namespace pharos::dataplane {

plan::Plan PlanForHost(const plan::Plan& plan, const std::string& node_ns) {
  plan::Plan out;
  out.interface_prefix = plan.interface_prefix;
  auto keep = [&](auto& into, const auto& from) {
    for (auto o : from) {
      if (o.netns != node_ns) continue;
      o.netns = "";
      into.push_back(std::move(o));
    }
  };
  for (auto n : plan.namespaces) {
    if (n.name != node_ns) continue;
    n.name = "";
    out.namespaces.push_back(std::move(n));
  }
  keep(out.bridges, plan.bridges);
  keep(out.addresses, plan.addresses);
  keep(out.routes, plan.routes);
  keep(out.rules, plan.rules);
  keep(out.nats, plan.nats);
  for (auto c : plan.components) {
    if (c.netns != node_ns) continue;
    c.netns = "";
    out.components.push_back(std::move(c));
  }
  return out;
}

LinuxBackend::LinuxBackend(std::unique_ptr<Kernel> kernel, BackendOptions options)
    : kernel_(std::move(kernel)),
      options_(std::move(options)),
      reconciler_(*kernel_, NamespaceMarker(options_.interface_prefix),
                  options_.mode != DataplaneMode::kHost) {}

std::string LinuxBackend::LocalNamespace(const std::string& planned_ns) const {
  return options_.mode == DataplaneMode::kHost ? "" : planned_ns;
}

std::optional<plan::Plan> LinuxBackend::Localize(const plan::Plan& desired) const {
  if (options_.mode != DataplaneMode::kHost) return std::nullopt;
  return PlanForHost(desired, plan::NamespaceName(options_.interface_prefix, options_.node));
}

namespace {

// Whether `ns` must be observed for its links to children (see
// NamespaceDigest): a link that changed, or one that went while its peer
// namespace stays or was a runtime's, needs this side. A link that came is
// made from its peer's side; one whose peer namespace went is deleted by
// name (added to `unlink`).
bool ChildLinksNeedParent(const std::string& ns, const NamespaceDigest& now,
                          const NamespaceDigest& before,
                          const std::function<bool(const std::string&)>& exists_now,
                          const std::map<std::string, NamespaceDigest>& all_before,
                          const std::map<std::string, std::string>& component_of_ns,
                          std::vector<LinkRef>& unlink) {
  for (const auto& [name, link] : now.children) {
    auto was = before.children.find(name);
    if (was != before.children.end() && !(was->second == link)) return true;
  }
  std::vector<LinkRef> gone;
  for (const auto& [name, link] : before.children) {
    if (now.children.count(name)) continue;
    if (exists_now(link.peer_netns)) return true;
    auto peer = all_before.find(link.peer_netns);
    if (peer == all_before.end() || peer->second.attached) return true;
    auto component = component_of_ns.find(link.peer_netns);
    gone.push_back({ns, name, component != component_of_ns.end() ? component->second : ns});
  }
  unlink.insert(unlink.end(), gone.begin(), gone.end());
  return false;
}

}  // namespace

std::set<std::string> LinuxBackend::ScopeFor(const std::map<std::string, NamespaceDigest>& now,
                                             std::vector<LinkRef>& unlink) {
  std::set<std::string> scope = dirty_;
  if (!converged_once_) {
    // First apply since start: everything desired, and every namespace of
    // ours left over from before (the reconciler checks the marker).
    for (const auto& [ns, slice] : now) scope.insert(ns);
    if (options_.mode != DataplaneMode::kHost) {
      if (auto listed = kernel_->ListNamespaces(); listed.ok()) {
        for (const auto& ns : *listed) {
          if (ns.rfind(options_.interface_prefix, 0) == 0) scope.insert(ns);
        }
      }
    }
    return scope;
  }
  auto exists_now = [&now](const std::string& ns) { return now.count(ns) > 0; };
  for (const auto& [ns, digest] : now) {
    if (NeedsConverging(ns, &digest, exists_now, unlink)) scope.insert(ns);
  }
  for (const auto& [ns, slice] : converged_digests_) {
    if (!now.count(ns)) scope.insert(ns);
  }
  // A namespace in scope anyway (dirty) is converged as a whole.
  std::erase_if(unlink, [&](const LinkRef& l) { return scope.count(l.netns) > 0; });
  return scope;
}

bool LinuxBackend::NeedsConverging(const std::string& ns, const NamespaceDigest* now,
                                   const std::function<bool(const std::string&)>& exists_now,
                                   std::vector<LinkRef>& unlink) const {
  auto before = converged_digests_.find(ns);
  if (!now || before == converged_digests_.end()) return true;  // comes or goes
  return before->second.own != now->own ||
         ChildLinksNeedParent(ns, *now, before->second, exists_now, converged_digests_,
                              component_of_ns_, unlink);
}

absl::StatusOr<ApplyResult> LinuxBackend::Apply(const plan::Plan& desired) {
  std::lock_guard lock(mu_);
  return ApplyLocked(desired);
}

absl::StatusOr<ApplyResult> LinuxBackend::ApplyLocked(const plan::Plan& desired) {
  std::optional<plan::Plan> host_plan = Localize(desired);
  const plan::Plan& local = host_plan ? *host_plan : desired;
  if (options_.mode == DataplaneMode::kHost && local.namespaces.empty() && !desired.namespaces.empty()) {
    return absl::InvalidArgumentError(StrCat(
        "host mode: node '", options_.node, "' (--node) is not in the configuration"));
  }
  std::map<std::string, NamespaceDigest> digests = DigestByNamespace(local);
  std::vector<LinkRef> unlink;
  std::set<std::string> scope = ScopeFor(digests, unlink);
  return ConvergeScope(local, std::move(scope), std::move(unlink), [&] {
    converged_digests_ = std::move(digests);
    // Names are kept only for what may still be removed later.
    std::erase_if(component_of_ns_,
                  [&](const auto& entry) { return !converged_digests_.count(entry.first); });
  });
}

absl::StatusOr<ApplyResult> LinuxBackend::ApplyChange(const plan::Plan& desired,
                                                      const plan::ChangedParts& touched) {
  std::lock_guard lock(mu_);
  if (!converged_once_ || options_.mode == DataplaneMode::kHost) return ApplyLocked(desired);
  const std::set<std::string>& namespaces = touched.namespaces;
  std::map<std::string, NamespaceDigest> fresh = DigestByNamespace(desired, &namespaces);
  auto exists_now = [&](const std::string& ns) {
    return namespaces.count(ns) ? fresh.count(ns) > 0 : converged_digests_.count(ns) > 0;
  };
  std::vector<LinkRef> unlink;
  std::set<std::string> scope = dirty_;
  for (const auto& ns : namespaces) {
    auto now = fresh.find(ns);
    if (now == fresh.end() && !converged_digests_.count(ns)) continue;  // neither before nor now
    if (NeedsConverging(ns, now == fresh.end() ? nullptr : &now->second, exists_now, unlink)) {
      scope.insert(ns);
    }
  }
  // A parent's links to its children, one by one (its other objects did not
  // change): as ChildLinksNeedParent decides for a whole namespace.
  std::map<std::pair<std::string, std::string>, ChildLinkDigest> links_now;
  if (!touched.child_links.empty()) {
    for (const auto& v : desired.veths) {
      if (touched.child_links.count({v.netns, v.name})) {
        links_now[{v.netns, v.name}] = ChildLinkDigestOf(v);
      }
    }
  }
  for (const auto& key : touched.child_links) {
    const auto& [ns, name] = key;
    auto parent = converged_digests_.find(ns);
    const ChildLinkDigest* before = nullptr;
    if (parent != converged_digests_.end()) {
      auto it = parent->second.children.find(name);
      if (it != parent->second.children.end()) before = &it->second;
    }
    auto now = links_now.find(key);
    if (now != links_now.end()) {
      if (before && !(*before == now->second)) scope.insert(ns);  // changed: this side
      continue;                                                   // came: the child's side
    }
    if (!before) continue;
    auto peer = converged_digests_.find(before->peer_netns);
    if (exists_now(before->peer_netns) || peer == converged_digests_.end() ||
        peer->second.attached) {
      scope.insert(ns);
      continue;
    }
    auto component = component_of_ns_.find(before->peer_netns);
    unlink.push_back({ns, name, component != component_of_ns_.end() ? component->second : ns});
  }
  std::erase_if(unlink, [&](const LinkRef& l) { return scope.count(l.netns) > 0; });
  auto record = [&] {
    for (const auto& ns : namespaces) {
      auto now = fresh.find(ns);
      if (now != fresh.end()) {
        converged_digests_[ns] = std::move(now->second);  // children included
      } else {
        converged_digests_.erase(ns);
        component_of_ns_.erase(ns);
      }
    }
    for (const auto& key : touched.child_links) {
      auto parent = converged_digests_.find(key.first);
      if (parent == converged_digests_.end()) continue;
      auto now = links_now.find(key);
      if (now != links_now.end()) {
        parent->second.children[key.second] = now->second;
      } else {
        parent->second.children.erase(key.second);
      }
    }
  };
  return ConvergeScope(desired, std::move(scope), std::move(unlink), record);
}

absl::StatusOr<ApplyResult> LinuxBackend::ConvergeScope(const plan::Plan& local,
                                                        std::set<std::string> scope,
                                                        std::vector<LinkRef> unlink,
                                                        const std::function<void()>& record) {
  std::map<std::string, NamespaceSlice> slices = SliceByNamespace(local, &scope);
  for (const auto& [ns, slice] : slices) {
    if (slice.ns) component_of_ns_[ns] = slice.ns->component;
  }
  absl::StatusOr<ReconcileReport> report =
      reconciler_.Converge(slices, scope, component_of_ns_, unlink);
  if (!report.ok()) {
    // What was half done is unknown: observe these again next time.
    dirty_.insert(scope.begin(), scope.end());
    return report.status();
  }
  for (const auto& ns : scope) dirty_.erase(ns);
  converged_once_ = true;
  record();
  converged_.Notify();
  return ApplyResult{std::move(report->changed_components), std::move(report->actions),
                     std::move(report->actions_by_component)};
}

absl::Status LinuxBackend::Teardown() {
  absl::StatusOr<ApplyResult> r = Apply(plan::Plan{});
  return r.status();
}

void LinuxBackend::MarkDirty(const std::set<std::string>& namespaces) {
  std::lock_guard lock(mu_);
  dirty_.insert(namespaces.begin(), namespaces.end());
}

std::set<std::string> LinuxBackend::ConvergedNamespaces() const {
  std::lock_guard lock(mu_);
  std::set<std::string> out;
  for (const auto& [ns, digest] : converged_digests_) out.insert(ns);
  return out;
}

namespace {

bool Usable(const netlink::Link* link, bool need_carrier) {
  return link && link->admin_up && (!need_carrier || link->carrier);
}

}  // namespace

absl::StatusOr<std::map<std::string, ComponentObservation>> LinuxBackend::Observe(
    const plan::Plan& desired) {
  std::optional<plan::Plan> host_plan = Localize(desired);
  const plan::Plan& local = host_plan ? *host_plan : desired;
  std::map<std::string, NamespaceSlice> slices = SliceByNamespace(local);
  std::map<std::string, std::optional<ObservedNamespace>> seen;
  auto observed = [&](const std::string& ns) -> const ObservedNamespace* {
    auto it = seen.find(ns);
    if (it == seen.end()) {
      std::optional<ObservedNamespace> o;
      if (kernel_->NamespaceExists(ns)) {
        if (auto r = kernel_->Observe(ns); r.ok()) o = std::move(*r);
      }
      it = seen.emplace(ns, std::move(o)).first;
    }
    return it->second ? &*it->second : nullptr;
  };
  // Bridge component -> (namespace, name); node -> its uplink end.
  std::map<std::string, std::pair<std::string, std::string>> bridge_of;
  for (const auto& b : local.bridges) bridge_of[b.component] = {b.netns, b.name};
  std::map<std::string, const plan::VethObject*> uplink_of;
  for (const auto& v : local.veths) uplink_of[v.component] = &v;

  std::map<std::string, ComponentObservation> out;
  for (const auto& c : local.components) {
    ComponentObservation o;
    o.observed = true;
    const ObservedNamespace* obs = observed(c.netns);
    if (!obs) {
      o.status = "down";
      o.detail = StrCat("network namespace ", c.netns, " does not exist");
      out[c.name] = std::move(o);
      continue;
    }
    std::vector<std::string> problems;
    auto check_link = [&](const ObservedNamespace* where, const std::string& name,
                          bool carrier) {
      const netlink::Link* l = where ? where->FindLink(name) : nullptr;
      if (!l) {
        problems.push_back(StrCat(name, " missing"));
      } else if (!Usable(l, carrier)) {
        problems.push_back(StrCat(name, l->admin_up ? " has no carrier" : " is down"));
      }
      return Usable(l, carrier);
    };
    if (c.type == "bridge") {
      auto [ns, name] = bridge_of[c.name];
      check_link(obs, name, false);
      for (const auto& member : c.connected_to) {
        // Members hang on this bridge by their uplink veth; the owner is
        // the namespace the bridge lives in.
        auto up = uplink_of.find(member);
        bool is_member = up != uplink_of.end() && up->second->netns == ns &&
                         up->second->master == name;
        if (!is_member || check_link(obs, up->second->name, true)) {
          o.connected_to.push_back(member);
        }
      }
    } else {
      const NamespaceSlice& slice = slices[c.netns];
      for (const auto& b : slice.bridges) check_link(obs, b.name, false);
      for (const auto& v : slice.peer_veths) check_link(obs, v.peer, true);
      auto up = uplink_of.find(c.name);
      for (const auto& n : c.connected_to) {
        auto b = bridge_of.find(n);
        if (b == bridge_of.end()) continue;
        const ObservedNamespace* owner = observed(b->second.first);
        if (!owner || !owner->FindLink(b->second.second)) continue;
        bool is_uplink = up != uplink_of.end() && up->second->netns == b->second.first &&
                         up->second->master == b->second.second;
        if (is_uplink && !Usable(obs->FindLink(up->second->peer), true)) continue;
        o.connected_to.push_back(n);
      }
      for (const auto& n : c.connected_to) {
        if (bridge_of.count(n) &&
            std::find(o.connected_to.begin(), o.connected_to.end(), n) == o.connected_to.end()) {
          problems.push_back(StrCat("not connected to ", n));
        }
      }
    }
    for (const auto& a : obs->addresses) {
      const netlink::Link* l = obs->FindLink(a.ifindex);
      if (!l || l->name == "lo") continue;
      if (c.type == "bridge" && l->name != bridge_of[c.name].second) continue;
      o.addresses.push_back(a.address.ToString());
    }
    if (!c.ip.empty() &&
        std::find(o.addresses.begin(), o.addresses.end(), c.ip) == o.addresses.end()) {
      problems.push_back(StrCat("address ", c.ip, " missing"));
    }
    if (problems.empty()) {
      o.status = "up";
    } else {
      o.status = o.connected_to.empty() ? "down" : "degraded";
      o.detail = StrJoin(problems, "; ");
    }
    out[c.name] = std::move(o);
  }
  return out;
}

}  // namespace pharos::dataplane
