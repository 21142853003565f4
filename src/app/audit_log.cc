#include "app/audit_log.h"

#include <spdlog/spdlog.h>

#include "common/strings.h"

namespace pharos::app {

void AuditLog::Record(const auth::Permissions& who, std::string_view use_case,
                      const absl::Status& outcome) {
  std::string result =
      outcome.ok() ? "OK"
                   : StrCat(absl::StatusCodeToString(outcome.code()), ": ", outcome.message());
  std::string role(auth::RoleName(who.role()));
  spdlog::info("audit: {} ({}) {} from {}: {}", who.subject(), role, use_case, who.peer(), result);
  if (!rows_) return;
  absl::StatusOr<store::AuditRow> row =
      rows_->Append({0, "", who.subject(), role, std::string(use_case), who.peer(), result});
  if (!row.ok()) spdlog::error("audit log: {}", std::string(row.status().message()));
}

}  // namespace pharos::app
