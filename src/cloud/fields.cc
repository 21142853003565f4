#include "cloud/fields.h"

#include <array>
#include <cctype>

#include "common/fmt_absl.h"
#include "common/text.h"
#include "fmt/format.h"

namespace pharos::cloud {
namespace {

constexpr std::array<PharosField, 7> kVocabulary{{
    {"pharos.network.status", Priority::kStatus, false,
     "each component's status (pharos.network.status.<component>: Running, Degraded, ...)"},
    {"pharos.network.metrics", Priority::kTelemetry, false,
     "each component's counters (pharos.network.metrics.<component>.<counter>)"},
    {"pharos.services.health", Priority::kStatus, false,
     "each registered service's health (pharos.services.health.<service id>)"},
    {"pharos.emergency.mode", Priority::kStatus, false,
     "the emergency network mode in force (\"\" when none)"},
    {"pharos.cloud.uplink", Priority::kStatus, false, "the uplink the feed is using"},
    {"pharos.security.events", Priority::kSecurity, true, "every security event, as it happens"},
    {"pharos.network.events", Priority::kStatus, true,
     "status changes (components, services, pod completions), as they happen"},
}};

// A VSS path segment: letters, digits, underscore; or a whole `*` / `**`.
bool GoodSegment(std::string_view s) {
  if (s == "*" || s == "**") return true;
  if (s.empty()) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

absl::Status CheckVssPattern(std::string_view text) {
  if (text.size() > 1000) {
    return absl::InvalidArgumentError(
        fmt::format("data field {}: longer than 1000 bytes", Shown(text)));
  }
  size_t start = 0;
  while (true) {
    size_t dot = text.find('.', start);
    std::string_view segment =
        text.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (!GoodSegment(segment)) {
      return absl::InvalidArgumentError(fmt::format(
          "data field {}: not a VSS path (segments of letters, digits and _, or * / **, "
          "separated by dots) nor a pharos. field",
          Shown(text)));
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (!std::isupper(static_cast<unsigned char>(text[0]))) {
    return absl::InvalidArgumentError(fmt::format(
        "data field {}: a VSS path starts with its root branch (e.g. Vehicle.)", Shown(text)));
  }
  return absl::OkStatus();
}

}  // namespace

std::string_view PriorityName(Priority p) {
  switch (p) {
    case Priority::kTelemetry:
      return "telemetry";
    case Priority::kStatus:
      return "status";
    case Priority::kDiagnostics:
      return "diagnostics";
    case Priority::kSecurity:
      return "security";
  }
  return "telemetry";
}

std::optional<Priority> ParsePriority(std::string_view name) {
  for (int i = 0; i < kPriorityCount; ++i) {
    if (PriorityName(Priority(i)) == name) return Priority(i);
  }
  return std::nullopt;
}

std::span<const PharosField> PharosVocabulary() { return kVocabulary; }

Priority VssPriority(std::string_view path) {
  if (path.starts_with("Vehicle.OBD.") || path.starts_with("Vehicle.Diagnostics.")) {
    return Priority::kDiagnostics;
  }
  return Priority::kTelemetry;
}

absl::StatusOr<std::vector<Field>> ParseFields(const std::vector<std::string>& texts) {
  std::vector<Field> out;
  auto add = [&](Field f) {
    for (const Field& have : out) {
      if (have.text == f.text) return;  // "pharos.*" next to one of its words
    }
    out.push_back(std::move(f));
  };
  for (const std::string& text : texts) {
    if (text == "pharos.*") {
      for (const PharosField& w : kVocabulary) {
        add({std::string(w.name), Field::Kind::kPharos, w.priority, w.event});
      }
      continue;
    }
    if (text.starts_with(kPharosPrefix)) {
      const PharosField* word = nullptr;
      for (const PharosField& w : kVocabulary) {
        if (w.name == text) word = &w;
      }
      if (word == nullptr) {
        std::string_view best;
        size_t best_distance = 6;
        for (const PharosField& w : kVocabulary) {
          size_t d = EditDistance(text, w.name);
          if (d < best_distance) best_distance = d, best = w.name;
        }
        return absl::InvalidArgumentError(
            fmt::format("data field {}: not a pharos. field{}", Shown(text),
                        best.empty() ? " (docs/cloud.md lists them)"
                                     : fmt::format("; did you mean {}?", best)));
      }
      add({text, Field::Kind::kPharos, word->priority, word->event});
      continue;
    }
    if (absl::Status s = CheckVssPattern(text); !s.ok()) return s;
    add({text, Field::Kind::kVss, VssPriority(text), false});
  }
  return out;
}

}  // namespace pharos::cloud
