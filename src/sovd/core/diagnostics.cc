#include "sovd/core/diagnostics.h"

#include <spdlog/spdlog.h>

#include <map>
#include <set>

#include "common/fmt_absl.h"
#include "fmt/format.h"
#include "sovd/core/operations.h"

namespace pharos::sovd::core {
namespace {

std::string EcuList(const VehicleSpec& vehicle) {
  std::string out;
  for (const EcuEntry& e : vehicle.ecus) {
    out += fmt::format("{}{} (0x{:04X})", out.empty() ? "" : ", ", e.description.name,
                       e.description.logical_address);
  }
  return out.empty() ? "none" : out;
}

// Does this ECU's description know the DID / routine / DTC the command names?
bool Declares(const ecu::EcuDescription& d, const Ref& ref, bool routine) {
  if (!ref.name.empty()) {
    return routine ? d.FindRoutine(ref.name) != nullptr : d.FindDid(ref.name) != nullptr;
  }
  return ref.id && (routine ? d.FindRoutine(*ref.id) != nullptr : d.FindDid(*ref.id) != nullptr);
}

bool Concerns(const EcuEntry& e, const Command& c) {
  const ecu::EcuDescription& d = e.description;
  // An OBD-via-broker ECU answers data reads only.
  if (e.from_broker && c.kind != CommandKind::kReadDataById) return false;
  if (auto* a = std::get_if<ReadDataArgs>(&c.args)) {
    for (const Ref& ref : a->dids) {
      if (!Declares(d, ref, false)) return false;
    }
    return true;
  }
  if (auto* a = std::get_if<FreezeFrameArgs>(&c.args)) return d.FindDtc(a->dtc) != nullptr;
  return true;
}

// A named reference must resolve on the ECU it is sent to.
absl::Status CheckRefs(const ecu::EcuDescription& d, const Command& c) {
  auto check = [&](const Ref& ref, bool routine) -> absl::Status {
    if (ref.name.empty() || Declares(d, ref, routine)) return absl::OkStatus();
    std::string known;
    if (routine) {
      for (const auto& r : d.routines) known += (known.empty() ? "" : ", ") + r.name;
    } else {
      for (const auto& x : d.dids) known += (known.empty() ? "" : ", ") + x.name;
    }
    return absl::NotFoundError(fmt::format("ECU {} has no {} {}; it has: {}", d.name,
                                           routine ? "routine" : "DID", ref.Text(),
                                           known.empty() ? "none" : known));
  };
  if (auto* a = std::get_if<ReadDataArgs>(&c.args)) {
    for (const Ref& ref : a->dids) {
      if (absl::Status s = check(ref, false); !s.ok()) return s;
    }
  }
  if (auto* a = std::get_if<WriteDataArgs>(&c.args)) {
    if (absl::Status s = check(a->did, false); !s.ok()) return s;
    if (!a->raw && !Declares(d, a->did, false)) {
      return absl::NotFoundError(fmt::format(
          "ECU {} does not describe DID {}: give the value as raw hex bytes (raw: true)", d.name,
          a->did.Text()));
    }
  }
  if (auto* a = std::get_if<RoutineArgs>(&c.args)) return check(a->routine, true);
  if (auto* a = std::get_if<SecurityArgs>(&c.args)) {
    if (!d.FindSecurity(a->level)) {
      return absl::NotFoundError(fmt::format(
          "ECU {} has no security level 0x{:02X} in its description", d.name, a->level));
    }
  }
  return absl::OkStatus();
}

bool NeedsEcu(CommandKind kind) {
  return kind == CommandKind::kWriteDataById || kind == CommandKind::kRoutineControl ||
         kind == CommandKind::kSecurityAccess;
}

}  // namespace

struct Diagnostics::Vehicle {
  const VehicleSpec& spec;
  std::vector<std::unique_ptr<transport::DoipConnection>> connections;
  std::vector<std::unique_ptr<transport::UdsClient>> clients;  // one per entity
  std::map<uint16_t, uint8_t> sessions;                        // ECUs kept out of default
  std::unique_ptr<asio::steady_timer> keeper;
  SignalSource* signals = nullptr;  // OBD via pharos-broker
};

struct Diagnostics::Run : RunningCommand, std::enable_shared_from_this<Run> {
  Run(Diagnostics& owner, Command command, std::shared_ptr<ResultSink> sink, Vehicle& vehicle,
      std::vector<const EcuEntry*> targets)
      : owner(owner),
        command(std::move(command)),
        sink(std::move(sink)),
        vehicle(vehicle),
        targets(std::move(targets)) {}

  void Cancel() override {
    asio::post(owner.io_, [self = shared_from_this()] { self->call.Cancel(); });
  }

  Diagnostics& owner;
  Command command;
  std::shared_ptr<ResultSink> sink;
  Vehicle& vehicle;
  std::vector<const EcuEntry*> targets;
  transport::CallContext call;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
};

Diagnostics::Diagnostics(const SovdConfig& config, std::map<std::string, SignalSource*> signals)
    : config_(config) {
  for (const VehicleSpec& spec : config_.vehicles) {
    auto it = signals.find(spec.id);
    auto vehicle = std::make_unique<Vehicle>(
        Vehicle{spec, {}, {}, {}, nullptr, it == signals.end() ? nullptr : it->second});
    for (const transport::ConnectionOptions& entity : spec.entities) {
      vehicle->connections.push_back(
          std::make_unique<transport::DoipConnection>(io_.get_executor(), entity));
      vehicle->clients.push_back(
          std::make_unique<transport::UdsClient>(*vehicle->connections.back(), config_.uds));
    }
    vehicle->keeper = std::make_unique<asio::steady_timer>(io_);
    asio::co_spawn(io_, KeepSessions(*vehicle), asio::detached);
    vehicles_.push_back(std::move(vehicle));
  }
  work_ = std::make_unique<asio::executor_work_guard<asio::io_context::executor_type>>(
      io_.get_executor());
  thread_ = std::thread([this] { io_.run(); });
}

Diagnostics::~Diagnostics() {
  // Let every coroutine end while the connections still exist: stop the
  // keepers, close the connections (their loops end, their waiters fail).
  asio::post(io_, [this] {
    stopping_ = true;
    for (Run* run : running_) run->call.Cancel();  // so nothing reconnects on the way out
    for (auto& vehicle : vehicles_) {
      vehicle->keeper->cancel();
      for (auto& connection : vehicle->connections) connection->Close();
    }
  });
  work_.reset();
  thread_.join();
}

absl::StatusOr<std::vector<const EcuEntry*>> Diagnostics::Targets(const VehicleSpec& vehicle,
                                                                  const Command& command) const {
  std::vector<const EcuEntry*> targets;
  if (command.ecu) {
    const EcuEntry* ecu = vehicle.FindEcu(*command.ecu);
    if (!ecu) {
      return absl::NotFoundError(fmt::format("vehicle {} has no ECU 0x{:04X}; its ECUs: {}",
                                             vehicle.id, *command.ecu, EcuList(vehicle)));
    }
    if (absl::Status s = CheckRefs(ecu->description, command); !s.ok()) return s;
    targets.push_back(ecu);
    return targets;
  }
  if (NeedsEcu(command.kind)) {
    return absl::InvalidArgumentError(fmt::format("{} changes one ECU: give ecuAddress (one of {})",
                                                  CommandName(command.kind), EcuList(vehicle)));
  }
  for (const EcuEntry& ecu : vehicle.ecus) {
    if (Concerns(ecu, command)) targets.push_back(&ecu);
  }
  if (targets.empty()) {
    return absl::NotFoundError(fmt::format("no ECU of vehicle {} declares what {} asks for",
                                           vehicle.id, CommandName(command.kind)));
  }
  return targets;
}

absl::StatusOr<std::shared_ptr<RunningCommand>> Diagnostics::Start(
    Command command, std::shared_ptr<ResultSink> sink) {
  Vehicle* vehicle = nullptr;
  for (auto& v : vehicles_) {
    if (v->spec.id == command.vehicle_id) vehicle = v.get();
  }
  if (!vehicle) {
    return absl::NotFoundError(fmt::format("vehicle {} is not served here", command.vehicle_id));
  }
  absl::StatusOr<std::vector<const EcuEntry*>> targets = Targets(vehicle->spec, command);
  if (!targets.ok()) return targets.status();
  std::chrono::milliseconds timeout = config_.TimeoutFor(command.kind);
  if (command.timeout && *command.timeout < timeout) timeout = *command.timeout;
  auto run = std::make_shared<Run>(*this, std::move(command), std::move(sink), *vehicle,
                                   std::move(*targets));
  run->call.deadline = run->started + timeout;
  asio::co_spawn(io_, Execute(run), asio::detached);
  return run;
}

awaitable<void> Diagnostics::Execute(std::shared_ptr<Run> run) {
  running_.insert(run.get());
  if (stopping_) run->call.Cancel();
  absl::Status status;
  for (size_t i = 0; i < run->targets.size(); ++i) {
    const EcuEntry* ecu = run->targets[i];
    if (stopping_) {
      status = absl::UnavailableError("pharos-sovd is shutting down");
      break;
    }
    transport::UdsClient* client =
        ecu->from_broker ? nullptr : run->vehicle.clients[ecu->entity].get();
    Operation op{client, run->vehicle.signals, *ecu, run->call, run->vehicle.sessions};
    absl::StatusOr<Report> report = co_await RunOperation(op, run->command);
    if (!report.ok()) {
      status = report.status();
      break;
    }
    run->sink->OnResult(
        EcuResult{ecu->description.name, ecu->description.logical_address, std::move(*report)},
        i + 1 == run->targets.size());
  }
  running_.erase(run.get());
  // (A cancel that came after the last ECU answered changes nothing: every
  // chunk, the final one included, is already out.)
  if (stopping_ && absl::IsCancelled(status)) {
    status = absl::UnavailableError("pharos-sovd is shutting down");
  }
  run->sink->OnDone(status);
}

awaitable<void> Diagnostics::KeepSessions(Vehicle& vehicle) {
  while (!stopping_) {
    vehicle.keeper->expires_after(config_.tester_present_interval);
    boost::system::error_code ec;
    co_await vehicle.keeper->async_wait(asio::redirect_error(use_awaitable, ec));
    if (stopping_) break;
    for (auto [address, session] : std::map(vehicle.sessions)) {
      const EcuEntry* ecu = vehicle.spec.FindEcu(address);
      if (!ecu || ecu->from_broker) continue;
      transport::CallContext call;
      call.deadline = std::chrono::steady_clock::now() + config_.tester_present_interval;
      transport::EcuRef ref{ecu->description.name, address};
      absl::Status s = co_await vehicle.clients[ecu->entity]->SendSuppressed(
          ref, uds::TesterPresent(true), call);
      if (!s.ok()) {
        spdlog::warn("tester present to {} failed ({}): its session 0x{:02X} is given up",
                     ref.Text(), s.message(), session);
        vehicle.sessions.erase(address);
      }
    }
  }
}

}  // namespace pharos::sovd::core
