// Denied packets -> security events. Pure (clock passed in): aggregates
// per (source, destination, rule) in a time window, escalates, and limits
// how many events leave per minute, so a port scan becomes a handful of
// events rather than a flood.
//
//   first denied packet of a flow      INFO (WARNING on a sensitive port)
//   a window with more packets         INFO, WARNING from `burst_packets`
//                                      or on a sensitive port, CRITICAL
//                                      once hits span `critical_windows`
//                                      consecutive windows
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "common/clock.h"
#include "common/ipv4.h"

namespace pharos::security {

enum class Severity { kInfo, kWarning, kCritical };
std::string_view SeverityName(Severity s);  // INFO | WARNING | CRITICAL

struct DeniedPacket {
  Ipv4Address source;
  Ipv4Address destination;
  int protocol = 0;  // IP protocol number
  int port = 0;      // destination port (tcp/udp), 0 otherwise
  std::string rule;  // the rule that denied it
  std::string netns;
  // Not a dropped packet but a refused attempt (the TLS ingress): its own
  // event type, the reason in words, and WARNING from the first one.
  std::string event_type = "packet_filtered";
  std::string reason{};
};

struct SecurityEvent {
  Severity severity = Severity::kInfo;
  std::string event_type = "packet_filtered";
  std::string source;       // "10.2.1.2"
  std::string destination;  // "10.2.1.3:22/tcp"
  std::string rule;
  int64_t packets = 0;
  std::string details;
};

struct EventThresholds {
  std::chrono::seconds window{10};
  int64_t burst_packets = 20;
  int critical_windows = 3;
  std::chrono::seconds forget_after{60};
  int max_events_per_minute = 120;
  std::set<int> sensitive_ports{22, 23, 3389, 5900};
};

class EventAggregator {
 public:
  explicit EventAggregator(EventThresholds thresholds) : t_(std::move(thresholds)) {}
  // An event to publish now (the first packet of a flow), if any.
  std::optional<SecurityEvent> Observe(const DeniedPacket& packet,
                                       std::chrono::steady_clock::time_point now);
  // Summaries of windows that closed by `now`; forgets idle flows.
  std::vector<SecurityEvent> Flush(std::chrono::steady_clock::time_point now);
  int64_t suppressed() const { return suppressed_total_; }

 private:
  using Key = std::tuple<uint32_t, uint32_t, int, int, std::string>;
  struct Flow {
    DeniedPacket sample;
    std::chrono::steady_clock::time_point window_start;
    std::chrono::steady_clock::time_point last_seen;
    int64_t in_window = 0;  // packets not yet reported
    int windows_with_hits = 1;
  };
  bool Admit(std::chrono::steady_clock::time_point now);  // the per-minute limit
  SecurityEvent Make(const DeniedPacket& p, Severity s, int64_t packets, std::string details);
  bool Sensitive(const DeniedPacket& p) const {
    return !p.reason.empty() || t_.sensitive_ports.count(p.port) > 0;
  }

  EventThresholds t_;
  std::map<Key, Flow> flows_;
  std::chrono::steady_clock::time_point minute_start_{};
  int in_minute_ = 0;
  int64_t suppressed_ = 0;  // since the last published event
  int64_t suppressed_total_ = 0;
};

}  // namespace pharos::security
