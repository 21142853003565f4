#include "sovd/uds/uds_message.h"

#include "common/text.h"
#include "fmt/format.h"

namespace pharos::sovd::uds {
namespace {

void Put16(Bytes& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}
void Put24(Bytes& out, uint32_t v) {
  out.push_back(static_cast<uint8_t>(v >> 16));
  Put16(out, static_cast<uint16_t>(v));
}
uint16_t Get16(std::span<const uint8_t> b, size_t at) {
  return static_cast<uint16_t>(b[at] << 8 | b[at + 1]);
}
uint32_t Get24(std::span<const uint8_t> b, size_t at) {
  return static_cast<uint32_t>(b[at]) << 16 | Get16(b, at + 1);
}

absl::Status Truncated(std::string_view what, size_t got) {
  return absl::InvalidArgumentError(
      fmt::format("{} response truncated ({} bytes after the SID)", what, got));
}

absl::Status Expect(const Response& r, Service service) {
  if (!r.positive || r.service != static_cast<uint8_t>(service)) {
    return absl::InvalidArgumentError(
        fmt::format("expected a positive {} response, got {} 0x{:02X}",
                    ServiceName(static_cast<uint8_t>(service)),
                    r.positive ? "positive" : "negative", r.service));
  }
  return absl::OkStatus();
}

}  // namespace

std::string_view ServiceName(uint8_t service) {
  switch (static_cast<Service>(service)) {
    case Service::kDiagnosticSessionControl:
      return "DiagnosticSessionControl";
    case Service::kEcuReset:
      return "ECUReset";
    case Service::kClearDiagnosticInformation:
      return "ClearDiagnosticInformation";
    case Service::kReadDtcInformation:
      return "ReadDTCInformation";
    case Service::kReadDataByIdentifier:
      return "ReadDataByIdentifier";
    case Service::kSecurityAccess:
      return "SecurityAccess";
    case Service::kWriteDataByIdentifier:
      return "WriteDataByIdentifier";
    case Service::kRoutineControl:
      return "RoutineControl";
    case Service::kTesterPresent:
      return "TesterPresent";
    case Service::kControlDtcSetting:
      return "ControlDTCSetting";
  }
  return "unknown service";
}

std::string_view NrcName(uint8_t code) {
  switch (code) {
    case nrc::kGeneralReject:
      return "generalReject";
    case nrc::kServiceNotSupported:
      return "serviceNotSupported";
    case nrc::kSubFunctionNotSupported:
      return "subFunctionNotSupported";
    case nrc::kIncorrectMessageLength:
      return "incorrectMessageLengthOrInvalidFormat";
    case nrc::kResponseTooLong:
      return "responseTooLong";
    case nrc::kBusyRepeatRequest:
      return "busyRepeatRequest";
    case nrc::kConditionsNotCorrect:
      return "conditionsNotCorrect";
    case nrc::kRequestSequenceError:
      return "requestSequenceError";
    case nrc::kNoResponseFromSubnet:
      return "noResponseFromSubnetComponent";
    case nrc::kFailurePreventsExecution:
      return "failurePreventsExecutionOfRequestedAction";
    case nrc::kRequestOutOfRange:
      return "requestOutOfRange";
    case nrc::kSecurityAccessDenied:
      return "securityAccessDenied";
    case nrc::kAuthenticationRequired:
      return "authenticationRequired";
    case nrc::kInvalidKey:
      return "invalidKey";
    case nrc::kExceededNumberOfAttempts:
      return "exceededNumberOfAttempts";
    case nrc::kRequiredTimeDelayNotExpired:
      return "requiredTimeDelayNotExpired";
    case nrc::kGeneralProgrammingFailure:
      return "generalProgrammingFailure";
    case nrc::kResponsePending:
      return "requestCorrectlyReceived-ResponsePending";
    case nrc::kSubFunctionNotSupportedInSession:
      return "subFunctionNotSupportedInActiveSession";
    case nrc::kServiceNotSupportedInSession:
      return "serviceNotSupportedInActiveSession";
    case nrc::kVoltageTooHigh:
      return "voltageTooHigh";
    case nrc::kVoltageTooLow:
      return "voltageTooLow";
    case nrc::kResourceTemporarilyUnavailable:
      return "resourceTemporarilyNotAvailable";
  }
  if (code >= 0x81 && code <= 0x8F) return "vehicle condition not correct";
  return "reserved";
}

Bytes DiagnosticSessionControl(uint8_t session) {
  return {static_cast<uint8_t>(Service::kDiagnosticSessionControl), session};
}
Bytes EcuReset(uint8_t reset_type) {
  return {static_cast<uint8_t>(Service::kEcuReset), reset_type};
}
Bytes ClearDiagnosticInformation(uint32_t group) {
  Bytes out{static_cast<uint8_t>(Service::kClearDiagnosticInformation)};
  Put24(out, group);
  return out;
}
Bytes ReadDtcByStatusMask(uint8_t mask) {
  return {static_cast<uint8_t>(Service::kReadDtcInformation), kReportDtcByStatusMask, mask};
}
Bytes ReadDtcSnapshotByDtc(uint32_t dtc, uint8_t record) {
  Bytes out{static_cast<uint8_t>(Service::kReadDtcInformation),
            kReportDtcSnapshotRecordByDtcNumber};
  Put24(out, dtc);
  out.push_back(record);
  return out;
}
Bytes ReadDtcExtDataByDtc(uint32_t dtc, uint8_t record) {
  Bytes out{static_cast<uint8_t>(Service::kReadDtcInformation), kReportDtcExtDataRecordByDtcNumber};
  Put24(out, dtc);
  out.push_back(record);
  return out;
}
Bytes ReadDataByIdentifier(std::span<const uint16_t> dids) {
  Bytes out{static_cast<uint8_t>(Service::kReadDataByIdentifier)};
  for (uint16_t did : dids) Put16(out, did);
  return out;
}
Bytes WriteDataByIdentifier(uint16_t did, std::span<const uint8_t> data) {
  Bytes out{static_cast<uint8_t>(Service::kWriteDataByIdentifier)};
  Put16(out, did);
  out.insert(out.end(), data.begin(), data.end());
  return out;
}
Bytes SecurityAccessRequestSeed(uint8_t level) {
  return {static_cast<uint8_t>(Service::kSecurityAccess), level};
}
Bytes SecurityAccessSendKey(uint8_t level, std::span<const uint8_t> key) {
  Bytes out{static_cast<uint8_t>(Service::kSecurityAccess), static_cast<uint8_t>(level + 1)};
  out.insert(out.end(), key.begin(), key.end());
  return out;
}
Bytes RoutineControl(uint8_t sub_function, uint16_t routine, std::span<const uint8_t> option) {
  Bytes out{static_cast<uint8_t>(Service::kRoutineControl), sub_function};
  Put16(out, routine);
  out.insert(out.end(), option.begin(), option.end());
  return out;
}
Bytes TesterPresent(bool suppress) {
  return {static_cast<uint8_t>(Service::kTesterPresent),
          static_cast<uint8_t>(suppress ? kSuppressPositiveResponse : 0x00)};
}
Bytes ControlDtcSetting(bool on) {
  return {static_cast<uint8_t>(Service::kControlDtcSetting),
          static_cast<uint8_t>(on ? 0x01 : 0x02)};
}

absl::StatusOr<Response> ParseResponse(std::span<const uint8_t> m) {
  if (m.empty()) return absl::InvalidArgumentError("empty UDS response");
  Response r;
  if (m[0] == kNegativeResponse) {
    if (m.size() != 3) {
      return absl::InvalidArgumentError(
          fmt::format("a negative response is 3 bytes (7F SID NRC), got {}", m.size()));
    }
    r.service = m[1];
    r.nrc = m[2];
    return r;
  }
  if (m[0] < kPositiveOffset) {
    return absl::InvalidArgumentError(
        fmt::format("0x{:02X} is a request SID, not a response", m[0]));
  }
  r.positive = true;
  r.service = static_cast<uint8_t>(m[0] - kPositiveOffset);
  r.data.assign(m.begin() + 1, m.end());
  return r;
}

absl::StatusOr<SessionTiming> ParseSessionResponse(const Response& r) {
  if (auto s = Expect(r, Service::kDiagnosticSessionControl); !s.ok()) return s;
  if (r.data.size() < 1) return Truncated("DiagnosticSessionControl", r.data.size());
  SessionTiming t;
  t.session = r.data[0];
  // ISO 14229-1:2013 adds P2 (ms) and P2* (10 ms units); 2006 ECUs send none.
  if (r.data.size() >= 5) {
    t.p2_ms = Get16(r.data, 1);
    t.p2_star_ms = Get16(r.data, 3) * 10u;
  }
  return t;
}

absl::StatusOr<DtcList> ParseDtcByStatusMask(const Response& r) {
  if (auto s = Expect(r, Service::kReadDtcInformation); !s.ok()) return s;
  if (r.data.size() < 2 || r.data[0] != kReportDtcByStatusMask) {
    return absl::InvalidArgumentError("expected reportDTCByStatusMask (59 02 mask …)");
  }
  if ((r.data.size() - 2) % 4 != 0) {
    return absl::InvalidArgumentError(
        fmt::format("reportDTCByStatusMask carries 4-byte records; {} bytes follow the mask",
                    r.data.size() - 2));
  }
  DtcList list;
  list.availability_mask = r.data[1];
  for (size_t at = 2; at + 4 <= r.data.size(); at += 4) {
    list.dtcs.push_back({Get24(r.data, at), r.data[at + 3]});
  }
  return list;
}

absl::StatusOr<std::vector<DataRecord>> ParseReadDataByIdentifier(const Response& r,
                                                                  std::span<const uint16_t> asked,
                                                                  const DidLengths& lengths) {
  if (auto s = Expect(r, Service::kReadDataByIdentifier); !s.ok()) return s;
  std::vector<DataRecord> out;
  std::span<const uint8_t> rest(r.data);
  for (size_t i = 0; i < asked.size(); ++i) {
    if (rest.size() < 2) return Truncated("ReadDataByIdentifier", r.data.size());
    uint16_t did = Get16(rest, 0);
    if (did != asked[i]) {
      return absl::InvalidArgumentError(fmt::format(
          "ReadDataByIdentifier answered DID 0x{:04X} where 0x{:04X} was asked", did, asked[i]));
    }
    rest = rest.subspan(2);
    size_t length = rest.size();  // the last DID takes what is left
    if (i + 1 < asked.size()) {
      std::optional<size_t> known = lengths ? lengths(did) : std::nullopt;
      if (!known) {
        return absl::InvalidArgumentError(fmt::format(
            "the length of DID 0x{:04X} is unknown: a multi-DID answer cannot be split", did));
      }
      length = *known;
    }
    if (length > rest.size()) return Truncated("ReadDataByIdentifier", r.data.size());
    out.push_back({did, Bytes(rest.begin(), rest.begin() + length)});
    rest = rest.subspan(length);
  }
  if (!rest.empty()) {
    return absl::InvalidArgumentError(
        fmt::format("ReadDataByIdentifier: {} bytes left after the last DID", rest.size()));
  }
  return out;
}

absl::StatusOr<Snapshot> ParseSnapshotResponse(const Response& r, const DidLengths& lengths) {
  if (auto s = Expect(r, Service::kReadDtcInformation); !s.ok()) return s;
  if (r.data.size() < 5 || r.data[0] != kReportDtcSnapshotRecordByDtcNumber) {
    return absl::InvalidArgumentError("expected reportDTCSnapshotRecordByDTCNumber (59 04 …)");
  }
  Snapshot snap;
  snap.dtc = Get24(r.data, 1);
  snap.status = r.data[4];
  std::span<const uint8_t> rest = std::span<const uint8_t>(r.data).subspan(5);
  while (!rest.empty()) {
    if (rest.size() < 2) return Truncated("snapshot record", rest.size());
    SnapshotRecord record{rest[0], {}};
    uint8_t count = rest[1];
    rest = rest.subspan(2);
    for (uint8_t i = 0; i < count; ++i) {
      if (rest.size() < 2) return Truncated("snapshot record", rest.size());
      uint16_t did = Get16(rest, 0);
      std::optional<size_t> length = lengths ? lengths(did) : std::nullopt;
      if (!length) {
        return absl::InvalidArgumentError(
            fmt::format("snapshot names DID 0x{:04X}, whose length is unknown", did));
      }
      if (rest.size() < 2 + *length) return Truncated("snapshot record", rest.size());
      record.values.push_back({did, Bytes(rest.begin() + 2, rest.begin() + 2 + *length)});
      rest = rest.subspan(2 + *length);
    }
    snap.records.push_back(std::move(record));
  }
  return snap;
}

absl::StatusOr<RoutineResult> ParseRoutineResponse(const Response& r) {
  if (auto s = Expect(r, Service::kRoutineControl); !s.ok()) return s;
  if (r.data.size() < 3) return Truncated("RoutineControl", r.data.size());
  return RoutineResult{r.data[0], Get16(r.data, 1), Bytes(r.data.begin() + 3, r.data.end())};
}

absl::StatusOr<Bytes> ParseSecuritySeed(const Response& r, uint8_t level) {
  if (auto s = Expect(r, Service::kSecurityAccess); !s.ok()) return s;
  if (r.data.empty() || r.data[0] != level) {
    return absl::InvalidArgumentError(
        fmt::format("SecurityAccess answered another level than 0x{:02X}", level));
  }
  return Bytes(r.data.begin() + 1, r.data.end());
}

std::string DtcCode(uint32_t dtc) {
  static constexpr char kSystem[] = {'P', 'C', 'B', 'U'};
  uint8_t high = static_cast<uint8_t>(dtc >> 16);
  uint8_t middle = static_cast<uint8_t>(dtc >> 8);
  return fmt::format("{}{}{:X}{:02X}", kSystem[high >> 6], (high >> 4) & 0x3, high & 0xF, middle);
}

absl::StatusOr<uint32_t> ParseDtc(std::string_view text) {
  auto bad = [&] {
    return absl::InvalidArgumentError(fmt::format(
        "\"{}\" is not a DTC: give a J2012 code (P0101, or P0101-1F with its failure type) or "
        "the 3 bytes in hex (0x010100)",
        Shown(text)));
  };
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    if (text.size() > 8) return bad();
    uint32_t v = 0;
    for (char c : text.substr(2)) {
      int d = HexDigitValue(c);
      if (d < 0) return bad();
      v = v << 4 | static_cast<uint32_t>(d);
    }
    return v;
  }
  if (text.size() != 5 && !(text.size() == 8 && text[5] == '-')) return bad();
  static constexpr std::string_view kSystems = "PCBU";
  size_t system =
      kSystems.find(static_cast<char>(std::toupper(static_cast<unsigned char>(text[0]))));
  if (system == std::string_view::npos || text[1] < '0' || text[1] > '3') return bad();
  int d[3];
  for (int i = 0; i < 3; ++i) {
    d[i] = HexDigitValue(text[2 + i]);
    if (d[i] < 0) return bad();
  }
  uint32_t high = static_cast<uint32_t>(system << 6 | (text[1] - '0') << 4 | d[0]);
  uint32_t value = high << 16 | static_cast<uint32_t>(d[1] << 4 | d[2]) << 8;
  if (text.size() == 8) {
    int f1 = HexDigitValue(text[6]), f2 = HexDigitValue(text[7]);
    if (f1 < 0 || f2 < 0) return bad();
    value |= static_cast<uint32_t>(f1 << 4 | f2);
  }
  return value;
}

std::string_view DtcStatusText(uint8_t status) {
  if (status & 0x01) return "active";
  if (status & 0x04) return "pending";
  if (status & 0x08) return "confirmed";
  return "inactive";
}

std::vector<std::string_view> DtcStatusFlags(uint8_t status) {
  static constexpr std::string_view kNames[8] = {"testFailed",
                                                 "testFailedThisOperationCycle",
                                                 "pendingDTC",
                                                 "confirmedDTC",
                                                 "testNotCompletedSinceLastClear",
                                                 "testFailedSinceLastClear",
                                                 "testNotCompletedThisOperationCycle",
                                                 "warningIndicatorRequested"};
  std::vector<std::string_view> out;
  for (int bit = 0; bit < 8; ++bit) {
    if (status & (1u << bit)) out.push_back(kNames[bit]);
  }
  return out;
}

std::string Hex(std::span<const uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xF]);
  }
  return out;
}

absl::StatusOr<Bytes> ParseHex(std::string_view text) {
  if (text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
    text.remove_prefix(2);
  Bytes out;
  int high = -1;
  for (char c : text) {
    if (c == ' ') continue;
    int d = HexDigitValue(c);
    if (d < 0) {
      return absl::InvalidArgumentError(fmt::format("\"{}\" is not hex bytes", Shown(text)));
    }
    if (high < 0) {
      high = d;
    } else {
      out.push_back(static_cast<uint8_t>(high << 4 | d));
      high = -1;
    }
  }
  if (high >= 0) {
    return absl::InvalidArgumentError(
        fmt::format("\"{}\" has an odd number of hex digits", Shown(text)));
  }
  return out;
}

}  // namespace pharos::sovd::uds
