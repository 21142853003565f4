// pharos-ecu-sim's run-time control: one line in, one line out, over a
// unix socket (`pharos-ecu-sim ctl`). What a test or a demo changes while
// a tester is connected: inject and clear DTCs, set DIDs, force NRCs and
// delays, read an ECU's counters.
//
//   inject ECU DTC [STATUS]    clear ECU            set ECU DID VALUE
//   nrc ECU SID NRC|off        delay ECU MS [PENDING_MS]
//   stats ECU                  list
//
// ECU: its name or logical address, optionally "entity/ECU". Replies
// "ok", "ok <json>" or "error: <why>".
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sovd/common/asio.h"
#include "sovd/sim/doip_entity.h"

namespace pharos::sovd::sim {

std::string ExecuteControl(const std::vector<DoipEntity*>& entities, const std::string& line);

class ControlServer {
 public:
  ControlServer(asio::io_context& io, std::vector<DoipEntity*> entities);
  ~ControlServer();
  absl::Status Listen(const std::string& path);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The client side: sends `line`, returns the reply.
absl::StatusOr<std::string> SendControl(const std::string& path, const std::string& line);

}  // namespace pharos::sovd::sim
