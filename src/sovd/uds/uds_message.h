// UDS (ISO 14229-1) application messages: the requests pharos-sovd sends,
// the positive responses it decodes, negative response codes, and the DTC
// format (SAE J2012 "P0101" codes and the status byte). Pure and byte-exact;
// what a DID's bytes mean is the ECU description's business (ecu/).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace pharos::sovd::uds {

using Bytes = std::vector<uint8_t>;

enum class Service : uint8_t {
  kDiagnosticSessionControl = 0x10,
  kEcuReset = 0x11,
  kClearDiagnosticInformation = 0x14,
  kReadDtcInformation = 0x19,
  kReadDataByIdentifier = 0x22,
  kSecurityAccess = 0x27,
  kWriteDataByIdentifier = 0x2E,
  kRoutineControl = 0x31,
  kTesterPresent = 0x3E,
  kControlDtcSetting = 0x85,
};
inline constexpr uint8_t kNegativeResponse = 0x7F;
inline constexpr uint8_t kPositiveOffset = 0x40;
inline constexpr uint8_t kSuppressPositiveResponse = 0x80;  // bit 7 of a sub-function

// Negative response codes (ISO 14229-1 annex A.1) Pharos names.
namespace nrc {
inline constexpr uint8_t kGeneralReject = 0x10;
inline constexpr uint8_t kServiceNotSupported = 0x11;
inline constexpr uint8_t kSubFunctionNotSupported = 0x12;
inline constexpr uint8_t kIncorrectMessageLength = 0x13;
inline constexpr uint8_t kResponseTooLong = 0x14;
inline constexpr uint8_t kBusyRepeatRequest = 0x21;
inline constexpr uint8_t kConditionsNotCorrect = 0x22;
inline constexpr uint8_t kRequestSequenceError = 0x24;
inline constexpr uint8_t kNoResponseFromSubnet = 0x25;
inline constexpr uint8_t kFailurePreventsExecution = 0x26;
inline constexpr uint8_t kRequestOutOfRange = 0x31;
inline constexpr uint8_t kSecurityAccessDenied = 0x33;
inline constexpr uint8_t kAuthenticationRequired = 0x34;
inline constexpr uint8_t kInvalidKey = 0x35;
inline constexpr uint8_t kExceededNumberOfAttempts = 0x36;
inline constexpr uint8_t kRequiredTimeDelayNotExpired = 0x37;
inline constexpr uint8_t kGeneralProgrammingFailure = 0x72;
inline constexpr uint8_t kResponsePending = 0x78;
inline constexpr uint8_t kSubFunctionNotSupportedInSession = 0x7E;
inline constexpr uint8_t kServiceNotSupportedInSession = 0x7F;
inline constexpr uint8_t kVoltageTooHigh = 0x92;
inline constexpr uint8_t kVoltageTooLow = 0x93;
inline constexpr uint8_t kResourceTemporarilyUnavailable = 0x94;  // ISO 14229-1:2020
}  // namespace nrc

std::string_view ServiceName(uint8_t service);
// "conditionsNotCorrect": the standard's own mnemonic; "reserved" otherwise.
std::string_view NrcName(uint8_t code);

// Sessions (0x10 sub-functions) and reset types (0x11).
inline constexpr uint8_t kDefaultSession = 0x01;
inline constexpr uint8_t kProgrammingSession = 0x02;
inline constexpr uint8_t kExtendedSession = 0x03;
inline constexpr uint8_t kSafetySystemSession = 0x04;

// 0x19 sub-functions.
inline constexpr uint8_t kReportNumberOfDtcByStatusMask = 0x01;
inline constexpr uint8_t kReportDtcByStatusMask = 0x02;
inline constexpr uint8_t kReportDtcSnapshotRecordByDtcNumber = 0x04;
inline constexpr uint8_t kReportDtcExtDataRecordByDtcNumber = 0x06;

// 0x31 sub-functions.
inline constexpr uint8_t kStartRoutine = 0x01;
inline constexpr uint8_t kStopRoutine = 0x02;
inline constexpr uint8_t kRequestRoutineResults = 0x03;

inline constexpr uint32_t kAllDtcGroups = 0xFFFFFF;

// Requests.
Bytes DiagnosticSessionControl(uint8_t session);
Bytes EcuReset(uint8_t reset_type);
Bytes ClearDiagnosticInformation(uint32_t group_of_dtc);
Bytes ReadDtcByStatusMask(uint8_t status_mask);
Bytes ReadDtcSnapshotByDtc(uint32_t dtc, uint8_t record_number);
Bytes ReadDtcExtDataByDtc(uint32_t dtc, uint8_t record_number);
Bytes ReadDataByIdentifier(std::span<const uint16_t> dids);
Bytes WriteDataByIdentifier(uint16_t did, std::span<const uint8_t> data);
Bytes SecurityAccessRequestSeed(uint8_t level);  // level odd: 0x01, 0x03, …
Bytes SecurityAccessSendKey(uint8_t level, std::span<const uint8_t> key);  // sends level + 1
Bytes RoutineControl(uint8_t sub_function, uint16_t routine, std::span<const uint8_t> option);
Bytes TesterPresent(bool suppress_response);
Bytes ControlDtcSetting(bool on);

// A response as the ECU sent it: positive (SID + 0x40) or negative (7F SID NRC).
struct Response {
  bool positive = false;
  uint8_t service = 0;  // the request's SID
  uint8_t nrc = 0;      // negative only
  Bytes data;           // positive: what follows the response SID
};
// INVALID_ARGUMENT for an empty or truncated message.
absl::StatusOr<Response> ParseResponse(std::span<const uint8_t> message);

struct SessionTiming {
  uint8_t session = 0;
  uint32_t p2_ms = 50;         // P2server_max
  uint32_t p2_star_ms = 5000;  // P2*server_max (sent in units of 10 ms)
};
absl::StatusOr<SessionTiming> ParseSessionResponse(const Response& response);

struct DtcRecord {
  uint32_t dtc = 0;  // 3 bytes: J2012 code (2) + failure type (1)
  uint8_t status = 0;
};
struct DtcList {
  uint8_t availability_mask = 0;
  std::vector<DtcRecord> dtcs;
};
absl::StatusOr<DtcList> ParseDtcByStatusMask(const Response& response);

// One DID's value in a response; the ECU description gives its length.
struct DataRecord {
  uint16_t did = 0;
  Bytes data;
};
// The length of a DID's data, nullopt when unknown (which ends parsing:
// without the length the rest of a response cannot be split).
using DidLengths = std::function<std::optional<size_t>(uint16_t did)>;

absl::StatusOr<std::vector<DataRecord>> ParseReadDataByIdentifier(const Response& response,
                                                                  std::span<const uint16_t> asked,
                                                                  const DidLengths& lengths);

struct SnapshotRecord {
  uint8_t number = 0;
  std::vector<DataRecord> values;
};
struct Snapshot {
  uint32_t dtc = 0;
  uint8_t status = 0;
  std::vector<SnapshotRecord> records;
};
absl::StatusOr<Snapshot> ParseSnapshotResponse(const Response& response, const DidLengths& lengths);

struct RoutineResult {
  uint8_t sub_function = 0;
  uint16_t routine = 0;
  Bytes status_record;
};
absl::StatusOr<RoutineResult> ParseRoutineResponse(const Response& response);

// The seed of a 0x27 odd sub-function; an all-zero seed means "already unlocked".
absl::StatusOr<Bytes> ParseSecuritySeed(const Response& response, uint8_t level);

// "P0101", "C1234", "B0001", "U0100": the J2012 code of a DTC's upper two
// bytes. The third byte (failure type) is reported apart.
std::string DtcCode(uint32_t dtc);
// "P0101" or "P0101-1F" (with failure type) or "0x010100" → the 3-byte DTC.
absl::StatusOr<uint32_t> ParseDtc(std::string_view text);

// How the seed names a DTC's state: "active" (testFailed), "pending"
// (pendingDTC), "confirmed" (confirmedDTC, not failing now), "inactive".
std::string_view DtcStatusText(uint8_t status);
// The standard's names of the set bits: "testFailed", "confirmedDTC", ….
std::vector<std::string_view> DtcStatusFlags(uint8_t status);

std::string Hex(std::span<const uint8_t> bytes);        // "62F190574D" (upper case, no spaces)
absl::StatusOr<Bytes> ParseHex(std::string_view text);  // "0x" prefix and spaces allowed

}  // namespace pharos::sovd::uds
