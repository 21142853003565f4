// YAML text -> ConfigDocument. Never throws and never crashes: every input,
// however broken, yields a document (possibly partial) plus findings.
#pragma once

#include <string_view>

#include "model/findings.h"
#include "model/vehicle.h"
#include "model/yaml_limits.h"

namespace pharos::model {

struct ParsedConfig {
  ConfigDocument document;
  Findings findings;
  bool syntax_ok = false;      // false: the text is not YAML at all
  std::string canonical_yaml;  // re-emitted without comments/layout
};

// A vehicle configuration (`vehicle:`), a security policy
// (`security_policy:`), or both in one document.
ParsedConfig ParseConfig(std::string_view yaml_text, const YamlBounds& bounds = {});

// node_yaml and network_yaml of RequestNetworkPod describe one node and one
// pod: a few hundred bytes. 64 KiB leaves room for many services.
inline constexpr YamlBounds kRequestFieldBounds{64 * 1024, 20000, 16};

struct ParsedNode {
  NodeSpec node;
  Findings findings;
};
// node_yaml of RequestNetworkPod, both the spec's form and Pullpiri's
// `kind: Node` artifact.
ParsedNode ParseNodeYaml(std::string_view yaml_text);

struct ParsedPod {
  PodSpec pod;
  Findings findings;
};
// network_yaml of RequestNetworkPod: one pod block as in the vehicle YAML
// (optionally wrapped in `pod:`). `pod_name` fills a missing name.
ParsedPod ParsePodNetworkYaml(std::string_view yaml_text, std::string_view pod_name);

}  // namespace pharos::model
