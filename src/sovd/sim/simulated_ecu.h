// One simulated ECU: a UDS server (ISO 14229-1) built from an ECU
// description. Sessions with the S3 timeout, security access with attempt
// counting and lockout, DTCs that can be injected and cleared at run time
// (each recording a freeze frame of its snapshot DIDs), DIDs, routines that
// run for a while, and the misbehaviour a tester must cope with: forced
// NRCs, response delays, NRC 0x78 (response pending). Pure and clocked;
// the DoIP entity (doip_entity.h) carries its messages.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

#include "common/clock.h"
#include "sovd/ecu/ecu_description.h"

namespace pharos::sovd::sim {

using Bytes = std::vector<uint8_t>;

// What the ECU sends for one request: zero messages (a suppressed positive
// response) or more, each `after` the request arrived.
struct Reply {
  Bytes message;
  std::chrono::milliseconds after{0};
};

struct EcuStats {
  std::map<uint8_t, uint64_t> requests;  // by SID
  uint8_t session = 0x01;
  uint8_t unlocked_level = 0;  // 0: locked
  uint64_t resets = 0;
};

class SimulatedEcu {
 public:
  SimulatedEcu(ecu::EcuDescription description, const Clock& clock);

  const ecu::EcuDescription& description() const { return description_; }
  uint16_t address() const { return description_.logical_address; }

  std::vector<Reply> Handle(std::span<const uint8_t> request);

  // Run-time control (pharos-ecu-sim's control socket).
  absl::Status InjectDtc(uint32_t dtc, uint8_t status);
  void ClearDtcs();
  absl::Status SetDid(const std::string& did, const std::string& value);
  void ForceNrc(uint8_t service, std::optional<uint8_t> nrc);  // nullopt: stop forcing
  void SetDelay(std::chrono::milliseconds delay, std::chrono::milliseconds pending);
  EcuStats Stats() const;

 private:
  struct StoredDtc {
    uint8_t status = 0;
    std::vector<std::pair<uint16_t, Bytes>> snapshot;
  };
  struct Routine {
    bool running = false;
    std::chrono::steady_clock::time_point done_at;
  };

  std::optional<Bytes> Dispatch(std::span<const uint8_t> request);  // nullopt: suppressed
  Bytes SessionControl(std::span<const uint8_t> r);
  Bytes Reset(std::span<const uint8_t> r);
  Bytes ClearDtc(std::span<const uint8_t> r);
  Bytes ReadDtcInformation(std::span<const uint8_t> r);
  Bytes ReadData(std::span<const uint8_t> r);
  Bytes WriteData(std::span<const uint8_t> r);
  Bytes SecurityAccess(std::span<const uint8_t> r);
  Bytes RoutineControl(std::span<const uint8_t> r);
  std::optional<uint8_t> Denied(const ecu::AccessRule& rule) const;  // the NRC, if any
  void ExpireSession();
  void Capture(uint32_t dtc, StoredDtc& stored);

  const ecu::EcuDescription description_;
  const Clock& clock_;
  mutable std::mutex mu_;
  uint8_t session_ = 0x01;
  std::chrono::steady_clock::time_point last_request_;
  uint8_t unlocked_level_ = 0;
  std::optional<std::pair<uint8_t, Bytes>> pending_seed_;  // level, seed
  uint8_t failed_attempts_ = 0;
  std::chrono::steady_clock::time_point locked_until_{};
  uint64_t seed_counter_ = 0;
  std::map<uint16_t, Bytes> dids_;
  std::map<uint32_t, StoredDtc> dtcs_;  // present ones (status != 0)
  std::map<uint16_t, Routine> routines_;
  std::map<uint8_t, uint8_t> forced_nrc_;
  std::chrono::milliseconds delay_{0}, pending_{0};
  EcuStats stats_;
};

}  // namespace pharos::sovd::sim
