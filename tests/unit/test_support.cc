#include "unit/test_support.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace pharos::testing {

std::string ReadFileOrDie(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string SeedVehicleYaml() {
  return ReadFileOrDie(std::string(PHAROS_EXAMPLES_DIR) + "/vehicle.yaml");
}
std::string SeedPolicyYaml() {
  return ReadFileOrDie(std::string(PHAROS_EXAMPLES_DIR) + "/security-policy.yaml");
}

std::string SeedWithPlanningPod(bool static_ip) {
  std::string pod = R"(            - name: planning-pod
              namespace: planning
              networking:
                type: cni
                subnet: "10.2.1.0/24"
)";
  if (static_ip) pod += "                ip: \"10.2.1.20\"\n";
  return Replace(SeedVehicleYaml(), "            - name: control-pod\n",
                 pod + "            - name: control-pod\n");
}

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  size_t pos = text.find(from);
  EXPECT_NE(pos, std::string::npos) << "fixture text not found: " << from;
  if (pos != std::string::npos) text.replace(pos, from.size(), to);
  return text;
}

core::Analysis Analyze(const std::string& yaml) { return core::AnalyzeConfig(yaml, {}); }

bool HasFinding(const model::Findings& findings, model::Severity severity,
                const std::string& path, const std::string& needle) {
  for (const auto& f : findings.items()) {
    if (f.severity == severity && f.path == path &&
        f.description.find(needle) != std::string::npos)
      return true;
  }
  return false;
}

std::string Dump(const model::Findings& findings) {
  std::string out;
  for (const auto& f : findings.items()) {
    out += std::string(model::SeverityName(f.severity)) + " " + f.path + " (" +
           std::to_string(f.mark.line) + ":" + std::to_string(f.mark.column) +
           "): " + f.description + "\n";
  }
  return out;
}

}  // namespace pharos::testing
