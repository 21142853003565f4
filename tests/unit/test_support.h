// Helpers shared by the unit tests.
#pragma once

#include <string>

#include "core/config_analysis.h"
#include "model/findings.h"

namespace pharos::testing {

std::string ReadFileOrDie(const std::string& path);
std::string SeedVehicleYaml();  // examples/vehicle.yaml (spec 10.1)
std::string SeedPolicyYaml();   // examples/security-policy.yaml (spec 10.2)
// The seed vehicle with a third pod, planning-pod, declared before
// control-pod; with `static_ip` it asks for 10.2.1.20.
std::string SeedWithPlanningPod(bool static_ip);

// `text` with the first occurrence of `from` replaced by `to` (fails the
// test if `from` is absent, so fixtures cannot silently drift).
std::string Replace(std::string text, const std::string& from, const std::string& to);

core::Analysis Analyze(const std::string& yaml);

// True when a finding of `severity` at exactly `path` mentions `needle`.
bool HasFinding(const model::Findings& findings, model::Severity severity,
                const std::string& path, const std::string& needle);
std::string Dump(const model::Findings& findings);

}  // namespace pharos::testing
