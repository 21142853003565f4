// libFuzzer target for the SOME/IP-SD codec: any datagram either parses or
// is refused (no crash, no read past the end: ASan), and what parses
// survives a build/parse round trip unchanged.
#include <cstdint>
#include <cstdlib>

#include "discovery/someip_sd.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using pharos::discovery::SdMessage;
  absl::StatusOr<SdMessage> parsed = pharos::discovery::ParseSomeIpSd({data, size});
  if (!parsed.ok()) return 0;
  size_t endpoints = 0;
  for (const auto& e : parsed->entries) {
    if (e.endpoints.size() > 30) return 0;  // more than two runs of 15: not encodable
    endpoints += e.endpoints.size();
  }
  if (endpoints > 255) return 0;  // 8-bit option indices
  absl::StatusOr<SdMessage> again =
      pharos::discovery::ParseSomeIpSd(pharos::discovery::BuildSomeIpSd(*parsed));
  if (!again.ok() || !(*again == *parsed)) abort();
  return 0;
}
