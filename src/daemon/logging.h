// Process-wide logging setup for pharosd: human text or one JSON object
// per line (for journald/fluent-bit), at a chosen level.
#pragma once

#include <string>

namespace pharos {

// level: trace|debug|info|warn|error; format: text|json. Returns false
// (and leaves logging as it was) on an unknown value.
bool ConfigureLogging(const std::string& level, const std::string& format);

}  // namespace pharos
