#include "security/security_events.h"

#include "common/strings.h"

namespace pharos::security {
namespace {

std::string ProtocolText(int protocol) {
  switch (protocol) {
    case 6:
      return "tcp";
    case 17:
      return "udp";
    case 1:
      return "icmp";
  }
  return StrCat("proto ", protocol);
}

}  // namespace

std::string_view SeverityName(Severity s) {
  switch (s) {
    case Severity::kWarning:
      return "WARNING";
    case Severity::kCritical:
      return "CRITICAL";
    case Severity::kInfo:
      break;
  }
  return "INFO";
}

SecurityEvent EventAggregator::Make(const DeniedPacket& p, Severity s, int64_t packets,
                                    std::string details) {
  SecurityEvent e;
  e.severity = s;
  e.event_type = p.event_type;
  e.source = p.source.ToString();
  e.destination = p.port > 0
                      ? StrCat(p.destination.ToString(), ":", p.port, "/", ProtocolText(p.protocol))
                      : StrCat(p.destination.ToString(), " (", ProtocolText(p.protocol), ")");
  e.rule = p.rule;
  e.packets = packets;
  e.details = std::move(details);
  if (!p.netns.empty()) StrAppend(&e.details, "; seen in ", p.netns);
  if (suppressed_ > 0) {
    StrAppend(&e.details, "; ", suppressed_, " earlier events suppressed by the rate limit");
    suppressed_ = 0;
  }
  return e;
}

bool EventAggregator::Admit(std::chrono::steady_clock::time_point now) {
  if (now - minute_start_ >= std::chrono::minutes(1)) {
    minute_start_ = now;
    in_minute_ = 0;
  }
  if (in_minute_ >= t_.max_events_per_minute) {
    ++suppressed_;
    ++suppressed_total_;
    return false;
  }
  ++in_minute_;
  return true;
}

std::optional<SecurityEvent> EventAggregator::Observe(const DeniedPacket& p,
                                                      std::chrono::steady_clock::time_point now) {
  Key key{p.source.value(), p.destination.value(), p.protocol, p.port, p.rule};
  auto it = flows_.find(key);
  if (it == flows_.end()) {
    flows_[key] = Flow{p, now, now, 0, 1};
    if (!Admit(now)) return std::nullopt;
    return Make(p, Sensitive(p) ? Severity::kWarning : Severity::kInfo, 1,
                p.reason.empty() ? StrCat("denied by ", p.rule, ": first packet")
                                 : StrCat(p.reason, ": first attempt"));
  }
  Flow& f = it->second;
  f.last_seen = now;
  ++f.in_window;
  return std::nullopt;
}

std::vector<SecurityEvent> EventAggregator::Flush(std::chrono::steady_clock::time_point now) {
  std::vector<SecurityEvent> out;
  for (auto it = flows_.begin(); it != flows_.end();) {
    Flow& f = it->second;
    if (now - f.window_start < t_.window) {
      ++it;
      continue;
    }
    if (f.in_window > 0) {
      Severity s = Severity::kInfo;
      if (f.in_window >= t_.burst_packets || Sensitive(f.sample)) s = Severity::kWarning;
      if (f.windows_with_hits >= t_.critical_windows) s = Severity::kCritical;
      if (Admit(now)) {
        std::string what = f.sample.reason.empty() ? StrCat("denied by ", f.sample.rule)
                                                   : f.sample.reason;
        out.push_back(Make(f.sample, s, f.in_window,
                           StrCat(what, ": ", f.in_window, " more ",
                                  f.sample.reason.empty() ? "packets" : "attempts", " in ",
                                  t_.window.count(), " s (attempts in ", f.windows_with_hits,
                                  " windows in a row)")));
      }
      f.in_window = 0;
      f.window_start = now;
      ++f.windows_with_hits;
      ++it;
      continue;
    }
    if (now - f.last_seen >= t_.forget_after) {
      it = flows_.erase(it);
      continue;
    }
    // A quiet window resets the streak: "repeated" means window after window.
    f.windows_with_hits = 1;
    f.window_start = now;
    ++it;
  }
  return out;
}

}  // namespace pharos::security
