// The whole offline pipeline in one call: YAML -> parse -> validate ->
// plan -> plan-level checks. Used by the daemon and, unchanged, by
// `pharosctl validate --local` and `pharosctl plan`.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "model/config_parser.h"
#include "model/topology.h"
#include "model/validator.h"
#include "plan/plan.h"

namespace pharos::core {

struct AnalysisOptions {
  std::string interface_prefix = "ph-";
  const model::Topology* reference_vehicle = nullptr;
  const model::PlannedAddresses* preferred_addresses = nullptr;
  size_t max_pods = 8192;      // see model::ValidatorOptions
  model::YamlBounds bounds{};  // checked before the text is loaded
};

struct Analysis {
  bool syntax_ok = false;
  model::ConfigDocument document;
  model::Findings findings;  // parser + validator + planner, by position
  model::Topology topology;
  std::optional<plan::Plan> plan;  // set when the vehicle validated
  std::string canonical_yaml;      // layout- and comment-free form
  std::string content_hash;        // sha256 of canonical_yaml

  bool valid() const { return syntax_ok && !findings.HasErrors(); }
  bool has_vehicle() const { return document.vehicle.present; }
};

Analysis AnalyzeConfig(std::string_view yaml, const AnalysisOptions& options);
// The same from an already parsed document (validate -> plan): for
// configurations assembled from parts, e.g. the vehicle plus the pods
// requested at run time. canonical_yaml and content_hash stay empty.
Analysis AnalyzeDocument(model::ConfigDocument document, const AnalysisOptions& options);

}  // namespace pharos::core
