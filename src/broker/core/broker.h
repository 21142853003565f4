// The broker core: the current (and, for actuators, target) value of every
// signal, who subscribes to what, which provider owns which signal, and
// the routing of actuation to providers. It knows no wire format. Every
// operation goes through an AuthorizedBroker made for one caller's Access,
// so no front end can reach a value without the permission check (KUKSA's
// authorized_access).
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "broker/core/catalog.h"
#include "broker/core/permissions.h"
#include "broker/core/signal_store.h"
#include "broker/core/subscription.h"
#include "common/clock.h"

namespace pharos::broker {

struct BrokerOptions {
  // Signals whose current value persists, beyond the defaults below.
  std::vector<PathGlob> persist;
  // Attributes' values and actuators' targets persist unless this is off.
  bool persist_defaults = true;
  // How long an actuation waits for its provider's acknowledgement
  // (BatchActuateStreamResponse). 0: answer once the request is handed to
  // the provider's stream, as KUKSA does.
  std::chrono::milliseconds actuation_timeout{2000};
  // How many earlier values of each sensor/actuator the broker remembers
  // (VISS's history filter); 0 keeps none. In memory only.
  size_t history_size = 0;
};

// How the broker reaches a provider's stream.
class ProviderLink {
 public:
  virtual ~ProviderLink() = default;
  // One batch for this provider's actuators. Called without the broker's
  // lock; may block on the transport's flow control.
  virtual void SendActuation(const std::vector<std::pair<SignalId, Value>>& batch) = 0;
};

class Broker;
struct ProviderState;

// A provider's session: the signals it claimed and the actuations waiting
// for its answer. Destroying it (the stream ended) releases every claim and
// fails its pending actuations with UNAVAILABLE.
class Provider {
 public:
  ~Provider();
  Provider(const Provider&) = delete;

  // provide_actuation_request: NOT_FOUND, PERMISSION_DENIED (provide),
  // INVALID_ARGUMENT (not an actuator), ALREADY_EXISTS (another provider).
  absl::Status ClaimActuators(std::span<const Signal* const> signals);
  // provide_signal_request: the same checks for any leaf.
  absl::Status ClaimSignals(std::span<const Signal* const> signals);
  // publish_values_request. A stream-ending error (ABORTED: not claimed by
  // this provider; ALREADY_EXISTS: claimed by another) or, per id, the
  // datapoints refused (NOT_FOUND, PERMISSION_DENIED, INVALID_ARGUMENT,
  // OUT_OF_RANGE); the others are applied.
  absl::StatusOr<std::map<SignalId, absl::Status>> Publish(
      const std::vector<std::pair<SignalId, Datapoint>>& datapoints);
  // batch_actuate_stream_response for one signal.
  void Acknowledge(SignalId id, absl::Status result);

 private:
  friend class AuthorizedBroker;
  Provider(Broker& broker, Access access, ProviderLink& link);
  absl::Status Claim(std::span<const Signal* const> signals, bool actuators_only);

  Broker& broker_;
  const Access access_;
  std::shared_ptr<ProviderState> state_;
};

// One caller's view of the broker.
class AuthorizedBroker {
 public:
  // NOT_FOUND naming the path / id; INVALID_ARGUMENT for a path over the
  // length limit. No permission needed: metadata is not a value.
  absl::StatusOr<const Signal*> Find(std::string_view path) const;
  absl::StatusOr<const Signal*> Find(SignalId id) const;
  // Leaves under a branch or matching a pattern, in catalog order;
  // NOT_FOUND when nothing matches.
  absl::StatusOr<std::vector<const Signal*>> List(std::string_view pattern) const;
  // `root` and every entry below it, branches included, in catalog order
  // (parents before children): what a metadata request describes.
  std::vector<const Signal*> Subtree(const Signal& root) const;

  // read. A signal without a value yet answers a Datapoint of none.
  absl::StatusOr<Datapoint> Get(const Signal& signal, ValueKind kind = ValueKind::kCurrent) const;

  // read: the values `signal` had before its current one, as they were
  // published, oldest first, those stamped at or after `since` only (at
  // most BrokerOptions::history_size of them).
  absl::StatusOr<std::vector<Datapoint>> History(const Signal& signal, Timestamp since) const;

  // The checks a publish of `value` to `signal` must pass (provide
  // permission, type, limits), without applying it.
  absl::Status CheckPublish(const Signal& signal, const Value& value) const;
  // Applies every datapoint or none (the first failing check is returned).
  // PublishValue needs no claim: a provider stream's claim orders the
  // stream's publishes, it does not lock out PublishValue.
  absl::Status Publish(const std::vector<std::pair<const Signal*, Datapoint>>& datapoints);

  // actuate, all or nothing: NOT_FOUND/PERMISSION_DENIED/INVALID_ARGUMENT/
  // OUT_OF_RANGE before anything is sent; UNAVAILABLE when an actuator has
  // no provider (unless `require_provider` is false: then the target is
  // stored and target subscribers are told, kuksa.val.v1's Set);
  // DEADLINE_EXCEEDED when a provider does not answer in time; a
  // provider's refusal as it gave it. The target becomes the request once
  // the provider accepted it (a refused request leaves the old target).
  absl::Status Actuate(const std::vector<std::pair<const Signal*, Value>>& requests,
                       bool require_provider = true);

  // read of every signal. The current values (or targets) are the first
  // update; then every change. INVALID_ARGUMENT for a buffer_size above
  // kMaxBufferSize.
  absl::StatusOr<std::shared_ptr<Subscription>> Subscribe(std::vector<const Signal*> signals,
                                                          SubscribeOptions options);
  void Unsubscribe(const std::shared_ptr<Subscription>& subscription);

  std::unique_ptr<Provider> OpenProvider(ProviderLink& link);

  const Access& access() const { return access_; }

 private:
  friend class Broker;
  AuthorizedBroker(Broker& broker, const Access& access) : broker_(broker), access_(access) {}
  Broker& broker_;
  const Access& access_;
};

class Broker {
 public:
  // Restores persisted values from `store` and serves attributes' defaults.
  static absl::StatusOr<std::unique_ptr<Broker>> Create(Catalog catalog, SignalStore& store,
                                                        const Clock& clock, BrokerOptions options);
  ~Broker();

  AuthorizedBroker Authorized(const Access& access) { return AuthorizedBroker(*this, access); }
  // The view keeps a reference to `access`: a temporary would dangle.
  AuthorizedBroker Authorized(Access&&) = delete;

  // Adds a signal at run time (create permission), persisting its id.
  absl::StatusOr<const Signal*> Register(const Access& access, SignalSpec spec);

  size_t subscription_count() const;
  size_t signal_count() const;
  size_t history_size() const { return options_.history_size; }

 private:
  friend class AuthorizedBroker;
  friend class Provider;
  struct Slot;
  using Batch = std::vector<std::pair<const Signal*, Datapoint>>;

  Broker(Catalog catalog, SignalStore& store, const Clock& clock, BrokerOptions options);
  Slot& SlotOf(const Signal& signal);  // with mu_ held
  bool Persists(const Signal& signal, ValueKind kind) const;
  // Stamps, stores and fans out, with mu_ held. Returns what must be persisted.
  std::vector<StoredValue> ApplyLocked(Batch& batch, ValueKind kind);
  absl::Status PersistAll(const std::vector<StoredValue>& values);
  void Release(ProviderState& provider);

  mutable std::mutex mu_;
  Catalog catalog_;
  std::deque<Slot> slots_;  // beside catalog_.entries(), same index
  SignalStore& store_;
  const Clock& clock_;
  const BrokerOptions options_;
  std::mutex persist_mu_;  // orders durable writes, latest last
  size_t subscriptions_ = 0;
};

}  // namespace pharos::broker
