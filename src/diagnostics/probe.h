// Real connectivity probes, sent from inside a network namespace: the
// socket is opened in the source namespace and keeps living there.
#pragma once

#include <chrono>
#include <string>

#include "common/ipv4.h"
#include "netlink/netns.h"

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
// The connected socket of a TCP connect as ProbeTcp makes it (-1, with
// `result` saying why, when it fails). For checks that talk over it.
netlink::UniqueFd ConnectTcp(const std::string& netns, const std::string& source_label,
                             Ipv4Address destination, int port, std::chrono::milliseconds timeout,
                             ProbeResult* result);
// HTTP/1.1 GET `path`: healthy when the server answers with a status below 500.
ProbeResult ProbeHttp(const std::string& netns, const std::string& source_label,
                      Ipv4Address destination, int port, const std::string& path,
                      std::chrono::milliseconds timeout);
// UDP datagram; success is a reply, an ICMP port unreachable is a refusal.
ProbeResult ProbeUdp(const std::string& netns, const std::string& source_label,
                     Ipv4Address destination, int port, std::chrono::milliseconds timeout);

}  // namespace pharos::diagnostics
