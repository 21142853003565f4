// The audit trail: every command a front end received, who sent it, what
// it asked and how it ended, refused ones included.
#pragma once

#include <chrono>
#include <string>

#include "absl/status/status.h"

namespace pharos::sovd::core {

struct AuditRecord {
  std::chrono::system_clock::time_point time;
  std::string front_end;  // "grpc", "rest"
  std::string caller;     // the client certificate's identity, or the peer address
  std::string command_id;
  std::string vehicle_id;
  std::string command;  // the name as sent
  std::string ecu;      // "" for every ECU
  absl::StatusCode code = absl::StatusCode::kOk;
  std::string message;  // the status message when it failed
  int chunks = 0;
  std::chrono::milliseconds took{0};
};

class AuditSink {
 public:
  virtual ~AuditSink() = default;
  virtual void Record(const AuditRecord& record) = 0;  // any thread
};

}  // namespace pharos::sovd::core
