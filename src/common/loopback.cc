#include "common/loopback.h"

#include "common/ipv4.h"

namespace pharos {

bool IsLoopbackHost(std::string_view host) {
  if (host == "localhost" || host == "::1" || host == "[::1]") return true;
  auto address = Ipv4Address::Parse(host);
  return address && (address->value() >> 24) == 127;
}

}  // namespace pharos
