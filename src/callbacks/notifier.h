// Records network events and queues the matching Piccolo notification in
// the outbox, in one transaction: an event is never recorded without its
// notification, nor the other way round. Has its own database connection
// (the dispatcher and the controller work concurrently).
#pragma once

#include <google/protobuf/message.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "core/network_events.h"
#include "core/pod_manager.h"
#include "core/service_registry.h"
#include "security/event_monitor.h"
#include "store/event_store.h"
#include "store/journal_store.h"
#include "store/outbox_store.h"
#include "store/security_store.h"

namespace pharos::callbacks {

// Outbox kinds, one per PiccoloCallbackService method.
inline constexpr char kCompleteNetworkSetting[] = "complete_network_setting";
inline constexpr char kNetworkStatusChange[] = "network_status_change";
inline constexpr char kServiceStatusChange[] = "service_status_change";
inline constexpr char kSecurityEvent[] = "security_event";

struct NotifierOptions {
  int64_t outbox_capacity = 100000;
  int64_t security_events_keep = store::kDefaultLogKeep;  // the newest kept (0: all)
  int64_t journal_keep = store::kDefaultLogKeep;          // watch journal entries kept
};

// Everything it records also goes to the watch journal (same transaction).
class Notifier : public core::NetworkEventRecorder,
                 public core::CompletionSink,
                 public core::ServiceStatusSink,
                 public security::SecurityEventSink {
 public:
  // `wakeup` (optional) is called after every commit (the dispatcher,
  // the watchers).
  Notifier(store::Database& db, const Clock& clock, NotifierOptions options = {},
           std::function<void()> wakeup = nullptr);

  absl::Status Record(const std::string& component, const std::string& kind,
                      const std::string& detail) override;
  absl::Status CompleteAll(const std::vector<core::CompletionRecord>& batch) override;
  absl::Status ServiceStatusChanged(const std::string& service_id, const std::string& previous,
                                    const std::string& current,
                                    const std::string& details) override;
  // Records the event and queues NotifySecurityEvent, in one transaction.
  absl::Status Publish(const security::SecurityEvent& event) override;
  // Queues any notification (`kind` above). Later issues use this path.
  absl::Status Enqueue(const std::string& kind, const std::string& component,
                       const google::protobuf::Message& request);

  store::EventStore& events() { return events_; }
  store::OutboxStore& outbox() { return outbox_; }

 private:
  // Runs `work` in one transaction on this connection, commits, wakes.
  absl::Status InTransaction(const std::function<absl::Status()>& work);

  std::mutex mu_;  // one transaction at a time on this connection
  store::Database& db_;
  const Clock& clock_;
  store::EventStore events_;
  store::OutboxStore outbox_;
  store::SecurityEventStore security_events_;
  store::JournalStore journal_;
  std::function<void()> wakeup_;
};

}  // namespace pharos::callbacks
