// Pod network lifecycle (RequestNetworkPod, spec §12.2): validate and
// answer at once, then set the pod up asynchronously and report the result
// as CompleteNetworkSetting through the callback outbox.
//
// Runtime pods live in their own table (runtime_pods) with their address
// lease, not in the configuration versions: re-applying the vehicle YAML
// keeps them. The controller merges them into every plan (RuntimePodTable).
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "core/config_controller.h"
#include "core/pod_lease_index.h"
#include "core/pod_request.h"
#include "core/runtime_pods.h"
#include "netlink/netns.h"
#include "store/pod_store.h"

namespace pharos::core {

enum class Completion { kOk, kError, kTimeout };

struct CompletionRecord {
  std::string request_id;
  std::string pod;
  Completion result = Completion::kOk;
  std::string details;
};

// Where completions go (the callbacks module: the outbox).
class CompletionSink {
 public:
  virtual ~CompletionSink() = default;
  // In order, all or none (one outbox transaction).
  virtual absl::Status CompleteAll(const std::vector<CompletionRecord>& batch) = 0;
};

struct PodRequestAnswer {
  absl::Status status;  // InvalidArgument, NotFound, ResourceExhausted, FailedPrecondition
  std::string request_id;
  std::string message;
  // A refused request: no id, the status's message.
  static PodRequestAnswer Refused(const absl::Status& s) {
    return {s, "", std::string(s.message())};
  }
};

struct PodLease {
  std::string pod, vm, subnet, ip;
  store::PodState state = store::PodState::kPending;
  std::string container_id;  // pods added by pharos-cni
  std::string netns;         // the runtime's namespace, for attached pods
  std::string origin;        // who asked, in words (e.g. a Pullpiri scenario)
};

struct PodRequestOptions {
  // Set by pharos-cni: the runtime's container id. Such a request reports
  // to whoever waits on it (Await), not to Piccolo.
  std::string container_id;
};

// Why a runtime's namespace `path` may not be given to the pod whose own
// namespace name is `own_name` ("" when it may); see
// netlink::NetnsAttachRefusal, the real one.
using NetnsJudge = std::function<std::string(
    const std::string& path, const std::string& owned_prefix, const std::string& own_name)>;

class PodManager {
 public:
  // `table`: the pods' rows, which the controller reads as its overlay.
  // `setup_timeout`: a request not set up by then completes as TIMEOUT.
  PodManager(ConfigController& controller, RuntimePodTable& table, CompletionSink& sink,
             const Clock& clock, std::chrono::milliseconds setup_timeout,
             NetnsJudge netns_judge = netlink::NetnsAttachRefusal);
  ~PodManager();
  // Releases the pods that can no longer exist (their VM left the
  // configuration, their runtime's namespace is gone), then starts the
  // worker, which also finishes what was pending before a restart.
  void Start();
  void Stop();

  PodRequestAnswer Request(PodRequest request, const PodRequestOptions& options = {});
  // RequestNetworkPod's text fields, read (ReadPodRequestText) first.
  PodRequestAnswer Request(const std::string& node_yaml, const std::string& pod_name,
                           const std::string& network_yaml, const PodRequestOptions& options = {});
  // For requests made with a container id: blocks until the request is
  // done; OK, or why it failed (DeadlineExceeded when `timeout` passes).
  absl::Status Await(const std::string& request_id, std::chrono::milliseconds timeout);
  absl::StatusOr<std::vector<PodLease>> Leases();
  // Why the runtime's namespace `path` cannot be pod `pod`'s ("" if it can).
  std::string NetnsRefusal(const std::string& path, const std::string& pod) const;

 private:
  void Run();
  // False when the batch's outcome could not be stored (retry later).
  bool ProcessPending();
  // Rows written before pods were typed (a YAML block) become typed rows.
  void UpgradeStoredRows();
  void CollectGarbage();
  // Applies with every runtime pod; when that fails and several are new,
  // finds out which ones fail by adding them one at a time. Returns the
  // failure of each pod in `pending` that cannot be set up.
  std::map<std::string, absl::Status> ApplyIsolatingFailures(
      const std::vector<store::RuntimePod>& pending, bool* applied_anything);
  // Reports a request's outcome: to Piccolo through the sink, or to the
  // waiting pharos-cni call. Call with mu_ held.
  absl::Status Finish(const store::RuntimePod& pod, Completion result, const std::string& details);
  void Answer(const CompletionRecord& record);  // to Await; mu_ held

  ConfigController& controller_;
  std::mutex& mu_;  // the table's: pods_, held_ and the request bookkeeping
  store::PodStore& pods_;
  std::set<std::string>& held_;  // pending pods kept out of the overlay while isolating
  PodLeaseIndex leases_;         // mu_
  CompletionSink& sink_;
  const Clock& clock_;
  std::chrono::milliseconds setup_timeout_;
  NetnsJudge netns_judge_;
  std::condition_variable cv_;
  bool work_ = false;
  bool stop_ = false;
  // Results of container-id requests until Await collects them.
  std::map<std::string, absl::Status> finished_;
  std::deque<std::string> finished_order_;
  std::condition_variable finished_cv_;
  std::thread thread_;
};

}  // namespace pharos::core
