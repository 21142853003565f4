#include "callbacks/notifier.h"

#include "common/strings.h"
#include "common/text.h"
#include "pharos/api/v1/piccolo_callback_service.pb.h"

namespace pharos::callbacks {
namespace {

// What an event means as a status transition for Piccolo.
std::pair<const char*, const char*> TransitionOf(const std::string& kind) {
  if (kind == "teardown") return {"up", "down"};
  // drift-repaired, converged-on-start: something was missing, now it is up.
  return {"degraded", "up"};
}

// Every notification stays far below a receiver's default 4 MiB message
// limit, whatever text it reports: details are cut with a marker.
constexpr size_t kMaxDetailsBytes = 8 * 1024;
constexpr size_t kMaxFieldBytes = 512;  // ids, names, addresses

std::string Bounded(const std::string& text) { return Truncated(text, kMaxFieldBytes); }
std::string BoundedDetails(const std::string& text) { return Truncated(text, kMaxDetailsBytes); }

}  // namespace

Notifier::Notifier(store::Database& db, const Clock& clock, NotifierOptions options,
                   std::function<void()> wakeup)
    : db_(db),
      clock_(clock),
      events_(db, clock),
      outbox_(db, clock, options.outbox_capacity),
      security_events_(db, clock, options.security_events_keep),
      journal_(db, clock, options.journal_keep),
      wakeup_(std::move(wakeup)) {}

absl::Status Notifier::InTransaction(const std::function<absl::Status()>& work) {
  std::lock_guard lock(mu_);
  store::Transaction tx(db_);
  if (!tx.status().ok()) return tx.status();
  if (absl::Status s = work(); !s.ok()) return s;  // the transaction rolls back
  if (absl::Status s = tx.Commit(); !s.ok()) return s;
  if (wakeup_) wakeup_();
  return absl::OkStatus();
}

absl::Status Notifier::Record(const std::string& component, const std::string& kind,
                              const std::string& detail) {
  return InTransaction([&]() -> absl::Status {
    absl::StatusOr<store::NetworkEvent> event = events_.Append(component, kind, detail);
    if (!event.ok()) return event.status();
    api::v1::NetworkStatusChangeNotification n;
    auto [previous, current] = TransitionOf(kind);
    n.set_component_id(Bounded(component));
    n.set_previous_status(previous);
    n.set_current_status(current);
    n.set_timestamp(event->occurred_at);
    n.set_details(BoundedDetails(kind + ": " + detail));
    absl::StatusOr<int64_t> id =
        outbox_.Enqueue(kNetworkStatusChange, component, n.SerializeAsString());
    if (!id.ok()) return id.status();
    absl::StatusOr<store::JournalEntry> watched = journal_.Append(
        {0, "", store::kJournalNetworkEvent, component, previous, current, "", n.details()});
    if (!watched.ok()) return watched.status();
    return absl::OkStatus();
  });
}

absl::Status Notifier::CompleteAll(const std::vector<core::CompletionRecord>& batch) {
  if (batch.empty()) return absl::OkStatus();
  return InTransaction([&]() -> absl::Status {
    for (const auto& c : batch) {
      api::v1::CompleteNetworkSettingRequest req;
      req.set_request_id(Bounded(c.request_id));
      req.set_status(c.result == core::Completion::kOk ? api::v1::CompleteNetworkSettingRequest::OK
                     : c.result == core::Completion::kTimeout
                         ? api::v1::CompleteNetworkSettingRequest::TIMEOUT
                         : api::v1::CompleteNetworkSettingRequest::ERROR);
      req.set_details(BoundedDetails(c.details));
      absl::StatusOr<int64_t> id =
          outbox_.Enqueue(kCompleteNetworkSetting, Bounded(c.pod), req.SerializeAsString());
      if (!id.ok()) return id.status();
      absl::StatusOr<store::JournalEntry> watched = journal_.Append(
          {0, "", store::kJournalPodCompletion, c.pod, "",
           api::v1::CompleteNetworkSettingRequest::Status_Name(req.status()), "", req.details()});
      if (!watched.ok()) return watched.status();
    }
    return absl::OkStatus();
  });
}

absl::Status Notifier::ServiceStatusChanged(const std::string& service_id,
                                            const std::string& previous, const std::string& current,
                                            const std::string& details) {
  api::v1::ServiceStatusChangeNotification n;
  n.set_service_id(Bounded(service_id));
  n.set_previous_status(Bounded(previous));
  n.set_current_status(Bounded(current));
  n.set_timestamp(FormatIso8601Utc(clock_.Now()));
  n.set_details(BoundedDetails(details));
  return InTransaction([&]() -> absl::Status {
    absl::StatusOr<int64_t> id =
        outbox_.Enqueue(kServiceStatusChange, service_id, n.SerializeAsString());
    if (!id.ok()) return id.status();
    absl::StatusOr<store::JournalEntry> watched = journal_.Append(
        {0, "", store::kJournalServiceHealth, service_id, previous, current, "", n.details()});
    if (!watched.ok()) return watched.status();
    return absl::OkStatus();
  });
}

absl::Status Notifier::Publish(const security::SecurityEvent& e) {
  return InTransaction([&]() -> absl::Status {
    absl::StatusOr<store::SecurityEventRow> row = security_events_.Append(
        {0, "", std::string(security::SeverityName(e.severity)), e.event_type, e.source,
         e.destination, e.rule, e.packets, e.details});
    if (!row.ok()) return row.status();
    api::v1::SecurityEventNotification n;
    n.set_severity(
        e.severity == security::Severity::kCritical  ? api::v1::SecurityEventNotification::CRITICAL
        : e.severity == security::Severity::kWarning ? api::v1::SecurityEventNotification::WARNING
                                                     : api::v1::SecurityEventNotification::INFO);
    n.set_event_type(Bounded(e.event_type));
    n.set_source(Bounded(e.source));
    n.set_destination(Bounded(e.destination));
    n.set_timestamp(row->occurred_at);
    n.set_details(BoundedDetails(StrCat("rule ", e.rule, ", ", e.packets, " packet",
                                        e.packets == 1 ? "" : "s", ": ", e.details)));
    absl::StatusOr<int64_t> id = outbox_.Enqueue(kSecurityEvent, e.source, n.SerializeAsString());
    if (!id.ok()) return id.status();
    absl::StatusOr<store::JournalEntry> watched =
        journal_.Append({0, "", store::kJournalSecurityEvent, e.source, "", e.event_type,
                         std::string(security::SeverityName(e.severity)),
                         StrCat(e.destination, ": ", n.details())});
    if (!watched.ok()) return watched.status();
    return absl::OkStatus();
  });
}

absl::Status Notifier::Enqueue(const std::string& kind, const std::string& component,
                               const google::protobuf::Message& request) {
  return InTransaction([&]() -> absl::Status {
    absl::StatusOr<int64_t> id = outbox_.Enqueue(kind, component, request.SerializeAsString());
    if (!id.ok()) return id.status();
    return absl::OkStatus();
  });
}

}  // namespace pharos::callbacks
