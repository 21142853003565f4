// libFuzzer: the DoIP and UDS decoders, and the simulated ECU as a UDS
// server, on arbitrary bytes. Every decoded DoIP message must re-encode to
// bytes that decode again; nothing may crash, read out of bounds or hang.
#include <cstdint>
#include <cstdlib>
#include <span>

#include "common/clock.h"
#include "sovd/doip/doip_message.h"
#include "sovd/sim/simulated_ecu.h"
#include "sovd/uds/uds_message.h"

namespace {

using namespace pharos::sovd;

const ecu::EcuDescription& Engine() {
  static const ecu::EcuDescription engine = [] {
    auto d = ecu::LoadEcuDescription(PHAROS_EXAMPLES_DIR "/sovd/ecus/engine.yaml");
    if (!d.ok()) abort();
    return *d;
  }();
  return engine;
}

std::optional<size_t> Lengths(uint16_t did) {
  const ecu::DidSpec* spec = Engine().FindDid(did);
  return spec ? std::optional<size_t>(spec->length) : std::nullopt;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::span<const uint8_t> in(data + 1, size - 1);
  switch (data[0] % 3) {
    case 0: {  // a DoIP message off the wire
      auto message = doip::Decode(in, 65536);
      if (message.ok()) {
        doip::Bytes again = doip::Encode(*message);
        if (!doip::Decode(again, 65536).ok()) abort();
      }
      break;
    }
    case 1: {  // a UDS response as an ECU might send it
      auto response = uds::ParseResponse(in);
      if (!response.ok()) break;
      (void)uds::ParseSessionResponse(*response);
      (void)uds::ParseDtcByStatusMask(*response);
      (void)uds::ParseSnapshotResponse(*response, Lengths);
      (void)uds::ParseRoutineResponse(*response);
      (void)uds::ParseSecuritySeed(*response, 0x01);
      uint16_t asked[] = {0xF190, 0x0105};
      (void)uds::ParseReadDataByIdentifier(*response, asked, Lengths);
      break;
    }
    case 2: {  // a UDS request as a tester might send it, to the simulator
      static pharos::ManualClock clock;
      static sim::SimulatedEcu ecu(Engine(), clock);
      clock.Advance(std::chrono::milliseconds(100));
      (void)ecu.Handle(in);
      break;
    }
  }
  return 0;
}
