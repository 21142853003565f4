// Whether a host names this machine's loopback: what every Pharos server
// asks before it agrees to serve plaintext or without authorization.
#pragma once

#include <string_view>

namespace pharos {

// "localhost", "127.x.y.z", "::1" (bracketed or not).
bool IsLoopbackHost(std::string_view host);

}  // namespace pharos
