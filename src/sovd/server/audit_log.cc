#include "sovd/server/audit_log.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/text.h"
#include "fmt/format.h"

namespace pharos::sovd::server {

absl::StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(const std::string& path) {
  int fd = -1;
  if (!path.empty()) {
    fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) {
      return absl::UnavailableError(
          fmt::format("cannot open --audit-log {}: {}", path, std::strerror(errno)));
    }
  }
  return std::unique_ptr<AuditLog>(new AuditLog(fd));
}

AuditLog::~AuditLog() {
  if (fd_ >= 0) ::close(fd_);
}

std::string AuditLog::Line(const core::AuditRecord& r) {
  nlohmann::json line = {
      {"time", FormatIso8601Utc(r.time)},
      {"front_end", r.front_end},
      {"caller", r.caller},
      {"command_id", Truncated(r.command_id, 128)},
      {"vehicle_id", Truncated(r.vehicle_id, 128)},
      {"command", Truncated(r.command, 128)},
      {"ecu", Truncated(r.ecu, 64)},
      {"result", absl::StatusCodeToString(r.code)},
      {"chunks", r.chunks},
      {"took_ms", r.took.count()},
  };
  if (!r.message.empty()) line["message"] = Truncated(r.message, 1024);
  // Caller-supplied text may be invalid UTF-8: replace rather than throw.
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

void AuditLog::Record(const core::AuditRecord& record) {
  std::string line = Line(record);
  spdlog::info("audit: {}", std::string_view(line.data(), line.size() - 1));
  if (fd_ < 0) return;
  if (::write(fd_, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
    spdlog::error("audit log write failed: {}", std::strerror(errno));
  }
}

}  // namespace pharos::sovd::server
