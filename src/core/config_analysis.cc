#include "core/config_analysis.h"

#include "common/text.h"
#include "plan/planner.h"

namespace pharos::core {

namespace {

void ValidateAndPlan(Analysis& a, const AnalysisOptions& options) {
  model::ValidatorOptions vopts;
  vopts.interface_prefix = options.interface_prefix;
  vopts.reference_vehicle = options.reference_vehicle;
  vopts.preferred_addresses = options.preferred_addresses;
  vopts.max_pods = options.max_pods;
  a.topology = model::Validate(a.document, vopts, a.findings);
  if (!a.findings.HasErrors() && a.document.vehicle.present) {
    plan::PlannerOptions popts;
    popts.interface_prefix = options.interface_prefix;
    a.plan = plan::BuildPlan(a.document.vehicle, a.topology, popts, a.findings);
    if (a.findings.HasErrors()) a.plan.reset();
  }
}

}  // namespace

Analysis AnalyzeConfig(std::string_view yaml, const AnalysisOptions& options) {
  Analysis a;
  model::ParsedConfig parsed = model::ParseConfig(yaml, options.bounds);
  a.syntax_ok = parsed.syntax_ok;
  a.canonical_yaml = std::move(parsed.canonical_yaml);
  a.document = std::move(parsed.document);
  a.findings = std::move(parsed.findings);
  if (a.syntax_ok) {
    ValidateAndPlan(a, options);
    a.content_hash = Sha256Hex(a.canonical_yaml);
  }
  a.findings.SortByPosition();
  return a;
}

Analysis AnalyzeDocument(model::ConfigDocument document, const AnalysisOptions& options) {
  Analysis a;
  a.syntax_ok = true;
  a.document = std::move(document);
  ValidateAndPlan(a, options);
  a.findings.SortByPosition();
  return a;
}

}  // namespace pharos::core
