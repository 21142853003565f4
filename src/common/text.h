// Small text helpers shared by the model, the planner and the CLI.
#pragma once

#include <string>
#include <string_view>

namespace pharos {

// Shell-style glob: '*' any run, '?' one character. Used by
// GetNetworkStatus's component_filter.
bool GlobMatch(std::string_view pattern, std::string_view text);

// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);

// `prefix` + 16 random hex digits ("req-…", "svc-…"): ids nobody guesses
// and that are not reused.
std::string RandomHexId(std::string_view prefix);

}  // namespace pharos
