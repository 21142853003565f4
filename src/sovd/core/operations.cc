#include "sovd/core/operations.h"

#include <algorithm>

#include "common/fmt_absl.h"
#include "fmt/format.h"
#include "sovd/ecu/key_algorithm.h"

namespace pharos::sovd::core {
namespace {

using transport::EcuRef;

EcuRef RefOf(const Operation& op) {
  return {op.ecu.description.name, op.ecu.description.logical_address};
}

// The answer, positive, or the status its NRC maps to.
awaitable<absl::StatusOr<uds::Response>> Ask(Operation& op, const uds::Bytes& request) {
  absl::StatusOr<uds::Response> r = co_await op.client->Exchange(RefOf(op), request, op.call);
  if (r.ok() && !r->positive) co_return transport::NegativeStatus(RefOf(op), *r);
  co_return r;
}

absl::Status Malformed(const Operation& op, const absl::Status& why) {
  return absl::InternalError(
      fmt::format("{} answered in a way Pharos cannot read: {}", RefOf(op).Text(), why.message()));
}

std::optional<uint16_t> Resolve(const ecu::EcuDescription& d, const Ref& ref) {
  if (!ref.name.empty()) {
    const ecu::DidSpec* did = d.FindDid(ref.name);
    return did ? std::optional<uint16_t>(did->id) : std::nullopt;
  }
  return ref.id;
}

DataEntry Entry(const ecu::EcuDescription& d, uint16_t id, uds::Bytes raw) {
  DataEntry entry{id, "", "", std::move(raw), std::nullopt};
  if (const ecu::DidSpec* spec = d.FindDid(id)) {
    entry.name = spec->name;
    entry.unit = spec->unit;
    if (absl::StatusOr<ecu::PhysicalValue> v = ecu::DecodeDid(*spec, entry.raw); v.ok()) {
      entry.value = std::move(*v);
    }
  }
  return entry;
}

uds::DidLengths LengthsOf(const ecu::EcuDescription& d) {
  return [&d](uint16_t id) -> std::optional<size_t> {
    const ecu::DidSpec* spec = d.FindDid(id);
    return spec ? std::optional<size_t>(spec->length) : std::nullopt;
  };
}

DtcEntry DtcOf(const ecu::EcuDescription& d, uint32_t dtc, uint8_t status) {
  const ecu::DtcSpec* spec = d.FindDtc(dtc);
  return {dtc, status, spec ? spec->description : ""};
}

awaitable<absl::StatusOr<Report>> ReadDtc(Operation& op, const ReadDtcArgs& a) {
  auto r = co_await Ask(op, uds::ReadDtcByStatusMask(a.status_mask));
  if (!r.ok()) co_return r.status();
  absl::StatusOr<uds::DtcList> list = uds::ParseDtcByStatusMask(*r);
  if (!list.ok()) co_return Malformed(op, list.status());
  DtcReport report{a.status_mask, list->availability_mask, {}};
  for (const uds::DtcRecord& record : list->dtcs) {
    report.dtcs.push_back(DtcOf(op.ecu.description, record.dtc, record.status));
  }
  co_return report;
}

awaitable<absl::StatusOr<Report>> ClearDtc(Operation& op, const ClearDtcArgs& a) {
  auto r = co_await Ask(op, uds::ClearDiagnosticInformation(a.group));
  if (!r.ok()) co_return r.status();
  co_return ClearReport{a.group};
}

awaitable<absl::StatusOr<Report>> ReadData(Operation& op, const ReadDataArgs& a) {
  const ecu::EcuDescription& d = op.ecu.description;
  std::vector<uint16_t> dids;
  for (const Ref& ref : a.dids) dids.push_back(*Resolve(d, ref));  // checked at Start
  auto r = co_await Ask(op, uds::ReadDataByIdentifier(dids));
  if (!r.ok()) co_return r.status();
  auto records = uds::ParseReadDataByIdentifier(*r, dids, LengthsOf(d));
  if (!records.ok()) co_return Malformed(op, records.status());
  DataReport report;
  for (uds::DataRecord& record : *records) {
    report.values.push_back(Entry(d, record.did, std::move(record.data)));
  }
  co_return report;
}

awaitable<absl::StatusOr<Report>> WriteData(Operation& op, const WriteDataArgs& a) {
  const ecu::EcuDescription& d = op.ecu.description;
  uint16_t id = *Resolve(d, a.did);
  const ecu::DidSpec* spec = d.FindDid(id);
  absl::StatusOr<uds::Bytes> data;
  if (a.raw) {
    data = uds::ParseHex(a.value);
  } else {
    absl::StatusOr<ecu::PhysicalValue> value = ecu::ValueFromText(*spec, a.value);
    data = value.ok() ? ecu::EncodeDid(*spec, *value) : absl::StatusOr<uds::Bytes>(value.status());
  }
  if (!data.ok()) co_return data.status();
  if (spec && !spec->write) {
    co_return absl::FailedPreconditionError(
        fmt::format("DID 0x{:04X} ({}) of ECU {} is read-only", id, spec->name, d.name));
  }
  auto r = co_await Ask(op, uds::WriteDataByIdentifier(id, *data));
  if (!r.ok()) co_return r.status();
  co_return WriteReport{id, spec ? spec->name : ""};
}

awaitable<absl::StatusOr<Report>> FreezeFrame(Operation& op, const FreezeFrameArgs& a) {
  const ecu::EcuDescription& d = op.ecu.description;
  auto r = co_await Ask(op, uds::ReadDtcSnapshotByDtc(a.dtc, a.record));
  if (!r.ok()) co_return r.status();
  absl::StatusOr<uds::Snapshot> snap = uds::ParseSnapshotResponse(*r, LengthsOf(d));
  if (!snap.ok()) co_return Malformed(op, snap.status());
  FreezeFrameReport report{DtcOf(d, snap->dtc, snap->status), {}};
  for (uds::SnapshotRecord& record : snap->records) {
    FreezeFrameRecord out{record.number, {}};
    for (uds::DataRecord& value : record.values) {
      out.values.push_back(Entry(d, value.did, std::move(value.data)));
    }
    report.records.push_back(std::move(out));
  }
  co_return report;
}

awaitable<absl::StatusOr<Report>> Routine(Operation& op, const RoutineArgs& a) {
  const ecu::EcuDescription& d = op.ecu.description;
  const ecu::RoutineSpec* spec =
      !a.routine.name.empty() ? d.FindRoutine(a.routine.name) : d.FindRoutine(*a.routine.id);
  uint16_t id = spec ? spec->id : *a.routine.id;
  auto r = co_await Ask(op, uds::RoutineControl(a.action, id, a.option));
  if (!r.ok()) co_return r.status();
  absl::StatusOr<uds::RoutineResult> result = uds::ParseRoutineResponse(*r);
  if (!result.ok()) co_return Malformed(op, result.status());
  co_return RoutineReport{id, spec ? spec->name : "", a.action, std::move(result->status_record)};
}

awaitable<absl::StatusOr<Report>> Reset(Operation& op, const ResetArgs& a) {
  auto r = co_await Ask(op, uds::EcuReset(a.type));
  if (!r.ok()) co_return r.status();
  op.sessions.erase(op.ecu.description.logical_address);  // a reset ends any session
  co_return ResetReport{a.type};
}

awaitable<absl::StatusOr<Report>> Session(Operation& op, const SessionArgs& a) {
  auto r = co_await Ask(op, uds::DiagnosticSessionControl(a.session));
  if (!r.ok()) co_return r.status();
  absl::StatusOr<uds::SessionTiming> timing = uds::ParseSessionResponse(*r);
  if (!timing.ok()) co_return Malformed(op, timing.status());
  uint16_t address = op.ecu.description.logical_address;
  bool keep = a.session != uds::kDefaultSession;
  if (keep) {
    op.sessions[address] = a.session;
  } else {
    op.sessions.erase(address);
  }
  co_return SessionReport{timing->session, timing->p2_ms, timing->p2_star_ms, keep};
}

awaitable<absl::StatusOr<Report>> Security(Operation& op, const SecurityArgs& a) {
  const ecu::SecurityLevel* level = op.ecu.description.FindSecurity(a.level);
  auto seed = co_await Ask(op, uds::SecurityAccessRequestSeed(a.level));
  if (!seed.ok()) co_return seed.status();
  absl::StatusOr<uds::Bytes> bytes = uds::ParseSecuritySeed(*seed, a.level);
  if (!bytes.ok()) co_return Malformed(op, bytes.status());
  if (std::all_of(bytes->begin(), bytes->end(), [](uint8_t b) { return b == 0; })) {
    co_return SecurityReport{a.level, true};
  }
  absl::StatusOr<uds::Bytes> key = ecu::ComputeKey(*level, *bytes);
  if (!key.ok()) {
    co_return absl::InternalError(fmt::format("computing the key for {} failed: {}",
                                              RefOf(op).Text(), key.status().message()));
  }
  auto unlocked = co_await Ask(op, uds::SecurityAccessSendKey(a.level, *key));
  if (!unlocked.ok()) co_return unlocked.status();
  co_return SecurityReport{a.level, false};
}

// An OBD-via-broker ECU: each DID is the VSS signal its description names,
// read from pharos-broker, encoded back into the DID's bytes for `raw`.
awaitable<absl::StatusOr<Report>> ReadFromBroker(Operation& op, const ReadDataArgs& a) {
  const ecu::EcuDescription& d = op.ecu.description;
  std::vector<const ecu::DidSpec*> specs;
  std::vector<std::string> paths;
  for (const Ref& ref : a.dids) {
    const ecu::DidSpec* spec = !ref.name.empty() ? d.FindDid(ref.name) : d.FindDid(*ref.id);
    if (!spec) {
      co_return absl::NotFoundError(fmt::format(
          "OBD ECU {} declares no DID {}: only described DIDs map to signals", d.name, ref.Text()));
    }
    specs.push_back(spec);
    paths.push_back(spec->vss);
  }
  auto values = co_await op.signals->Read(paths, op.call);
  if (!values.ok()) co_return values.status();
  DataReport report;
  for (size_t i = 0; i < specs.size(); ++i) {
    const std::optional<ecu::PhysicalValue>& value = (*values)[i];
    if (!value) {
      co_return absl::UnavailableError(
          fmt::format("{} has no value for {} yet (no provider has published it)",
                      op.signals->Describe(), paths[i]));
    }
    DataEntry entry{specs[i]->id, specs[i]->name, specs[i]->unit, {}, *value};
    if (absl::StatusOr<uds::Bytes> raw = ecu::EncodeDid(*specs[i], *value); raw.ok()) {
      entry.raw = std::move(*raw);
    }
    report.values.push_back(std::move(entry));
  }
  co_return report;
}

}  // namespace

awaitable<absl::StatusOr<Report>> RunOperation(Operation& op, const Command& c) {
  if (op.ecu.from_broker) {
    if (c.kind == CommandKind::kReadDataById) {
      co_return co_await ReadFromBroker(op, std::get<ReadDataArgs>(c.args));
    }
    co_return absl::UnimplementedError(fmt::format(
        "ECU {} is answered from pharos-broker's OBD signals: {} is not served for it, only "
        "ReadDataByID",
        op.ecu.description.name, CommandName(c.kind)));
  }
  switch (c.kind) {
    case CommandKind::kReadDtc:
      co_return co_await ReadDtc(op, std::get<ReadDtcArgs>(c.args));
    case CommandKind::kClearDtc:
      co_return co_await ClearDtc(op, std::get<ClearDtcArgs>(c.args));
    case CommandKind::kReadDataById:
      co_return co_await ReadData(op, std::get<ReadDataArgs>(c.args));
    case CommandKind::kWriteDataById:
      co_return co_await WriteData(op, std::get<WriteDataArgs>(c.args));
    case CommandKind::kReadFreezeFrame:
      co_return co_await FreezeFrame(op, std::get<FreezeFrameArgs>(c.args));
    case CommandKind::kRoutineControl:
      co_return co_await Routine(op, std::get<RoutineArgs>(c.args));
    case CommandKind::kEcuReset:
      co_return co_await Reset(op, std::get<ResetArgs>(c.args));
    case CommandKind::kDiagnosticSession:
      co_return co_await Session(op, std::get<SessionArgs>(c.args));
    case CommandKind::kSecurityAccess:
      co_return co_await Security(op, std::get<SecurityArgs>(c.args));
  }
  co_return absl::InternalError("unknown command");
}

}  // namespace pharos::sovd::core
