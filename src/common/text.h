// Small text helpers shared by the model, the planner and the CLI.
#pragma once

#include <string>
#include <string_view>

namespace pharos {

// Shell-style glob: '*' any run, '?' one character. Used by
// GetNetworkStatus's component_filter.
bool GlobMatch(std::string_view pattern, std::string_view text);

// Levenshtein distance: how "did you mean" picks the nearest known word.
size_t EditDistance(std::string_view a, std::string_view b);

// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);

// The value of one hexadecimal digit (either case); -1 for anything else.
int HexDigitValue(char c);

// `prefix` + 16 random hex digits ("req-…", "svc-…"): ids nobody guesses
// and that are not reused.
std::string RandomHexId(std::string_view prefix);

// `text` cut to at most `max_bytes` (on a UTF-8 character boundary) with
// "… (N bytes cut)" appended when it was longer: how caller-supplied text
// is echoed into messages, notifications and details, so no echo can
// outgrow a receiver's limit.
std::string Truncated(std::string_view text, size_t max_bytes);

// Control characters (newline, NUL, ESC, …) and invalid UTF-8 bytes as
// \n, \t, \xNN: one log line stays one line, whatever a caller sent.
std::string EscapeControl(std::string_view text);
// A caller's value as it may be quoted in a message: cut to `max_bytes`,
// on one printable line.
std::string Shown(std::string_view text, size_t max_bytes = 64);
// Whether EscapeControl would change `text`.
bool NeedsEscape(std::string_view text);

}  // namespace pharos
