// The audit log: one JSON line per command, appended to a file with one
// write(2) each (O_APPEND, so concurrent lines never interleave and a
// crash loses at most the line being written), and to the process log.
#pragma once

#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "sovd/core/audit.h"

namespace pharos::sovd::server {

class AuditLog final : public core::AuditSink {
 public:
  // "" logs to the process log only.
  static absl::StatusOr<std::unique_ptr<AuditLog>> Open(const std::string& path);
  ~AuditLog() override;

  void Record(const core::AuditRecord& record) override;
  static std::string Line(const core::AuditRecord& record);

 private:
  explicit AuditLog(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace pharos::sovd::server
