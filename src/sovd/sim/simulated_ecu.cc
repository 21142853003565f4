#include "sovd/sim/simulated_ecu.h"

#include <algorithm>

#include "common/fmt_absl.h"
#include "fmt/format.h"
#include "sovd/ecu/key_algorithm.h"
#include "sovd/uds/uds_message.h"

namespace pharos::sovd::sim {
namespace {

namespace nrc = uds::nrc;

Bytes Negative(uint8_t service, uint8_t code) { return {uds::kNegativeResponse, service, code}; }
Bytes Positive(uint8_t service) { return {static_cast<uint8_t>(service + uds::kPositiveOffset)}; }
uint16_t Get16(std::span<const uint8_t> b, size_t at) {
  return static_cast<uint16_t>(b[at] << 8 | b[at + 1]);
}
uint32_t Get24(std::span<const uint8_t> b, size_t at) {
  return static_cast<uint32_t>(b[at]) << 16 | Get16(b, at + 1);
}
void Put16(Bytes& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}
void Put24(Bytes& out, uint32_t v) {
  out.push_back(static_cast<uint8_t>(v >> 16));
  Put16(out, static_cast<uint16_t>(v));
}

constexpr uint8_t kSid(uds::Service s) { return static_cast<uint8_t>(s); }

// The status bits this ECU supports (all eight).
constexpr uint8_t kAvailabilityMask = 0xFF;

}  // namespace

SimulatedEcu::SimulatedEcu(ecu::EcuDescription description, const Clock& clock)
    : description_(std::move(description)), clock_(clock), last_request_(clock.Monotonic()) {
  for (const ecu::DidSpec& did : description_.dids) dids_[did.id] = did.initial;
  for (const ecu::DtcSpec& dtc : description_.dtcs) {
    if (dtc.status == 0) continue;
    StoredDtc& stored = dtcs_[dtc.dtc];
    stored.status = dtc.status;
    Capture(dtc.dtc, stored);
  }
  forced_nrc_ = description_.simulation.nrc;
  delay_ = std::chrono::milliseconds(description_.simulation.response_delay_ms);
  pending_ = std::chrono::milliseconds(description_.simulation.response_pending_ms);
}

void SimulatedEcu::Capture(uint32_t dtc, StoredDtc& stored) {
  stored.snapshot.clear();
  if (const ecu::DtcSpec* spec = description_.FindDtc(dtc)) {
    for (uint16_t did : spec->snapshot_dids) stored.snapshot.emplace_back(did, dids_[did]);
  }
}

void SimulatedEcu::ExpireSession() {
  auto now = clock_.Monotonic();
  if (session_ != uds::kDefaultSession &&
      now - last_request_ > std::chrono::milliseconds(description_.simulation.s3_timeout_ms)) {
    session_ = uds::kDefaultSession;
    unlocked_level_ = 0;
    pending_seed_.reset();
  }
  last_request_ = now;
}

std::vector<Reply> SimulatedEcu::Handle(std::span<const uint8_t> request) {
  std::lock_guard lock(mu_);
  if (request.empty()) return {};
  ++stats_.requests[request[0]];
  ExpireSession();
  std::vector<Reply> replies;
  auto forced = forced_nrc_.find(request[0]);
  if (forced != forced_nrc_.end()) {
    replies.push_back({Negative(request[0], forced->second), delay_});
    return replies;
  }
  std::optional<Bytes> answer = Dispatch(request);
  if (!answer) return replies;
  if (pending_.count() > 0 && request[0] != kSid(uds::Service::kTesterPresent)) {
    // NRC 0x78 now and again every 2 s (well inside P2*), then the answer.
    for (auto t = std::chrono::milliseconds(0); t < pending_; t += std::chrono::seconds(2)) {
      replies.push_back({Negative(request[0], nrc::kResponsePending), delay_ + t});
    }
    replies.push_back({std::move(*answer), delay_ + pending_});
  } else {
    replies.push_back({std::move(*answer), delay_});
  }
  return replies;
}

std::optional<Bytes> SimulatedEcu::Dispatch(std::span<const uint8_t> r) {
  uint8_t sid = r[0];
  switch (static_cast<uds::Service>(sid)) {
    case uds::Service::kDiagnosticSessionControl:
      return SessionControl(r);
    case uds::Service::kEcuReset:
      return Reset(r);
    case uds::Service::kClearDiagnosticInformation:
      return ClearDtc(r);
    case uds::Service::kReadDtcInformation:
      return ReadDtcInformation(r);
    case uds::Service::kReadDataByIdentifier:
      return ReadData(r);
    case uds::Service::kWriteDataByIdentifier:
      return WriteData(r);
    case uds::Service::kSecurityAccess:
      return SecurityAccess(r);
    case uds::Service::kRoutineControl:
      return RoutineControl(r);
    case uds::Service::kTesterPresent: {
      if (r.size() != 2) return Negative(sid, nrc::kIncorrectMessageLength);
      if ((r[1] & 0x7F) != 0) return Negative(sid, nrc::kSubFunctionNotSupported);
      if (r[1] & uds::kSuppressPositiveResponse) return std::nullopt;
      return Bytes{static_cast<uint8_t>(sid + uds::kPositiveOffset), 0x00};
    }
    case uds::Service::kControlDtcSetting: {
      if (r.size() < 2) return Negative(sid, nrc::kIncorrectMessageLength);
      if (session_ == uds::kDefaultSession)
        return Negative(sid, nrc::kServiceNotSupportedInSession);
      uint8_t sub = r[1] & 0x7F;
      if (sub != 0x01 && sub != 0x02) return Negative(sid, nrc::kSubFunctionNotSupported);
      if (r[1] & uds::kSuppressPositiveResponse) return std::nullopt;
      return Bytes{static_cast<uint8_t>(sid + uds::kPositiveOffset), sub};
    }
  }
  return Negative(sid, nrc::kServiceNotSupported);
}

std::optional<uint8_t> SimulatedEcu::Denied(const ecu::AccessRule& rule) const {
  if (rule.session != 0 && session_ != rule.session) return nrc::kConditionsNotCorrect;
  if (rule.security_level != 0 && unlocked_level_ != rule.security_level) {
    return nrc::kSecurityAccessDenied;
  }
  return std::nullopt;
}

Bytes SimulatedEcu::SessionControl(std::span<const uint8_t> r) {
  uint8_t sid = r[0];
  if (r.size() != 2) return Negative(sid, nrc::kIncorrectMessageLength);
  uint8_t session = r[1] & 0x7F;
  const auto& supported = description_.sessions;
  if (std::find(supported.begin(), supported.end(), session) == supported.end()) {
    return Negative(sid, nrc::kSubFunctionNotSupported);
  }
  if (session != session_) {
    unlocked_level_ = 0;  // a session change locks the ECU again
    pending_seed_.reset();
  }
  session_ = session;
  stats_.session = session;
  Bytes out = Positive(sid);
  out.push_back(session);
  Put16(out, 50);   // P2server_max: 50 ms
  Put16(out, 500);  // P2*server_max: 5000 ms in 10 ms units
  return out;
}

Bytes SimulatedEcu::Reset(std::span<const uint8_t> r) {
  uint8_t sid = r[0];
  if (r.size() != 2) return Negative(sid, nrc::kIncorrectMessageLength);
  uint8_t type = r[1] & 0x7F;
  if (type < 0x01 || type > 0x03) return Negative(sid, nrc::kSubFunctionNotSupported);
  session_ = uds::kDefaultSession;
  unlocked_level_ = 0;
  pending_seed_.reset();
  for (auto& [id, routine] : routines_) routine.running = false;
  ++stats_.resets;
  Bytes out = Positive(sid);
  out.push_back(type);
  return out;
}

Bytes SimulatedEcu::ClearDtc(std::span<const uint8_t> r) {
  uint8_t sid = r[0];
  if (r.size() != 4) return Negative(sid, nrc::kIncorrectMessageLength);
  uint32_t group = Get24(r, 1);
  if (group == uds::kAllDtcGroups) {
    dtcs_.clear();
  } else if (dtcs_.erase(group) == 0 && !description_.FindDtc(group)) {
    return Negative(sid, nrc::kRequestOutOfRange);
  }
  return Positive(sid);
}

Bytes SimulatedEcu::ReadDtcInformation(std::span<const uint8_t> r) {
  uint8_t sid = r[0];
  if (r.size() < 2) return Negative(sid, nrc::kIncorrectMessageLength);
  uint8_t sub = r[1] & 0x7F;
  Bytes out = Positive(sid);
  out.push_back(sub);
  if (sub == uds::kReportNumberOfDtcByStatusMask || sub == uds::kReportDtcByStatusMask) {
    if (r.size() != 3) return Negative(sid, nrc::kIncorrectMessageLength);
    uint8_t mask = r[2];
    out.push_back(kAvailabilityMask);
    uint16_t count = 0;
    Bytes records;
    for (const auto& [dtc, stored] : dtcs_) {
      if ((stored.status & mask) == 0) continue;
      ++count;
      Put24(records, dtc);
      records.push_back(stored.status);
    }
    if (sub == uds::kReportNumberOfDtcByStatusMask) {
      out.push_back(0x01);  // ISO 14229-1 DTC format
      Put16(out, count);
    } else {
      out.insert(out.end(), records.begin(), records.end());
    }
    return out;
  }
  if (sub == uds::kReportDtcSnapshotRecordByDtcNumber ||
      sub == uds::kReportDtcExtDataRecordByDtcNumber) {
    if (r.size() != 6) return Negative(sid, nrc::kIncorrectMessageLength);
    uint32_t dtc = Get24(r, 2);
    uint8_t record = r[5];
    auto it = dtcs_.find(dtc);
    if (it == dtcs_.end() && !description_.FindDtc(dtc)) {
      return Negative(sid, nrc::kRequestOutOfRange);
    }
    Put24(out, dtc);
    out.push_back(it == dtcs_.end() ? 0 : it->second.status);
    if (sub == uds::kReportDtcExtDataRecordByDtcNumber) {
      // One extended data record (0x01): the occurrence counter.
      if (it != dtcs_.end() && (record == 0x01 || record == 0xFF)) {
        out.push_back(0x01);
        out.push_back(1);
      }
      return out;
    }
    // Record 0x01 holds the snapshot taken when the DTC was set.
    if (it != dtcs_.end() && !it->second.snapshot.empty() && (record == 0x01 || record == 0xFF)) {
      out.push_back(0x01);
      out.push_back(static_cast<uint8_t>(it->second.snapshot.size()));
      for (const auto& [did, value] : it->second.snapshot) {
        Put16(out, did);
        out.insert(out.end(), value.begin(), value.end());
      }
    }
    return out;
  }
  return Negative(sid, nrc::kSubFunctionNotSupported);
}

Bytes SimulatedEcu::ReadData(std::span<const uint8_t> r) {
  uint8_t sid = r[0];
  if (r.size() < 3 || (r.size() - 1) % 2 != 0) return Negative(sid, nrc::kIncorrectMessageLength);
  Bytes out = Positive(sid);
  for (size_t at = 1; at + 2 <= r.size(); at += 2) {
    uint16_t did = Get16(r, at);
    auto it = dids_.find(did);
    if (it == dids_.end()) return Negative(sid, nrc::kRequestOutOfRange);
    Put16(out, did);
    out.insert(out.end(), it->second.begin(), it->second.end());
  }
  return out;
}

Bytes SimulatedEcu::WriteData(std::span<const uint8_t> r) {
  uint8_t sid = r[0];
  if (r.size() < 4) return Negative(sid, nrc::kIncorrectMessageLength);
  uint16_t id = Get16(r, 1);
  const ecu::DidSpec* did = description_.FindDid(id);
  if (!did || !did->write) return Negative(sid, nrc::kRequestOutOfRange);
  if (r.size() - 3 != did->length) return Negative(sid, nrc::kIncorrectMessageLength);
  if (auto denied = Denied(*did->write)) return Negative(sid, *denied);
  dids_[id].assign(r.begin() + 3, r.end());
  Bytes out = Positive(sid);
  Put16(out, id);
  return out;
}

Bytes SimulatedEcu::SecurityAccess(std::span<const uint8_t> r) {
  uint8_t sid = r[0];
  if (r.size() < 2) return Negative(sid, nrc::kIncorrectMessageLength);
  uint8_t sub = r[1] & 0x7F;
  bool request_seed = sub % 2 == 1;
  uint8_t level = request_seed ? sub : static_cast<uint8_t>(sub - 1);
  const ecu::SecurityLevel* spec = description_.FindSecurity(level);
  if (!spec) return Negative(sid, nrc::kSubFunctionNotSupported);
  if (session_ == uds::kDefaultSession) return Negative(sid, nrc::kServiceNotSupportedInSession);
  if (clock_.Monotonic() < locked_until_) return Negative(sid, nrc::kRequiredTimeDelayNotExpired);
  Bytes out = Positive(sid);
  out.push_back(sub);
  if (request_seed) {
    if (r.size() != 2) return Negative(sid, nrc::kIncorrectMessageLength);
    Bytes seed(spec->seed_length, 0);
    if (unlocked_level_ != level) {  // an unlocked level answers an all-zero seed
      uint64_t x = ++seed_counter_ * 0x9E3779B97F4A7C15ull ^ address();
      for (size_t i = 0; i < seed.size(); ++i)
        seed[i] = static_cast<uint8_t>(x >> (8 * (i % 8)) | 1);
      pending_seed_ = {level, seed};
    }
    out.insert(out.end(), seed.begin(), seed.end());
    return out;
  }
  if (!pending_seed_ || pending_seed_->first != level)
    return Negative(sid, nrc::kRequestSequenceError);
  absl::StatusOr<Bytes> expected = ecu::ComputeKey(*spec, pending_seed_->second);
  pending_seed_.reset();
  Bytes key(r.begin() + 2, r.end());
  if (!expected.ok() || key != *expected) {
    if (++failed_attempts_ >= description_.simulation.max_attempts) {
      failed_attempts_ = 0;
      locked_until_ =
          clock_.Monotonic() + std::chrono::milliseconds(description_.simulation.security_delay_ms);
      return Negative(sid, nrc::kExceededNumberOfAttempts);
    }
    return Negative(sid, nrc::kInvalidKey);
  }
  failed_attempts_ = 0;
  unlocked_level_ = level;
  return out;
}

Bytes SimulatedEcu::RoutineControl(std::span<const uint8_t> r) {
  uint8_t sid = r[0];
  if (r.size() < 4) return Negative(sid, nrc::kIncorrectMessageLength);
  uint8_t sub = r[1] & 0x7F;
  uint16_t id = Get16(r, 2);
  const ecu::RoutineSpec* spec = description_.FindRoutine(id);
  if (!spec) return Negative(sid, nrc::kRequestOutOfRange);
  if (auto denied = Denied(spec->access)) return Negative(sid, *denied);
  Routine& routine = routines_[id];
  auto now = clock_.Monotonic();
  if (routine.running && now >= routine.done_at) routine.running = false;
  Bytes out = Positive(sid);
  out.push_back(sub);
  Put16(out, id);
  switch (sub) {
    case uds::kStartRoutine:
      if (routine.running) return Negative(sid, nrc::kRequestSequenceError);
      routine.running = true;
      routine.done_at = now + std::chrono::milliseconds(spec->duration_ms);
      out.push_back(spec->duration_ms == 0 ? 0x00 : 0x01);  // 0x00 done, 0x01 running
      return out;
    case uds::kStopRoutine:
      if (!routine.running) return Negative(sid, nrc::kRequestSequenceError);
      routine.running = false;
      return out;
    case uds::kRequestRoutineResults:
      if (routine.running) return Negative(sid, nrc::kRequestSequenceError);
      out.insert(out.end(), spec->result.begin(), spec->result.end());
      return out;
  }
  return Negative(sid, nrc::kSubFunctionNotSupported);
}

absl::Status SimulatedEcu::InjectDtc(uint32_t dtc, uint8_t status) {
  std::lock_guard lock(mu_);
  if (status == 0) {
    dtcs_.erase(dtc);
    return absl::OkStatus();
  }
  StoredDtc& stored = dtcs_[dtc];
  stored.status = status;
  Capture(dtc, stored);
  return absl::OkStatus();
}

void SimulatedEcu::ClearDtcs() {
  std::lock_guard lock(mu_);
  dtcs_.clear();
}

absl::Status SimulatedEcu::SetDid(const std::string& name, const std::string& value) {
  std::lock_guard lock(mu_);
  const ecu::DidSpec* did = description_.FindDid(name);
  if (!did) {
    if (std::optional<uint64_t> id = ecu::ParseNumber(name); id && *id <= 0xFFFF) {
      did = description_.FindDid(static_cast<uint16_t>(*id));
    }
  }
  if (!did) {
    return absl::NotFoundError(fmt::format("ECU {} has no DID {}", description_.name, name));
  }
  absl::StatusOr<ecu::PhysicalValue> physical = ecu::ValueFromText(*did, value);
  if (!physical.ok()) return physical.status();
  absl::StatusOr<Bytes> raw = ecu::EncodeDid(*did, *physical);
  if (!raw.ok()) return raw.status();
  dids_[did->id] = *raw;
  return absl::OkStatus();
}

void SimulatedEcu::ForceNrc(uint8_t service, std::optional<uint8_t> code) {
  std::lock_guard lock(mu_);
  if (code) {
    forced_nrc_[service] = *code;
  } else {
    forced_nrc_.erase(service);
  }
}

void SimulatedEcu::SetDelay(std::chrono::milliseconds delay, std::chrono::milliseconds pending) {
  std::lock_guard lock(mu_);
  delay_ = delay;
  pending_ = pending;
}

EcuStats SimulatedEcu::Stats() const {
  std::lock_guard lock(mu_);
  EcuStats out = stats_;
  out.session = session_;
  out.unlocked_level = unlocked_level_;
  return out;
}

}  // namespace pharos::sovd::sim
