// Pod network lifecycle (RequestNetworkPod, spec §12.2): validate and
// answer at once, then set the pod up asynchronously and report the result
// as CompleteNetworkSetting through the callback outbox.
//
// Runtime pods live in their own table (runtime_pods) with their address
// lease, not in the configuration versions: re-applying the vehicle YAML
// keeps them. The controller merges them into every plan (RuntimePodOverlay).
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "core/config_controller.h"
#include "store/pod_store.h"

namespace pharos::core {

enum class Completion { kOk, kError, kTimeout };

// Where completions go (the callbacks module: the outbox).
class CompletionSink {
 public:
  virtual ~CompletionSink() = default;
  virtual absl::Status Complete(const std::string& request_id, const std::string& pod,
                                Completion result, const std::string& details) = 0;
};

struct PodRequestAnswer {
  absl::Status status;  // InvalidArgument, NotFound, ResourceExhausted, FailedPrecondition
  std::string request_id;
  std::string message;
};

struct PodLease {
  std::string pod, vm, subnet, ip, state;
};

class PodManager : public RuntimePodOverlay {
 public:
  // `db`: a connection of its own. `setup_timeout`: a request not set up
  // by then completes as TIMEOUT.
  PodManager(ConfigController& controller, store::Database& db, CompletionSink& sink,
             const Clock& clock, std::chrono::milliseconds setup_timeout);
  ~PodManager() override;
  void Start();  // the worker; also finishes what was pending before a restart
  void Stop();

  PodRequestAnswer Request(const std::string& node_yaml, const std::string& pod_name,
                           const std::string& network_yaml);
  absl::StatusOr<std::vector<PodLease>> Leases();

  std::string OverlayYaml() override;

 private:
  void Run();
  void ProcessPending();

  ConfigController& controller_;
  store::PodStore pods_;
  CompletionSink& sink_;
  const Clock& clock_;
  std::chrono::milliseconds setup_timeout_;
  std::mutex mu_;  // pods_ and the request bookkeeping
  std::condition_variable cv_;
  bool work_ = false;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace pharos::core
