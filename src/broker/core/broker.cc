#include "broker/core/broker.h"

#include <algorithm>
#include <condition_variable>
#include <unordered_set>

#include "broker/core/limits.h"
#include "common/fmt_absl.h"
#include "fmt/format.h"

namespace pharos::broker {

// An actuation waiting for its providers' acknowledgements.
struct PendingActuation {
  std::mutex mu;
  std::condition_variable done;
  size_t remaining = 0;
  absl::Status status;

  void Resolve(const absl::Status& result) {
    {
      std::lock_guard lock(mu);
      if (!result.ok() && status.ok()) status = result;
      if (remaining > 0) --remaining;
    }
    done.notify_all();
  }
};

struct ProviderState {
  std::mutex mu;                 // guards link and pending
  ProviderLink* link = nullptr;  // null once the provider is gone
  std::map<SignalId, std::deque<std::shared_ptr<PendingActuation>>> pending;
};

// A provider that never acknowledges must not grow its queue for ever.
constexpr size_t kMaxPendingPerSignal = 1024;

struct Broker::Slot {
  Datapoint current;
  Datapoint target;
  ProviderState* value_owner = nullptr;      // provide_signal_request
  ProviderState* actuation_owner = nullptr;  // provide_actuation_request
  std::shared_ptr<ProviderState> actuation_owner_ref;
  std::vector<std::shared_ptr<Subscription>> current_subscribers;
  std::vector<std::shared_ptr<Subscription>> target_subscribers;
  bool persist_current = false;
  bool persist_target = false;
  std::deque<Datapoint> history;  // earlier current values, oldest first
};

// ---------------------------------------------------------------- Broker

Broker::Broker(Catalog catalog, SignalStore& store, const Clock& clock, BrokerOptions options)
    : catalog_(std::move(catalog)), store_(store), clock_(clock), options_(std::move(options)) {}

Broker::~Broker() = default;

absl::StatusOr<std::unique_ptr<Broker>> Broker::Create(Catalog catalog, SignalStore& store,
                                                       const Clock& clock, BrokerOptions options) {
  std::unique_ptr<Broker> broker(new Broker(std::move(catalog), store, clock, std::move(options)));
  if (absl::Status s = store.SaveIds(broker->catalog_.Ids()); !s.ok()) return s;
  Timestamp now = clock.Now();
  for (const Signal& signal : broker->catalog_.entries()) {
    Slot& slot = broker->slots_.emplace_back();
    slot.persist_current = broker->Persists(signal, ValueKind::kCurrent);
    slot.persist_target = broker->Persists(signal, ValueKind::kTarget);
    if (HasValue(signal.spec.default_value)) slot.current = {signal.spec.default_value, now};
  }
  auto stored = store.LoadValues();
  if (!stored.ok()) return stored.status();
  for (const StoredValue& v : *stored) {
    const Signal* signal = broker->catalog_.Find(v.id);
    if (!signal || signal->is_branch()) continue;                // the catalog no longer has it
    if (!CheckValue(*signal, v.datapoint.value).ok()) continue;  // its type or limits changed
    Slot& slot = broker->slots_[signal->index];
    (v.kind == ValueKind::kCurrent ? slot.current : slot.target) = v.datapoint;
  }
  return broker;
}

bool Broker::Persists(const Signal& signal, ValueKind kind) const {
  if (signal.is_branch()) return false;
  EntryType type = signal.spec.entry_type;
  if (kind == ValueKind::kTarget) {
    return options_.persist_defaults && type == EntryType::kActuator;
  }
  if (options_.persist_defaults && type == EntryType::kAttribute) return true;
  for (const PathGlob& glob : options_.persist) {
    if (glob.Matches(signal.spec.path)) return true;
  }
  return false;
}

Broker::Slot& Broker::SlotOf(const Signal& signal) { return slots_[signal.index]; }

std::vector<StoredValue> Broker::ApplyLocked(Batch& batch, ValueKind kind) {
  Timestamp now = clock_.Now();
  std::vector<StoredValue> to_persist;
  // One update per subscriber, carrying every signal of the batch it follows.
  std::vector<std::pair<Subscription*, Update>> fanout;
  std::unordered_map<Subscription*, size_t> index;
  for (auto& [signal, datapoint] : batch) {
    if (datapoint.timestamp == Timestamp{}) datapoint.timestamp = now;
    Slot& slot = SlotOf(*signal);
    if (kind == ValueKind::kCurrent && options_.history_size > 0 && HasValue(slot.current.value)) {
      slot.history.push_back(std::move(slot.current));
      if (slot.history.size() > options_.history_size) slot.history.pop_front();
    }
    (kind == ValueKind::kCurrent ? slot.current : slot.target) = datapoint;
    if (kind == ValueKind::kCurrent ? slot.persist_current : slot.persist_target) {
      to_persist.push_back({signal->id, kind, datapoint});
    }
    auto& subscribers =
        kind == ValueKind::kCurrent ? slot.current_subscribers : slot.target_subscribers;
    for (const auto& subscription : subscribers) {
      if (batch.size() == 1) {
        subscription->Push(Update{{{signal->id, datapoint}}});
        continue;
      }
      auto [it, fresh] = index.emplace(subscription.get(), fanout.size());
      if (fresh) fanout.push_back({subscription.get(), Update{}});
      fanout[it->second].second.entries.emplace_back(signal->id, datapoint);
    }
  }
  for (auto& [subscription, update] : fanout) subscription->Push(std::move(update));
  return to_persist;
}

absl::Status Broker::PersistAll(const std::vector<StoredValue>& values) {
  if (values.empty()) return absl::OkStatus();
  std::lock_guard order(persist_mu_);
  for (const StoredValue& v : values) {
    StoredValue latest = v;
    {
      // Another writer may have moved the value on: store the newest.
      std::lock_guard lock(mu_);
      const Signal* signal = catalog_.Find(v.id);
      Slot& slot = SlotOf(*signal);
      latest.datapoint = v.kind == ValueKind::kCurrent ? slot.current : slot.target;
    }
    if (absl::Status s = store_.SaveValue(latest); !s.ok()) {
      return absl::InternalError(
          fmt::format("the value was applied but could not be persisted: {}", s.message()));
    }
  }
  return absl::OkStatus();
}

void Broker::Release(ProviderState& provider) {
  {
    std::lock_guard lock(mu_);
    for (Slot& slot : slots_) {
      if (slot.value_owner == &provider) slot.value_owner = nullptr;
      if (slot.actuation_owner == &provider) {
        slot.actuation_owner = nullptr;
        slot.actuation_owner_ref.reset();
      }
    }
  }
  std::lock_guard lock(provider.mu);
  provider.link = nullptr;
  for (auto& [id, queue] : provider.pending) {
    for (auto& pending : queue) {
      pending->Resolve(absl::UnavailableError("the provider disconnected before it answered"));
    }
  }
  provider.pending.clear();
}

absl::StatusOr<const Signal*> Broker::Register(const Access& access, SignalSpec spec) {
  if (absl::Status s = access.Require(Action::kCreate, spec.path); !s.ok()) return s;
  const Signal* added = nullptr;
  std::map<std::string, SignalId> ids;
  {
    std::lock_guard lock(mu_);
    auto result = catalog_.Add(std::move(spec));
    if (!result.ok()) return result.status();
    added = *result;
    while (slots_.size() < catalog_.entries().size()) {
      const Signal& signal = catalog_.entries()[slots_.size()];
      Slot& slot = slots_.emplace_back();
      slot.persist_current = Persists(signal, ValueKind::kCurrent);
      slot.persist_target = Persists(signal, ValueKind::kTarget);
    }
    ids = catalog_.Ids();
  }
  if (absl::Status s = store_.SaveIds(ids); !s.ok()) return s;
  return added;
}

size_t Broker::subscription_count() const {
  std::lock_guard lock(mu_);
  return subscriptions_;
}

size_t Broker::signal_count() const {
  std::lock_guard lock(mu_);
  return catalog_.leaf_count();
}

// ------------------------------------------------------- AuthorizedBroker

absl::StatusOr<const Signal*> AuthorizedBroker::Find(std::string_view path) const {
  if (path.empty()) return absl::InvalidArgumentError("the signal path is empty");
  if (path.size() > kMaxPathLength) {
    return absl::InvalidArgumentError(
        fmt::format("the path is {} bytes long; the limit is {}", path.size(), kMaxPathLength));
  }
  std::lock_guard lock(broker_.mu_);
  const Signal* signal = broker_.catalog_.Find(path);
  if (!signal) return absl::NotFoundError(fmt::format("{} is not in the catalog", path));
  return signal;
}

absl::StatusOr<const Signal*> AuthorizedBroker::Find(SignalId id) const {
  std::lock_guard lock(broker_.mu_);
  const Signal* signal = broker_.catalog_.Find(id);
  if (!signal) return absl::NotFoundError(fmt::format("no signal has id {}", id));
  return signal;
}

absl::StatusOr<std::vector<const Signal*>> AuthorizedBroker::List(std::string_view pattern) const {
  auto glob = PathGlob::Parse(pattern);
  if (!glob.ok()) return glob.status();
  std::lock_guard lock(broker_.mu_);
  std::vector<const Signal*> found = broker_.catalog_.Leaves(*glob);
  if (found.empty()) return absl::NotFoundError(fmt::format("nothing matches {}", pattern));
  return found;
}

std::vector<const Signal*> AuthorizedBroker::Subtree(const Signal& root) const {
  std::string prefix = root.spec.path + ".";
  std::lock_guard lock(broker_.mu_);
  std::vector<const Signal*> out{&root};
  for (const Signal& s : broker_.catalog_.entries()) {
    if (s.spec.path.size() > prefix.size() && s.spec.path.compare(0, prefix.size(), prefix) == 0) {
      out.push_back(&s);
    }
  }
  return out;
}

absl::StatusOr<Datapoint> AuthorizedBroker::Get(const Signal& signal, ValueKind kind) const {
  if (signal.is_branch()) {
    return absl::InvalidArgumentError(
        fmt::format("{} is a branch, not a signal", signal.spec.path));
  }
  if (absl::Status s = access_.Require(Action::kRead, signal.spec.path); !s.ok()) return s;
  std::lock_guard lock(broker_.mu_);
  Broker::Slot& slot = broker_.SlotOf(signal);
  return kind == ValueKind::kCurrent ? slot.current : slot.target;
}

absl::StatusOr<std::vector<Datapoint>> AuthorizedBroker::History(const Signal& signal,
                                                                 Timestamp since) const {
  if (signal.is_branch()) {
    return absl::InvalidArgumentError(
        fmt::format("{} is a branch, not a signal", signal.spec.path));
  }
  if (absl::Status s = access_.Require(Action::kRead, signal.spec.path); !s.ok()) return s;
  std::lock_guard lock(broker_.mu_);
  const std::deque<Datapoint>& history = broker_.SlotOf(signal).history;
  auto first = std::find_if(history.begin(), history.end(),
                            [&](const Datapoint& dp) { return dp.timestamp >= since; });
  return std::vector<Datapoint>(first, history.end());
}

absl::Status AuthorizedBroker::CheckPublish(const Signal& signal, const Value& value) const {
  if (absl::Status s = access_.Require(Action::kProvide, signal.spec.path); !s.ok()) return s;
  return CheckValue(signal, value);
}

absl::Status AuthorizedBroker::Publish(
    const std::vector<std::pair<const Signal*, Datapoint>>& datapoints) {
  for (const auto& [signal, datapoint] : datapoints) {
    if (absl::Status s = CheckPublish(*signal, datapoint.value); !s.ok()) return s;
  }
  Broker::Batch batch(datapoints.begin(), datapoints.end());
  std::vector<StoredValue> to_persist;
  {
    std::lock_guard lock(broker_.mu_);
    to_persist = broker_.ApplyLocked(batch, ValueKind::kCurrent);
  }
  return broker_.PersistAll(to_persist);
}

absl::Status AuthorizedBroker::Actuate(const std::vector<std::pair<const Signal*, Value>>& requests,
                                       bool require_provider) {
  if (requests.empty()) return absl::InvalidArgumentError("no actuator given");
  struct Route {
    std::shared_ptr<ProviderState> provider;
    std::vector<std::pair<SignalId, Value>> batch;
  };
  std::vector<Route> routes;
  auto pending = std::make_shared<PendingActuation>();
  std::vector<StoredValue> to_persist;
  bool wait = broker_.options_.actuation_timeout.count() > 0;
  // The target is what was last accepted: an actuator without a provider
  // takes it now (kuksa.val.v1's stored target); one with a provider once
  // the provider accepts (or, without waiting, once it is handed over).
  Broker::Batch stored_now, on_acceptance;
  {
    std::lock_guard lock(broker_.mu_);
    for (const auto& [signal, value] : requests) {
      const std::string& path = signal->spec.path;
      if (signal->spec.entry_type != EntryType::kActuator) {
        return absl::InvalidArgumentError(fmt::format("{} is a {}, not an actuator", path,
                                                      EntryTypeName(signal->spec.entry_type)));
      }
      if (absl::Status s = access_.Require(Action::kActuate, path); !s.ok()) return s;
      if (!HasValue(value))
        return absl::InvalidArgumentError(fmt::format("{}: no value given", path));
      if (absl::Status s = CheckValue(*signal, value); !s.ok()) return s;
      const auto& owner = broker_.SlotOf(*signal).actuation_owner_ref;
      if (!owner && require_provider) {
        return absl::UnavailableError(fmt::format("no provider serves the actuator {}", path));
      }
      if (!owner) {
        stored_now.push_back({signal, Datapoint{value, {}}});
        continue;
      }
      on_acceptance.push_back({signal, Datapoint{value, {}}});
      auto route = std::find_if(routes.begin(), routes.end(),
                                [&](const Route& r) { return r.provider == owner; });
      if (route == routes.end()) route = routes.insert(routes.end(), Route{owner, {}});
      route->batch.emplace_back(signal->id, value);
    }
    if (!stored_now.empty()) to_persist = broker_.ApplyLocked(stored_now, ValueKind::kTarget);
  }
  if (absl::Status s = broker_.PersistAll(to_persist); !s.ok()) return s;
  auto accept = [&]() -> absl::Status {
    if (on_acceptance.empty()) return absl::OkStatus();
    std::vector<StoredValue> accepted;
    {
      std::lock_guard lock(broker_.mu_);
      accepted = broker_.ApplyLocked(on_acceptance, ValueKind::kTarget);
    }
    return broker_.PersistAll(accepted);
  };

  for (Route& route : routes) {
    std::lock_guard lock(route.provider->mu);
    if (!route.provider->link) {
      return absl::UnavailableError("the actuator's provider disconnected");
    }
    if (wait) {
      for (const auto& [id, value] : route.batch) {
        auto& queue = route.provider->pending[id];
        if (queue.size() >= kMaxPendingPerSignal) queue.pop_front();
        queue.push_back(pending);
        std::lock_guard count(pending->mu);
        ++pending->remaining;
      }
    }
    route.provider->link->SendActuation(route.batch);
  }
  if (!wait) return accept();
  absl::Status result;
  {
    std::unique_lock lock(pending->mu);
    if (!pending->done.wait_for(lock, broker_.options_.actuation_timeout,
                                [&] { return pending->remaining == 0; })) {
      return absl::DeadlineExceededError(
          fmt::format("the provider did not acknowledge the actuation within {} ms",
                      broker_.options_.actuation_timeout.count()));
    }
    result = pending->status;
  }
  if (!result.ok()) return result;
  return accept();
}

absl::StatusOr<std::shared_ptr<Subscription>> AuthorizedBroker::Subscribe(
    std::vector<const Signal*> signals, SubscribeOptions options) {
  if (signals.empty()) return absl::InvalidArgumentError("no signal to subscribe to");
  if (options.buffer_size > kMaxBufferSize) {
    return absl::InvalidArgumentError(
        fmt::format("buffer_size {} is above the maximum {}", options.buffer_size, kMaxBufferSize));
  }
  // A signal named twice is followed once (one update per change), in the
  // order first named.
  std::unordered_set<const Signal*> seen;
  signals.erase(std::remove_if(signals.begin(), signals.end(),
                               [&](const Signal* s) { return !seen.insert(s).second; }),
                signals.end());
  std::vector<SignalId> ids;
  for (const Signal* signal : signals) {
    if (signal->is_branch()) {
      return absl::InvalidArgumentError(
          fmt::format("{} is a branch, not a signal", signal->spec.path));
    }
    if (absl::Status s = access_.Require(Action::kRead, signal->spec.path); !s.ok()) return s;
    ids.push_back(signal->id);
  }
  auto subscription = std::make_shared<Subscription>(std::move(ids), options, broker_.clock_);
  std::lock_guard lock(broker_.mu_);
  Update initial;
  for (const Signal* signal : signals) {
    Broker::Slot& slot = broker_.SlotOf(*signal);
    initial.entries.emplace_back(signal->id,
                                 options.kind == ValueKind::kCurrent ? slot.current : slot.target);
    (options.kind == ValueKind::kCurrent ? slot.current_subscribers : slot.target_subscribers)
        .push_back(subscription);
  }
  subscription->Push(std::move(initial));
  ++broker_.subscriptions_;
  return subscription;
}

void AuthorizedBroker::Unsubscribe(const std::shared_ptr<Subscription>& subscription) {
  subscription->Close();
  std::lock_guard lock(broker_.mu_);
  bool found = false;
  for (SignalId id : subscription->signals()) {
    const Signal* signal = broker_.catalog_.Find(id);
    if (!signal) continue;
    Broker::Slot& slot = broker_.SlotOf(*signal);
    auto& list = subscription->options().kind == ValueKind::kCurrent ? slot.current_subscribers
                                                                     : slot.target_subscribers;
    auto it = std::find(list.begin(), list.end(), subscription);
    if (it != list.end()) {  // order among subscribers does not matter: no shifting of 10,000
      *it = std::move(list.back());
      list.pop_back();
      found = true;
    }
  }
  if (found) --broker_.subscriptions_;
}

std::unique_ptr<Provider> AuthorizedBroker::OpenProvider(ProviderLink& link) {
  return std::unique_ptr<Provider>(new Provider(broker_, access_, link));
}

// -------------------------------------------------------------- Provider

Provider::Provider(Broker& broker, Access access, ProviderLink& link)
    : broker_(broker), access_(std::move(access)), state_(std::make_shared<ProviderState>()) {
  state_->link = &link;
}

Provider::~Provider() { broker_.Release(*state_); }

absl::Status Provider::Claim(std::span<const Signal* const> signals, bool actuators_only) {
  std::lock_guard lock(broker_.mu_);
  for (const Signal* signal : signals) {
    const std::string& path = signal->spec.path;
    if (signal->is_branch()) {
      return absl::InvalidArgumentError(fmt::format("{} is a branch, not a signal", path));
    }
    if (absl::Status s = access_.Require(Action::kProvide, path); !s.ok()) return s;
    if (actuators_only && signal->spec.entry_type != EntryType::kActuator) {
      return absl::InvalidArgumentError(
          fmt::format("{} is a {}, not an actuator", path, EntryTypeName(signal->spec.entry_type)));
    }
    Broker::Slot& slot = broker_.SlotOf(*signal);
    ProviderState* owner = actuators_only ? slot.actuation_owner : slot.value_owner;
    if (owner && owner != state_.get()) {
      return absl::AlreadyExistsError(fmt::format("another provider already provides {}", path));
    }
  }
  for (const Signal* signal : signals) {
    Broker::Slot& slot = broker_.SlotOf(*signal);
    if (actuators_only) {
      slot.actuation_owner = state_.get();
      slot.actuation_owner_ref = state_;
    } else {
      slot.value_owner = state_.get();
    }
  }
  return absl::OkStatus();
}

absl::Status Provider::ClaimActuators(std::span<const Signal* const> signals) {
  return Claim(signals, true);
}

absl::Status Provider::ClaimSignals(std::span<const Signal* const> signals) {
  return Claim(signals, false);
}

absl::StatusOr<std::map<SignalId, absl::Status>> Provider::Publish(
    const std::vector<std::pair<SignalId, Datapoint>>& datapoints) {
  std::map<SignalId, absl::Status> refused;
  std::vector<StoredValue> to_persist;
  {
    std::lock_guard lock(broker_.mu_);
    Broker::Batch batch;
    batch.reserve(datapoints.size());
    for (const auto& [id, datapoint] : datapoints) {
      const Signal* signal = broker_.catalog_.Find(id);
      if (!signal) {
        refused[id] = absl::NotFoundError(fmt::format("no signal has id {}", id));
        continue;
      }
      Broker::Slot& slot = broker_.SlotOf(*signal);
      bool mine = slot.value_owner == state_.get() || slot.actuation_owner == state_.get();
      if (!mine && (slot.value_owner || slot.actuation_owner)) {
        return absl::AlreadyExistsError(
            fmt::format("{} is provided by another provider", signal->spec.path));
      }
      if (!mine) {
        return absl::AbortedError(
            fmt::format("{} was not claimed by this provider (send provide_signal_request first)",
                        signal->spec.path));
      }
      // No permission check here: claiming it needed `provide` with this
      // provider's Access, which never changes.
      if (absl::Status s = CheckValue(*signal, datapoint.value); !s.ok()) {
        refused[id] = s;
        continue;
      }
      batch.emplace_back(signal, datapoint);
    }
    to_persist = broker_.ApplyLocked(batch, ValueKind::kCurrent);
  }
  if (absl::Status s = broker_.PersistAll(to_persist); !s.ok()) return s;
  return refused;
}

void Provider::Acknowledge(SignalId id, absl::Status result) {
  std::shared_ptr<PendingActuation> pending;
  {
    std::lock_guard lock(state_->mu);
    auto it = state_->pending.find(id);
    if (it == state_->pending.end() || it->second.empty())
      return;  // nobody waits (or timed out long ago)
    pending = std::move(it->second.front());
    it->second.pop_front();
  }
  pending->Resolve(result);
}

}  // namespace pharos::broker
