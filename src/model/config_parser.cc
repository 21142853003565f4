#include "model/config_parser.h"

#include <yaml-cpp/yaml.h>

#include "common/strings.h"
#include "model/yaml_limits.h"
#include "model/yaml_reader.h"

namespace pharos::model {
namespace {

// `services:` of a pod (or of a mapped Pullpiri network).
void ParseServices(MapReader& r, Findings& f, std::vector<ServicePortSpec>& out) {
  r.List("services", Need::kOptional, [&](const YAML::Node& item, const std::string& item_path) {
    ServicePortSpec svc;
    svc.path = item_path;
    svc.mark = MarkOf(item);
    if (!ExpectMap(item, item_path, f)) return;
    MapReader s(item, item_path, f);
    svc.name = s.Name("name", Need::kRequired);
    svc.port = s.Int("port", 1, 65535, Need::kRequired);
    svc.protocol = s.Text("protocol");
    svc.kind = s.Text("kind");
    s.Finish();
    out.push_back(std::move(svc));
  });
}

void ParsePod(const YAML::Node& node, const std::string& path, Findings& f, PodSpec& pod) {
  pod.path = path;
  pod.mark = MarkOf(node);
  if (!ExpectMap(node, path, f)) return;
  MapReader r(node, path, f);
  pod.name = r.Name("name", Need::kRequired);
  pod.k8s_namespace = r.Text("namespace");
  YAML::Node net = r.Map("networking", Need::kRequired);
  if (net.IsDefined()) {
    MapReader n(net, r.Child("networking"), f);
    pod.networking_type = n.Text("type");
    pod.subnet = n.Prefix("subnet", Need::kRequired);
    pod.ip = n.Address("ip");
    pod.gateway = n.Address("gateway");
    pod.bridge = n.Name("bridge");
    pod.interface = n.Text("interface");
    pod.netns = n.Text("netns");
    n.Finish();
  }
  ParseServices(r, f, pod.services);
  r.Finish();
}

void ParseVm(const YAML::Node& node, const std::string& path, Findings& f, VmSpec& vm) {
  vm.path = path;
  vm.mark = MarkOf(node);
  if (!ExpectMap(node, path, f)) return;
  MapReader r(node, path, f);
  vm.name = r.Name("name", Need::kRequired);
  vm.ip = r.Address("ip", Need::kRequired);
  vm.subnet = r.Prefix("subnet", Need::kRequired);
  vm.gateway = r.Address("gateway");
  vm.bridge = r.Name("bridge");
  r.List("pods", Need::kOptional, [&](const YAML::Node& item, const std::string& item_path) {
    ParsePod(item, item_path, f, vm.pods.emplace_back());
  });
  r.Finish();
}

void ParseSoc(const YAML::Node& node, const std::string& path, Findings& f, SocSpec& soc) {
  soc.path = path;
  soc.mark = MarkOf(node);
  if (!ExpectMap(node, path, f)) return;
  MapReader r(node, path, f);
  soc.name = r.Name("name", Need::kRequired);
  soc.ip = r.Address("ip", Need::kRequired);
  soc.subnet = r.Prefix("subnet", Need::kRequired);
  soc.gateway = r.Address("gateway");
  r.List("vms", Need::kOptional, [&](const YAML::Node& item, const std::string& item_path) {
    ParseVm(item, item_path, f, soc.vms.emplace_back());
  });
  r.Finish();
}

void ParseRoute(const YAML::Node& node, const std::string& path, Findings& f, RouteSpec& route) {
  route.path = path;
  route.mark = MarkOf(node);
  if (!ExpectMap(node, path, f)) return;
  MapReader r(node, path, f);
  route.from = r.Prefix("from");
  route.to = r.Prefix("to", Need::kRequired);
  route.gateway = r.Address("gateway", Need::kRequired);
  route.node = r.Text("node");
  route.metric = r.Int("metric", 0, 65535);
  route.table = r.Int("table", 1, 252);
  r.Finish();
}

void ParseNat(const YAML::Node& node, const std::string& path, Findings& f, NatSpec& nat) {
  nat.path = path;
  nat.mark = MarkOf(node);
  if (!ExpectMap(node, path, f)) return;
  MapReader r(node, path, f);
  nat.name = r.Name("name", Need::kRequired);
  nat.type = r.Text("type", Need::kRequired);
  nat.node = r.Text("node", Need::kRequired);
  nat.source = r.Prefix("source");
  nat.destination = r.Prefix("destination");
  nat.protocol = r.Text("protocol");
  nat.port = r.Int("port", 1, 65535);
  nat.to_address = r.Address("to_address");
  nat.to_port = r.Int("to_port", 1, 65535);
  nat.out_interface = r.Text("out_interface");
  r.Finish();
}

void ParseCloud(const YAML::Node& node, const std::string& path, Findings& f, CloudSpec& cloud) {
  cloud.path = path;
  cloud.mark = MarkOf(node);
  if (!ExpectMap(node, path, f)) return;
  cloud.present = true;
  MapReader r(node, path, f);
  cloud.subnet = r.Prefix("subnet", Need::kRequired);
  cloud.gateway = r.Address("gateway");
  r.List("endpoints", Need::kOptional, [&](const YAML::Node& item, const std::string& item_path) {
    CloudEndpointSpec& ep = cloud.endpoints.emplace_back();
    ep.path = item_path;
    ep.mark = MarkOf(item);
    if (!ExpectMap(item, item_path, f)) return;
    MapReader e(item, item_path, f);
    ep.name = e.Name("name", Need::kRequired);
    ep.ip = e.Address("ip", Need::kRequired);
    e.Finish();
  });
  r.Finish();
}

void ParseVehicle(const YAML::Node& node, const std::string& path, Findings& f, VehicleSpec& v) {
  v.path = path;
  v.mark = MarkOf(node);
  v.present = true;
  if (!ExpectMap(node, path, f)) return;
  MapReader r(node, path, f);
  v.name = r.Name("name");
  r.List("socs", Need::kOptional, [&](const YAML::Node& item, const std::string& item_path) {
    ParseSoc(item, item_path, f, v.socs.emplace_back());
  });
  r.List("routes", Need::kOptional, [&](const YAML::Node& item, const std::string& item_path) {
    ParseRoute(item, item_path, f, v.routes.emplace_back());
  });
  r.List("nat", Need::kOptional, [&](const YAML::Node& item, const std::string& item_path) {
    ParseNat(item, item_path, f, v.nat.emplace_back());
  });
  YAML::Node cloud = r.Raw("cloud");
  if (cloud.IsDefined() && !cloud.IsNull()) {
    ParseCloud(cloud, r.Child("cloud"), f, v.cloud);
  }
  r.Finish();
}

void ParseSelector(const YAML::Node& node, const std::string& path, Findings& f,
                   PolicySelector& sel) {
  sel.path = path;
  sel.mark = MarkOf(node);
  if (!ExpectMap(node, path, f)) return;
  sel.present = true;
  MapReader r(node, path, f);
  sel.k8s_namespace = r.Text("namespace");
  sel.pod = r.Text("pod");
  sel.service = r.Text("service");
  sel.cidr = r.Prefix("cidr");
  sel.external = r.Bool("external");
  sel.tls_verified = r.Bool("tls_verified");
  r.Finish();
}

// Ports: a number, "8000-8100", or a list of those.
void ParsePorts(const YAML::Node& node, const std::string& path, Findings& f,
                std::vector<PortRange>& out) {
  auto one = [&](const YAML::Node& item, const std::string& item_path) {
    if (!item.IsScalar()) {
      f.Error(item_path, MarkOf(item),
              StrCat(item_path, " must be a port number or a range like 8000-8100"));
      return;
    }
    const std::string& text = item.Scalar();
    size_t dash = text.find('-');
    auto number = [](std::string_view s, int* v) {
      if (s.empty() || s.size() > 5) return false;
      int n = 0;
      for (char c : s) {
        if (c < '0' || c > '9') return false;
        n = n * 10 + (c - '0');
      }
      *v = n;
      return n >= 1 && n <= 65535;
    };
    PortRange range;
    bool ok = dash == std::string::npos
                  ? number(text, &range.first) && (range.last = range.first, true)
                  : number(std::string_view(text).substr(0, dash), &range.first) &&
                        number(std::string_view(text).substr(dash + 1), &range.last) &&
                        range.first <= range.last;
    if (!ok) {
      f.Error(item_path, MarkOf(item),
              StrCat("'", text, "' is not a port (1-65535) or a range 'low-high'"));
      return;
    }
    out.push_back(range);
  };
  if (node.IsSequence()) {
    for (size_t i = 0; i < node.size(); ++i) {
      one(node[i], StrCat(path, "[", i, "]"));
    }
  } else {
    one(node, path);
  }
}

void ParseRule(const YAML::Node& item, const std::string& item_path, Findings& f,
               PolicyRuleSpec& rule) {
  rule.path = item_path;
  rule.mark = MarkOf(item);
  if (!ExpectMap(item, item_path, f)) return;
  MapReader rr(item, item_path, f);
  rule.name = rr.Name("name", Need::kRequired);
  YAML::Node from = rr.Raw("from");
  if (from.IsDefined() && !from.IsNull()) {
    ParseSelector(from, rr.Child("from"), f, rule.from);
  }
  YAML::Node to = rr.Raw("to");
  if (to.IsDefined() && !to.IsNull()) {
    ParseSelector(to, rr.Child("to"), f, rule.to);
  }
  YAML::Node ports = rr.Raw("ports");
  if (ports.IsDefined() && !ports.IsNull()) {
    ParsePorts(ports, rr.Child("ports"), f, rule.ports);
  }
  rule.protocol = rr.Text("protocol");
  rule.action = rr.Text("action", Need::kRequired);
  rule.safety_critical = rr.Bool("safety_critical");
  rr.Finish();
}

void ParseEmergency(const YAML::Node& node, const std::string& path, Findings& f,
                    EmergencySpec& e) {
  e.path = path;
  e.mark = MarkOf(node);
  if (!ExpectMap(node, path, f)) return;
  e.present = true;
  MapReader r(node, path, f);
  r.List("failsafe_allow", Need::kOptional,
         [&](const YAML::Node& item, const std::string& item_path) {
           ParseRule(item, item_path, f, e.failsafe_allow.emplace_back());
         });
  YAML::Node diag = r.Raw("diagnostic");
  if (diag.IsDefined() && !diag.IsNull()) {
    DiagnosticAccessSpec& d = e.diagnostic;
    d.path = r.Child("diagnostic");
    d.mark = MarkOf(diag);
    if (ExpectMap(diag, d.path, f)) {
      d.present = true;
      MapReader dr(diag, d.path, f);
      YAML::Node tester = dr.Raw("tester");
      if (tester.IsDefined() && !tester.IsNull()) {
        ParseSelector(tester, dr.Child("tester"), f, d.tester);
      }
      YAML::Node ports = dr.Raw("ports");
      if (ports.IsDefined() && !ports.IsNull()) {
        ParsePorts(ports, dr.Child("ports"), f, d.ports);
      }
      d.protocol = dr.Text("protocol");
      dr.Finish();
    }
  }
  r.Finish();
}

void ParsePolicy(const YAML::Node& node, const std::string& path, Findings& f,
                 SecurityPolicySpec& policy) {
  policy.path = path;
  policy.mark = MarkOf(node);
  policy.present = true;
  if (!ExpectMap(node, path, f)) return;
  MapReader r(node, path, f);
  policy.default_action = r.Text("default_action");
  r.List("rules", Need::kOptional, [&](const YAML::Node& item, const std::string& item_path) {
    ParseRule(item, item_path, f, policy.rules.emplace_back());
  });
  YAML::Node emergency = r.Raw("emergency");
  if (emergency.IsDefined() && !emergency.IsNull()) {
    ParseEmergency(emergency, r.Child("emergency"), f, policy.emergency);
  }
  r.Finish();
}

void ParsePullpiri(const YAML::Node& node, const std::string& path, Findings& f,
                   PullpiriSpec& spec) {
  spec.path = path;
  spec.mark = MarkOf(node);
  if (!ExpectMap(node, path, f)) return;
  spec.present = true;
  MapReader r(node, path, f);
  r.List("networks", Need::kOptional, [&](const YAML::Node& item, const std::string& item_path) {
    PullpiriNetworkSpec& net = spec.networks.emplace_back();
    net.path = item_path;
    net.mark = MarkOf(item);
    if (!ExpectMap(item, item_path, f)) return;
    MapReader n(item, item_path, f);
    net.name = n.Name("name", Need::kRequired);
    net.vm = n.Name("vm");
    net.subnet = n.Prefix("subnet");
    net.k8s_namespace = n.Text("namespace");
    ParseServices(n, f, net.services);
    n.Finish();
  });
  r.Finish();
}

// Line (1-based) of a "---" document marker that starts a second document,
// or 0. A marker before any content just opens the first document.
int SecondDocumentLine(std::string_view text) {
  bool content = false;
  int line = 1;
  for (size_t pos = 0; pos < text.size(); ++line) {
    size_t end = text.find('\n', pos);
    std::string_view l = text.substr(pos, end == std::string_view::npos ? end : end - pos);
    bool marker =
        l.substr(0, 3) == "---" && (l.size() == 3 || l[3] == ' ' || l[3] == '\t' || l[3] == '\r');
    if (marker && content) return line;
    size_t first = l.find_first_not_of(" \t\r");
    if (!marker && first != std::string_view::npos && l[first] != '#' && l[first] != '%')
      content = true;
    if (end == std::string_view::npos) break;
    pos = end + 1;
  }
  return 0;
}

// Loads exactly one YAML document; reports syntax errors with position.
// (Not YAML::LoadAll: yaml-cpp 0.7's LoadAll never returns on some inputs,
// e.g. a lone ",", which the fuzz target found.)
bool LoadOne(std::string_view text, const YamlBounds& bounds, YAML::Node* out, Findings& f) {
  if (absl::Status bounded = CheckYamlBounds(text, bounds); !bounded.ok()) {
    f.Error("", {}, std::string(bounded.message()),
            "pharosd checks every document against its limits before loading it "
            "(docs/configuration.md, \"Limits\")");
    return false;
  }
  if (int line = SecondDocumentLine(text)) {
    f.Error("", Mark{line, 1}, "expected one YAML document, found a second one here",
            "remove the '---' separator or send the documents one by one");
    return false;
  }
  try {
    YAML::Node doc = YAML::Load(std::string(text));
    if (!doc.IsDefined() || doc.IsNull()) {
      f.Error("", {}, "the document is empty", "start with 'vehicle:' (see docs/configuration.md)");
      return false;
    }
    *out = doc;
    return true;
  } catch (const YAML::Exception& e) {
    f.Error("", Mark{e.mark.line + 1, e.mark.column + 1}, StrCat("not valid YAML: ", e.msg),
            "check indentation and quoting around this position");
  } catch (const std::exception& e) {
    f.Error("", {}, StrCat("not valid YAML: ", e.what()));
  }
  return false;
}

}  // namespace

ParsedConfig ParseConfig(std::string_view yaml_text, const YamlBounds& bounds) {
  ParsedConfig result;
  YAML::Node root;
  if (!LoadOne(yaml_text, bounds, &root, result.findings)) return result;
  result.syntax_ok = true;
  try {
    result.canonical_yaml = EmitYaml(root);
  } catch (const std::exception&) {
    // leave empty: the hash then covers the empty form
  }
  try {
    if (!ExpectMap(root, "", result.findings)) return result;
    MapReader r(root, "", result.findings);
    YAML::Node vehicle = r.Raw("vehicle");
    YAML::Node policy = r.Raw("security_policy");
    YAML::Node pullpiri = r.Raw("pullpiri");
    if (vehicle.IsDefined()) {
      ParseVehicle(vehicle, "vehicle", result.findings, result.document.vehicle);
    }
    if (policy.IsDefined()) {
      ParsePolicy(policy, "security_policy", result.findings, result.document.policy);
    }
    if (pullpiri.IsDefined() && !pullpiri.IsNull()) {
      ParsePullpiri(pullpiri, "pullpiri", result.findings, result.document.pullpiri);
    }
    if (!vehicle.IsDefined() && !policy.IsDefined()) {
      result.findings.Error(
          "", MarkOf(root), "the document has neither 'vehicle:' nor 'security_policy:'",
          "a vehicle configuration starts with 'vehicle:' (docs/configuration.md)");
    }
    // Unknown keys below are warnings; at the top they would be stored
    // with the version for nothing (a typo of 'vehicle' among them).
    r.Finish(MapReader::Unknown::kRefuse);
  } catch (const std::exception& e) {
    // yaml-cpp throws on pathological nodes (e.g. aliases cycles); the
    // answer is still a finding, never a crash.
    result.findings.Error("", {}, StrCat("could not read the document: ", e.what()));
  }
  return result;
}

ParsedNode ParseNodeYaml(std::string_view yaml_text) {
  ParsedNode result;
  YAML::Node root;
  if (!LoadOne(yaml_text, kRequestFieldBounds, &root, result.findings)) return result;
  try {
    if (!ExpectMap(root, "", result.findings)) return result;
    MapReader r(root, "", result.findings);
    TextField kind = r.Text("kind");
    NodeSpec& n = result.node;
    if (kind.present) {
      // Pullpiri artifact: apiVersion, kind: Node, metadata.name, spec.*
      if (kind.value != "Node") {
        result.findings.Error(kind.path, kind.mark,
                              StrCat("kind '", kind.value, "' is not a node; expected 'Node'"));
      }
      n.pullpiri_artifact = true;
      r.Text("apiVersion");
      YAML::Node meta = r.Map("metadata", Need::kRequired);
      if (meta.IsDefined()) {
        MapReader m(meta, "metadata", result.findings);
        n.name = m.Name("name", Need::kRequired).value;
        m.Allow({"labels", "annotations", "namespace"});
        m.Finish();
      }
      YAML::Node spec = r.Map("spec");
      if (spec.IsDefined()) {
        MapReader s(spec, "spec", result.findings);
        AddressField ip = s.Address("ip_address");
        n.ip = ip.address;
        n.role = s.Text("role").value;
        n.hostname = s.Text("hostname").value;
        n.cluster_id = s.Text("cluster_id").value;
        s.Allow({"resources", "status", "last_heartbeat", "config"});
        s.Finish();
      }
    } else {
      n.name = r.Name("name").value;
      AddressField ip = r.Address("ip");
      n.ip = ip.address;
      n.role = r.Text("role").value;
      n.hostname = r.Text("hostname").value;
      r.Allow({"subnet", "type", "soc"});
    }
    if (n.name.empty() && !n.ip) {
      result.findings.Error("", MarkOf(root), "the node names neither a name nor an address",
                            "give 'name:' (or metadata.name) or the node's IP");
    }
    r.Finish();
  } catch (const std::exception& e) {
    result.findings.Error("", {}, StrCat("could not read node_yaml: ", e.what()));
  }
  return result;
}

ParsedPod ParsePodNetworkYaml(std::string_view yaml_text, std::string_view pod_name) {
  ParsedPod result;
  YAML::Node root;
  if (!LoadOne(yaml_text, kRequestFieldBounds, &root, result.findings)) return result;
  try {
    if (!ExpectMap(root, "", result.findings)) return result;
    std::string path;
    YAML::Node pod = root;
    const YAML::Node& const_root = root;
    if (const_root["pod"].IsDefined()) {
      pod = const_root["pod"];
      path = "pod";
      if (!ExpectMap(pod, path, result.findings)) return result;
    }
    if (!const_root["name"].IsDefined() && pod.IsMap() && !pod_name.empty()) {
      pod["name"] = std::string(pod_name);  // name comes from pod_name
    }
    ParsePod(pod, path, result.findings, result.pod);
  } catch (const std::exception& e) {
    result.findings.Error("", {}, StrCat("could not read network_yaml: ", e.what()));
  }
  return result;
}

}  // namespace pharos::model
