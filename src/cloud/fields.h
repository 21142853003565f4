// What a feed may carry: VSS signals (read from pharos-broker) and Pharos's
// own data under the `pharos.` vocabulary. Every field has a priority
// class; the scheduler sends higher classes first and an uplink's mode may
// carry only some classes (satellite: security and diagnostics).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace pharos::cloud {

// Higher sends first. The numbers are stored in the queue.
enum class Priority : int { kTelemetry = 0, kStatus = 1, kDiagnostics = 2, kSecurity = 3 };
inline constexpr int kPriorityCount = 4;
std::string_view PriorityName(Priority p);
std::optional<Priority> ParsePriority(std::string_view name);

// One word of the `pharos.` vocabulary (docs/cloud.md lists them).
struct PharosField {
  std::string_view name;
  Priority priority;
  // Sampled every interval, or sent as it happens (from the watch journal).
  bool event;
  std::string_view what;
};
std::span<const PharosField> PharosVocabulary();

inline constexpr std::string_view kPharosPrefix = "pharos.";

// A data field as configured: a VSS path or glob ("Vehicle.Speed",
// "Vehicle.Cabin.**"), or a pharos. word (or "pharos.*": all of them).
struct Field {
  enum class Kind { kVss, kPharos };
  std::string text;
  Kind kind = Kind::kVss;
  Priority priority = Priority::kTelemetry;
  bool event = false;
};

// INVALID_ARGUMENT naming the field and what is wrong with it (an unknown
// pharos. word gets a "did you mean"). "pharos.*" expands to every word.
absl::StatusOr<std::vector<Field>> ParseFields(const std::vector<std::string>& texts);

// The priority of a VSS signal: diagnostics under Vehicle.OBD and
// Vehicle.Diagnostics, telemetry otherwise.
Priority VssPriority(std::string_view path);

}  // namespace pharos::cloud
