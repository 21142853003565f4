#include "core/pod_manager.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <set>

#include "common/strings.h"
#include "common/text.h"
#include "core/pod_request.h"
#include "core/runtime_pod_rows.h"
#include "netlink/netns.h"

namespace pharos::core {
namespace {

constexpr size_t kMaxUncollectedResults = 1024;

// A request's notes (what a front end changed or ignored) as stored and
// as every completion's details end: one line, ';' between notes.
std::string JoinNotes(const std::vector<std::string>& notes) {
  std::string out;
  for (const auto& n : notes) StrAppend(&out, out.empty() ? "" : ";", n);
  return out;
}

std::string WithNotes(std::string details, const store::RuntimePod& row) {
  return row.notes.empty() ? details : StrCat(details, " (", row.notes, ")");
}

}  // namespace

PodManager::PodManager(ConfigController& controller, RuntimePodTable& table, CompletionSink& sink,
                       const Clock& clock, std::chrono::milliseconds setup_timeout,
                       NetnsJudge netns_judge)
    : controller_(controller),
      mu_(table.mu()),
      pods_(table.rows()),
      held_(table.held()),
      leases_(table.rows()),
      sink_(sink),
      clock_(clock),
      setup_timeout_(setup_timeout),
      netns_judge_(std::move(netns_judge)) {}

PodManager::~PodManager() { Stop(); }

void PodManager::Start() {
  UpgradeStoredRows();
  CollectGarbage();
  work_ = true;  // whatever was pending before a restart
  thread_ = std::thread([this] { Run(); });
}

void PodManager::UpgradeStoredRows() {
  std::lock_guard lock(mu_);
  absl::StatusOr<std::vector<store::RuntimePod>> rows = pods_.List();
  if (!rows.ok()) return;
  for (store::RuntimePod r : *rows) {
    if (r.legacy_spec_yaml.empty()) continue;
    std::optional<model::PodSpec> pod = PodSpecOf(r);
    if (!pod) continue;  // logged; kept as it is, for a person to look at
    r.spec = StoredSpecOf(*pod);
    r.legacy_spec_yaml.clear();
    if (absl::Status s = pods_.Put(r); !s.ok()) {
      spdlog::error("runtime pod {}: cannot rewrite its row as typed: {}", r.name,
                    std::string(s.message()));
    }
  }
}

void PodManager::CollectGarbage() {
  model::Topology topo = controller_.CurrentTopology();
  if (topo.nodes.empty()) return;  // nothing applied (or restored): nothing to judge by
  bool changed = false;
  {
    std::lock_guard lock(mu_);
    absl::StatusOr<std::vector<store::RuntimePod>> rows = pods_.List();
    if (!rows.ok()) return;
    for (const auto& r : *rows) {
      const model::TopologyNode* vm = topo.FindNode(r.vm);
      std::string netns = r.spec.netns.value_or("");
      std::string why;
      if (!vm || vm->kind != model::NodeKind::kVm) {
        why = StrCat("its VM ", r.vm, " is no longer in the configuration");
      } else if (!netns.empty() && !netlink::IsNetworkNamespacePath(netns)) {
        why = StrCat("its runtime's namespace ", netns, " is gone");
      }
      if (why.empty()) {
        if (!topo.FindNode(r.name)) changed = true;  // left out on start: bring it back
        continue;
      }
      spdlog::warn("released pod {} ({} on {}): {}", r.name, r.ip, r.subnet, why);
      if (pods_.Remove(r.name).ok()) leases_.Release(r.subnet, r.ip);
      changed = true;
    }
  }
  if (!changed) return;
  if (auto applied = controller_.ApplyRuntimePods(); !applied.ok()) {
    spdlog::error("runtime pods after garbage collection: {}",
                  std::string(applied.status().message()));
  }
}

void PodManager::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

PodRequestAnswer PodManager::Request(const std::string& node_yaml, const std::string& pod_name,
                                     const std::string& network_yaml,
                                     const PodRequestOptions& options) {
  absl::StatusOr<PodRequest> request = ReadPodRequestText(node_yaml, pod_name, network_yaml);
  if (!request.ok()) return PodRequestAnswer::Refused(request.status());
  return Request(std::move(*request), options);
}

PodRequestAnswer PodManager::Request(PodRequest request, const PodRequestOptions& options) {
  const auto& refuse = PodRequestAnswer::Refused;
  std::shared_ptr<const model::Topology> applied = controller_.TopologySnapshot();
  const model::Topology& topo = *applied;
  std::string pod_name = request.name;
  absl::StatusOr<PodRequestIntent> intent = CheckPodRequest(
      std::move(request), topo, *controller_.CurrentPullpiri(), controller_.interface_prefix(),
      [&](const std::string& path) { return NetnsRefusal(path, pod_name); });
  if (!intent.ok()) return refuse(intent.status());
  const std::string& name = intent->name;

  if (intent->removal) {
    std::lock_guard lock(mu_);
    absl::StatusOr<std::optional<store::RuntimePod>> existing = pods_.Get(name);
    if (!existing.ok()) return refuse(existing.status());
    if (!existing->has_value()) {
      return refuse(absl::NotFoundError(StrCat("no pod '", name, "' was requested at run time")));
    }
    store::RuntimePod p = **existing;
    p.state = store::PodState::kRemoving;
    p.request_id = RandomHexId("req-");
    if (absl::Status s = pods_.Put(p); !s.ok()) return refuse(s);
    if ((*existing)->state == store::PodState::kPending) {
      // The request still being set up is overtaken: it is answered (before
      // the removal), not left without a completion.
      (void)Finish(
          **existing, Completion::kError,
          WithNotes(StrCat("pod ", name, " was removed (", p.request_id, ") before it was set up"),
                    **existing));
    }
    work_ = true;
    cv_.notify_all();
    return {absl::OkStatus(), p.request_id, StrCat("removal of pod ", name, " accepted")};
  }
  const model::PodSpec& pod = intent->pod;
  const model::TopologyNode* host = intent->host;
  Ipv4Prefix subnet = intent->subnet;

  std::lock_guard lock(mu_);
  absl::StatusOr<std::optional<store::RuntimePod>> stored = pods_.Get(name);
  if (!stored.ok()) return refuse(stored.status());
  const store::RuntimePod* mine = stored->has_value() ? &**stored : nullptr;
  const model::TopologyNode* same_name = topo.FindNode(name);
  if (same_name && !mine) {
    return refuse(absl::InvalidArgumentError(
        StrCat("pod_name '", name, "' is already a component of the vehicle configuration")));
  }
  if (mine && mine->state == store::PodState::kRemoving) {
    return refuse(absl::FailedPreconditionError(
        StrCat("pod ", name, " is being removed (", mine->request_id,
               "); request it again once that removal has completed")));
  }
  if (mine && mine->vm == host->name && mine->subnet == subnet.ToString() &&
      (!pod.ip.address || pod.ip.address->ToString() == mine->ip) &&
      mine->spec == StoredSpecOf(pod) && mine->legacy_spec_yaml.empty() &&
      mine->container_id == options.container_id) {
    // The same pod again: nothing to do but say so.
    if (mine->state == store::PodState::kPending) {
      return {absl::OkStatus(), mine->request_id, "already being set up (same request id)"};
    }
    store::RuntimePod again = *mine;
    again.request_id = RandomHexId("req-");
    again.notes = JoinNotes(intent->notes);
    (void)Finish(
        again, Completion::kOk,
        WithNotes(StrCat("pod ", name, " is already set up on ", host->name, " at ", mine->ip),
                  again));
    return {absl::OkStatus(), again.request_id, "already set up; completion follows"};
  }

  if (mine && mine->state == store::PodState::kPending) {
    // A different request for a pod still being set up: the worker holds
    // the first one and would settle (or drop) this one in its place.
    return refuse(absl::FailedPreconditionError(
        StrCat("pod ", name, " has a request in flight (", mine->request_id,
               ") with a different spec; request it again once that one has completed")));
  }

  leases_.Follow(controller_.DeclaredTopologySnapshot());
  if (!mine) {
    absl::StatusOr<size_t> leased = pods_.Count();
    if (!leased.ok()) return refuse(leased.status());
    size_t pods = leases_.DeclaredPods() + *leased;
    if (pods >= controller_.max_pods()) {
      return refuse(absl::ResourceExhaustedError(
          StrCat("the vehicle has ", pods, " pods, the most pharosd takes (--max-pods ",
                 controller_.max_pods(), "); remove one first")));
    }
  }

  // A pod asked for again elsewhere keeps its address where it can.
  std::optional<Ipv4Address> wanted = pod.ip.address;
  bool same_subnet = mine && mine->subnet == subnet.ToString();
  if (!wanted && same_subnet) wanted = Ipv4Address::Parse(mine->ip);
  absl::StatusOr<Ipv4Address> leased = leases_.Lease(subnet, topo, name, wanted);
  if (!leased.ok()) {
    if (absl::IsInvalidArgument(leased.status())) {
      return refuse(absl::InvalidArgumentError(
          StrCat("network_yaml: ", leased.status().message())));
    }
    if (absl::IsResourceExhausted(leased.status())) {
      return refuse(absl::ResourceExhaustedError(
          StrCat(leased.status().message(), "; see pharosctl ipam")));
    }
    return refuse(leased.status());
  }
  std::string ip = leased->ToString();
  store::RuntimePod row;
  row.name = name;
  row.soc = host->parent;
  row.vm = host->name;
  row.subnet = subnet.ToString();
  row.ip = ip;
  row.spec = StoredSpecOf(pod);
  row.request_id = RandomHexId("req-");
  row.state = store::PodState::kPending;
  row.deadline_at = FormatIso8601Utc(clock_.Now() + setup_timeout_);
  row.created_at = FormatIso8601Utc(clock_.Now());
  row.container_id = options.container_id;
  row.origin = intent->origin;
  row.notes = JoinNotes(intent->notes);
  row.network = intent->network;
  if (absl::Status s = pods_.Put(row); !s.ok()) {
    if (!mine || mine->ip != ip || !same_subnet) leases_.Release(row.subnet, ip);
    return refuse(s);
  }
  if (mine && (!same_subnet || mine->ip != ip)) leases_.Release(mine->subnet, mine->ip);
  work_ = true;
  cv_.notify_all();
  return {absl::OkStatus(), row.request_id,
          StrCat("pod ", name, " accepted: ", ip, " on ", host->name,
                 "; CompleteNetworkSetting follows")};
}

std::string PodManager::NetnsRefusal(const std::string& path, const std::string& pod) const {
  const std::string& prefix = controller_.interface_prefix();
  return netns_judge_(path, prefix, StrCat(prefix, pod));
}

absl::StatusOr<std::vector<PodLease>> PodManager::Leases() {
  std::lock_guard lock(mu_);
  absl::StatusOr<std::vector<store::RuntimePod>> rows = pods_.List();
  if (!rows.ok()) return rows.status();
  std::vector<PodLease> out;
  for (const auto& r : *rows) {
    out.push_back({r.name, r.vm, r.subnet, r.ip, r.state, r.container_id, r.spec.netns.value_or(""),
                   r.origin});
  }
  std::sort(out.begin(), out.end(),
            [](const PodLease& a, const PodLease& b) { return a.pod < b.pod; });
  return out;
}

void PodManager::Run() {
  while (true) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stop_ || work_; });
      if (stop_) return;
      work_ = false;
    }
    if (!ProcessPending()) {
      // The store refused the batch's outcome: everything stays as it was
      // and is tried again shortly (not at once, which would spin).
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(200), [&] { return stop_; });
      work_ = true;
    }
  }
}

absl::Status PodManager::Finish(const store::RuntimePod& pod, Completion result,
                                const std::string& details) {
  CompletionRecord record{pod.request_id, pod.name, result, details};
  if (!pod.container_id.empty()) {
    Answer(record);
    return absl::OkStatus();
  }
  absl::Status s = sink_.CompleteAll({record});
  if (!s.ok()) {
    spdlog::error("cannot queue the completion of {}: {}", pod.name, std::string(s.message()));
  }
  return s;
}

void PodManager::Answer(const CompletionRecord& record) {
  // pharos-cni waits for this one (Await), nobody at Piccolo does.
  absl::Status status = record.result == Completion::kOk ? absl::OkStatus()
                        : record.result == Completion::kTimeout
                            ? absl::DeadlineExceededError(record.details)
                            : absl::InternalError(record.details);
  finished_[record.request_id] = status;
  finished_order_.push_back(record.request_id);
  while (finished_order_.size() > kMaxUncollectedResults) {
    finished_.erase(finished_order_.front());  // the caller went away
    finished_order_.pop_front();
  }
  finished_cv_.notify_all();
}

absl::Status PodManager::Await(const std::string& request_id, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  if (!finished_cv_.wait_for(lock, timeout, [&] { return finished_.count(request_id) > 0; })) {
    return absl::DeadlineExceededError(
        StrCat("request ", request_id, " not done after ", timeout.count(), " ms"));
  }
  absl::Status s = finished_[request_id];
  finished_.erase(request_id);
  return s;
}

std::map<std::string, absl::Status> PodManager::ApplyIsolatingFailures(
    const std::vector<store::RuntimePod>& pending, bool* applied_anything) {
  std::map<std::string, absl::Status> failed;
  absl::StatusOr<dataplane::ApplyResult> all = controller_.ApplyRuntimePods();
  *applied_anything = all.ok();
  if (all.ok()) return failed;
  if (pending.size() <= 1) {
    for (const auto& p : pending) failed[p.name] = all.status();
    return failed;
  }
  // One bad pod must not fail the others of its batch: without the new
  // ones first, then adding them back one at a time.
  {
    std::lock_guard lock(mu_);
    for (const auto& p : pending) held_.insert(p.name);
  }
  absl::StatusOr<dataplane::ApplyResult> base = controller_.ApplyRuntimePods();
  for (const auto& p : pending) {
    if (!base.ok()) {
      failed[p.name] = base.status();  // not the new pods' fault, but they cannot go in
      continue;
    }
    {
      std::lock_guard lock(mu_);
      held_.erase(p.name);
    }
    absl::StatusOr<dataplane::ApplyResult> with = controller_.ApplyRuntimePods();
    if (with.ok()) {
      *applied_anything = true;
      continue;
    }
    failed[p.name] = with.status();
    std::lock_guard lock(mu_);
    held_.insert(p.name);
  }
  std::lock_guard lock(mu_);
  held_.clear();
  return failed;
}

bool PodManager::ProcessPending() {
  std::vector<store::RuntimePod> pending, removing;
  {
    std::lock_guard lock(mu_);
    absl::StatusOr<std::vector<store::RuntimePod>> rows = pods_.List();
    if (!rows.ok()) {
      spdlog::error("runtime pods: {}", std::string(rows.status().message()));
      return false;
    }
    for (const auto& r : *rows) {
      if (r.state == store::PodState::kPending) pending.push_back(r);
      if (r.state == store::PodState::kRemoving) removing.push_back(r);
    }
  }
  if (pending.empty() && removing.empty()) return true;
  // One convergence for the whole batch: 200 requests arriving together
  // cost one apply, not 200.
  bool applied = false;
  std::map<std::string, absl::Status> failed = ApplyIsolatingFailures(pending, &applied);
  std::string now = FormatIso8601Utc(clock_.Now());
  bool reapply = false;
  // Every outcome of the batch in one outbox transaction, then every state
  // change in one store transaction: per-pod commits (an fsync each) made
  // a batch of 100 wait ~50 ms for the disk. Queued before the states
  // change: a crash in between repeats completions, never loses them.
  std::vector<std::pair<const store::RuntimePod*, CompletionRecord>> outcomes;
  std::vector<std::string> ready, gone;
  for (const auto& p : pending) {
    std::string where = StrCat("pod ", p.name, " on ", p.vm, " at ", p.ip);
    auto bad = failed.find(p.name);
    if (bad == failed.end() && now <= p.deadline_at) {
      outcomes.push_back(
          {&p, {p.request_id, p.name, Completion::kOk, WithNotes(StrCat(where, " is set up"), p)}});
      ready.push_back(p.name);
      continue;
    }
    // Failed or late: nothing of it stays.
    bool late = bad == failed.end();
    outcomes.push_back(
        {&p,
         {p.request_id, p.name, late ? Completion::kTimeout : Completion::kError,
          WithNotes(late ? StrCat(where, ": setup finished after its deadline ", p.deadline_at)
                         : StrCat(where, ": ", bad->second.message()),
                    p)}});
    gone.push_back(p.name);
    reapply = true;
  }
  for (const auto& r : removing) {
    outcomes.push_back(
        {&r,
         {r.request_id, r.name, applied ? Completion::kOk : Completion::kError,
          applied ? StrCat("pod ", r.name, " removed, ", r.ip, " released")
                  : StrCat("pod ", r.name,
                           " removed from the plan, but the dataplane did not converge")}});
    gone.push_back(r.name);
  }
  {
    std::lock_guard lock(mu_);
    // A request overtaken while the batch converged (a removal of a pod
    // still being set up) was answered when it was overtaken, and its row
    // now belongs to the newer request: neither is touched here.
    std::set<std::string> overtaken;
    for (const auto& [row, record] : outcomes) {
      absl::StatusOr<std::optional<store::RuntimePod>> now = pods_.Get(row->name);
      if (now.ok() && now->has_value() && (*now)->request_id != row->request_id) {
        overtaken.insert(row->name);
      }
    }
    if (!overtaken.empty()) {
      std::erase_if(outcomes, [&](const auto& o) { return overtaken.count(o.first->name) > 0; });
      std::erase_if(ready, [&](const std::string& n) { return overtaken.count(n) > 0; });
      std::erase_if(gone, [&](const std::string& n) { return overtaken.count(n) > 0; });
    }
    std::vector<CompletionRecord> to_piccolo;
    for (const auto& [row, record] : outcomes) {
      if (row->container_id.empty()) to_piccolo.push_back(record);
    }
    if (absl::Status s = sink_.CompleteAll(to_piccolo); !s.ok()) {
      spdlog::error("cannot queue {} completion(s): {}; retried", to_piccolo.size(),
                    std::string(s.message()));
      return false;  // all stay pending/removing: the next round repeats them
    }
    if (absl::Status s = pods_.Settle(ready, gone); !s.ok()) {
      spdlog::error("runtime pods: {}", std::string(s.message()));
    } else {
      std::set<std::string> released(gone.begin(), gone.end());
      for (const auto& [row, record] : outcomes) {
        if (released.count(row->name)) leases_.Release(row->subnet, row->ip);
      }
    }
    for (const auto& [row, record] : outcomes) {
      if (!row->container_id.empty()) Answer(record);
    }
  }
  if (reapply) {
    // Converge without what failed or came too late.
    if (auto again = controller_.ApplyRuntimePods(); !again.ok()) {
      spdlog::error("runtime pods: {}", std::string(again.status().message()));
    }
  }
  return true;
}

}  // namespace pharos::core
