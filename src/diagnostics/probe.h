// Real connectivity probes, sent from inside a network namespace: the
// socket is opened in the source namespace and keeps living there.
#pragma once

#include <chrono>
#include <string>

#include "common/ipv4.h"

namespace pharos::diagnostics {

struct ProbeResult {
  bool success = false;
  double latency_ms = 0;
  std::string detail;  // what a person can act on
};

// `source_label` names the source in messages ("perception-pod").
// ICMP echo over a raw socket; an ICMP error is reported with its sender.
ProbeResult ProbeIcmp(const std::string& netns, const std::string& source_label,
                      Ipv4Address destination, std::chrono::milliseconds timeout);
// TCP connect; refused, unreachable and silent are told apart.
ProbeResult ProbeTcp(const std::string& netns, const std::string& source_label,
                     Ipv4Address destination, int port, std::chrono::milliseconds timeout);
// UDP datagram; success is a reply, an ICMP port unreachable is a refusal.
ProbeResult ProbeUdp(const std::string& netns, const std::string& source_label,
                     Ipv4Address destination, int port, std::chrono::milliseconds timeout);

}  // namespace pharos::diagnostics
