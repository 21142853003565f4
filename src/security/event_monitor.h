// The security event pipeline: NFLOG readers in every enforcement point ->
// the aggregator -> a sink that records each event and queues it for
// Piccolo (NotifySecurityEvent through the outbox).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "common/clock.h"
#include "security/nflog_reader.h"
#include "security/security_events.h"

namespace pharos::security {

class SecurityEventSink {
 public:
  virtual ~SecurityEventSink() = default;
  virtual absl::Status Publish(const SecurityEvent& event) = 0;
};

class EventMonitor {
 public:
  EventMonitor(SecurityEventSink& sink, const Clock& clock, int nflog_group,
               EventThresholds thresholds);
  ~EventMonitor();
  void Start();
  void Stop();
  // The namespaces to read (the enforcement points); readers follow.
  void SetNamespaces(std::set<std::string> namespaces);
  // An attempt refused elsewhere (the TLS ingress), from any thread: it is
  // aggregated and rate-limited like a denied packet.
  void Report(DeniedPacket attempt);

 private:
  void Run();
  void Reconcile();
  void Emit(const SecurityEvent& e);

  SecurityEventSink& sink_;
  const Clock& clock_;
  int group_;
  EventAggregator aggregator_;
  std::mutex mu_;
  std::set<std::string> wanted_;
  bool changed_ = false;
  std::vector<DeniedPacket> reported_;
  bool stop_ = false;
  int wake_fd_ = -1;  // eventfd: namespace changes and Stop
  struct Reader {
    std::unique_ptr<NflogReader> reader;
    uint64_t netns_identity = 0;  // reopened when the namespace is rebuilt
  };
  std::map<std::string, Reader> readers_;
  std::set<std::string> unreadable_;  // reported once until readable again
  std::thread thread_;
};

}  // namespace pharos::security
