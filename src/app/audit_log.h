// The audit trail of the use cases: who called what, from where, with what
// outcome, as a log line and (when a store is given) a row of audit_log.
#pragma once

#include <string_view>

#include "absl/status/status.h"
#include "auth/permissions.h"
#include "store/security_store.h"

namespace pharos::app {

class AuditLog {
 public:
  // `rows` null: log lines only (unit tests).
  explicit AuditLog(store::AuditStore* rows) : rows_(rows) {}
  void Record(const auth::Permissions& who, std::string_view use_case, const absl::Status& outcome);

 private:
  store::AuditStore* rows_;  // thread-safe
};

}  // namespace pharos::app
