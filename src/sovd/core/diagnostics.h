// The diagnostics core: runs commands against the configured vehicles over
// UDS on DoIP, one ECU after the other in the vehicle's order, streaming
// one typed result per ECU to the caller's sink. Keeps one DoIP connection
// per entity, tester present on every ECU left in a non-default session,
// and a command's deadline and cancellation down to the ECU's turn. All
// ECU work runs on one I/O thread; Start and Cancel may be called from any
// thread, the sink is called on the I/O thread.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <thread>

#include "absl/status/statusor.h"
#include "sovd/common/asio.h"
#include "sovd/core/command.h"
#include "sovd/core/result.h"
#include "sovd/core/signal_source.h"
#include "sovd/core/vehicle_config.h"

namespace pharos::sovd::core {

class ResultSink {
 public:
  virtual ~ResultSink() = default;
  // `last`: no further result follows (the front end marks it final).
  virtual void OnResult(EcuResult result, bool last) = 0;
  virtual void OnDone(absl::Status status) = 0;  // exactly once, last
};

class RunningCommand {
 public:
  virtual ~RunningCommand() = default;
  virtual void Cancel() = 0;  // the ECU work stops; the sink gets CANCELLED
};

class Diagnostics {
 public:
  // `signals`: the broker of each vehicle with OBD-via-broker ECUs, by
  // vehicle id (owned by the caller, outliving this).
  explicit Diagnostics(const SovdConfig& config, std::map<std::string, SignalSource*> signals = {});
  ~Diagnostics();
  Diagnostics(const Diagnostics&) = delete;

  // Checks the command against the configuration (NOT_FOUND: unknown
  // vehicle, ECU, DID, routine; INVALID_ARGUMENT: a command that needs an
  // ECU without one) and starts it. Validation errors are returned, not
  // sent to the sink.
  absl::StatusOr<std::shared_ptr<RunningCommand>> Start(Command command,
                                                        std::shared_ptr<ResultSink> sink);

  const SovdConfig& config() const { return config_; }

 private:
  struct Vehicle;
  struct Run;
  absl::StatusOr<std::vector<const EcuEntry*>> Targets(const VehicleSpec& vehicle,
                                                       const Command& command) const;
  awaitable<void> Execute(std::shared_ptr<Run> run);
  awaitable<void> KeepSessions(Vehicle& vehicle);

  const SovdConfig& config_;
  // Outlives the sockets below; the destructor lets every coroutine end
  // (runs cancelled, connections closed) before they go.
  asio::io_context io_;
  std::vector<std::unique_ptr<Vehicle>> vehicles_;
  std::unique_ptr<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::thread thread_;
  bool stopping_ = false;  // I/O thread
  std::set<Run*> running_;  // I/O thread: cancelled when this goes
};

}  // namespace pharos::sovd::core
