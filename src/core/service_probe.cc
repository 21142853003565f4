#include "core/service_probe.h"

#include "common/strings.h"
#include "diagnostics/probe.h"
#include "plan/naming.h"

namespace pharos::core {

bool TcpHealthProber::Checks(const store::ServiceRecord& s) const {
  return real_ && (s.source == "api" || s.source == "pod") && Ipv4Address::Parse(s.host);
}

bool TcpHealthProber::Check(const store::ServiceRecord& s, std::chrono::milliseconds timeout,
                            std::string* detail) {
  std::optional<Ipv4Address> ip = Ipv4Address::Parse(s.host);
  if (!ip) {
    *detail = StrCat("host ", s.host, " is not an address");
    return false;
  }
  // From one hop up: the VM for a pod, the SoC for a VM; this machine's own
  // namespace for services outside the vehicle.
  std::string ns, from = "pharosd";
  if (!s.location.empty()) {
    model::Topology topo = controller_.CurrentTopology();
    const model::TopologyNode* node = topo.FindNode(s.location);
    if (node) {
      from = node->parent.empty() ? node->name : node->parent;
      ns = plan::NamespaceName(prefix_, from);
    }
  }
  diagnostics::ProbeResult r = diagnostics::ProbeTcp(ns, from, *ip, s.port, timeout);
  *detail = r.success ? StrCat("tcp ", s.host, ":", s.port, " answers (", r.latency_ms, " ms)")
                      : r.detail;
  return r.success;
}

}  // namespace pharos::core
