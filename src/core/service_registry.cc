#include "core/service_registry.h"

#include <spdlog/spdlog.h>

#include <tuple>

#include "common/strings.h"
#include "common/text.h"

namespace pharos::core {
namespace {

bool IsHostnameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.';
}

std::string CheckName(const std::string& name) {
  if (name.empty()) return "service_name is required";
  if (name.size() > 253) return "service_name is longer than 253 characters";
  for (char c : name) {
    if (static_cast<unsigned char>(c) < 0x21 || c == 0x7f) {
      return "service_name contains spaces or control characters";
    }
  }
  return "";
}

}  // namespace

std::string CheckServiceProtocol(const std::string& protocol) {
  if (protocol == "dds" || protocol == "grpc" || protocol == "rest" || protocol == "someip") {
    return "";
  }
  return StrCat("protocol '", protocol, "' is not one of dds, grpc, rest, someip");
}

std::string CheckServiceHost(const std::string& host) {
  if (host.empty()) return "host is required";
  if (Ipv4Address::Parse(host)) return "";
  bool digits_and_dots = host.find_first_not_of("0123456789.") == std::string::npos;
  if (digits_and_dots) return StrCat("host '", host, "' is not a valid IPv4 address");
  if (host.size() > 253 || host.front() == '-' || host.front() == '.' || host.back() == '.' ||
      host.back() == '-') {
    return StrCat("host '", host, "' is not a valid host name");
  }
  for (char c : host) {
    if (!IsHostnameChar(c)) return StrCat("host '", host, "' is not a valid host name");
  }
  return "";
}

ServiceRegistry::ServiceRegistry(store::Database& db, ConfigController& controller,
                                 const Clock& clock, ServiceStatusSink* sink)
    : services_(db), group_(db, mu_), controller_(controller), clock_(clock), sink_(sink) {}

std::string ServiceRegistry::LocationOf(const std::string& host) {
  std::optional<Ipv4Address> ip = Ipv4Address::Parse(host);
  return ip ? controller_.OwnerOf(*ip).value_or("") : "";
}

absl::Status CheckMetadata(const std::map<std::string, std::string>& metadata) {
  if (metadata.size() > kMaxMetadataEntries) {
    return absl::InvalidArgumentError(
        StrCat("metadata has ", metadata.size(), " entries; the limit is ", kMaxMetadataEntries));
  }
  for (const auto& [key, value] : metadata) {
    if (key.empty() || key.size() > kMaxMetadataKeyBytes || NeedsEscape(key)) {
      return absl::InvalidArgumentError(StrCat("metadata key '", Shown(key),
                                               "' must be 1-", kMaxMetadataKeyBytes,
                                               " printable characters"));
    }
    if (value.size() > kMaxMetadataValueBytes) {
      return absl::InvalidArgumentError(StrCat("metadata '", key, "' is ", value.size(),
                                               " bytes; the limit is ", kMaxMetadataValueBytes));
    }
  }
  return absl::OkStatus();
}

void ServiceRegistry::Changed() {
  changes_.Notify();
}

absl::StatusOr<std::string> ServiceRegistry::Register(
    const std::string& name, const std::string& host, int port, const std::string& protocol,
    const std::map<std::string, std::string>& metadata, const std::string& source) {
  for (const std::string& problem :
       {CheckName(name), CheckServiceProtocol(protocol), CheckServiceHost(host)}) {
    if (!problem.empty()) return absl::InvalidArgumentError(problem);
  }
  if (port < 1 || port > 65535) {
    return absl::InvalidArgumentError(StrCat("port ", port, " is not in 1-65535"));
  }
  if (absl::Status bad = CheckMetadata(metadata); !bad.ok()) return bad;
  std::string location = LocationOf(host);
  store::ServiceRecord r;
  bool created = false;
  // Registrations arriving together share one commit (group_commit.h).
  absl::Status written = group_.Run([&] {
    absl::StatusOr<std::optional<store::ServiceRecord>> existing =
        services_.Find(name, protocol, host, port);
    if (!existing.ok()) return existing.status();
    if (existing->has_value()) {  // idempotent
      r = **existing;
      return absl::OkStatus();
    }
    r.id = RandomHexId("svc-");
    r.name = name;
    r.protocol = protocol;
    r.host = host;
    r.port = port;
    r.metadata = metadata;
    r.location = location;
    r.source = source;
    r.status = kServiceRegistered;
    r.created_at = r.updated_at = FormatIso8601Utc(clock_.Now());
    created = true;
    return services_.Insert(r);
  });
  if (!written.ok()) return written;
  if (created) {
    spdlog::info("service {} ({} {}:{}) registered as {}{}", name, protocol, host, port, r.id,
                 location.empty() ? "" : StrCat(" on ", location));
    Changed();
  }
  return r.id;
}

absl::Status ServiceRegistry::Deregister(const std::string& id, const std::string& why) {
  std::string previous;
  {
    std::lock_guard lock(mu_);
    absl::StatusOr<std::optional<store::ServiceRecord>> r = services_.Get(id);
    if (!r.ok()) return r.status();
    if (!r->has_value()) return absl::NotFoundError(StrCat("no service with id '", id, "'"));
    previous = (*r)->status;
    // Reported first: a crash in between repeats the report, never loses it.
    if (sink_) {
      if (absl::Status s = sink_->ServiceStatusChanged(id, previous, kServiceRemoved, why);
          !s.ok()) {
        return s;
      }
    }
    absl::StatusOr<bool> removed = services_.Remove(id);
    if (!removed.ok()) return removed.status();
  }
  Changed();
  return absl::OkStatus();
}

absl::Status ServiceRegistry::UpdateEndpoint(const std::string& id, const std::string& host,
                                             int port) {
  if (std::string problem = CheckServiceHost(host); !problem.empty()) {
    return absl::InvalidArgumentError(problem);
  }
  if (port < 1 || port > 65535) {
    return absl::InvalidArgumentError(StrCat("port ", port, " is not in 1-65535"));
  }
  std::string location = LocationOf(host);
  {
    std::lock_guard lock(mu_);
    absl::StatusOr<std::optional<store::ServiceRecord>> r = services_.Get(id);
    if (!r.ok()) return r.status();
    if (!r->has_value()) return absl::NotFoundError(StrCat("no service with id '", id, "'"));
    store::ServiceRecord updated = **r;
    if (updated.host == host && updated.port == port) return absl::OkStatus();
    std::string previous = updated.status;
    updated.host = host;
    updated.port = port;
    updated.location = location;
    updated.status = kServiceRegistered;
    updated.updated_at = FormatIso8601Utc(clock_.Now());
    if (sink_ && previous != kServiceRegistered) {
      if (absl::Status s = sink_->ServiceStatusChanged(
              id, previous, kServiceRegistered, StrCat("endpoint moved to ", host, ":", port));
          !s.ok()) {
        return s;
      }
    }
    if (absl::Status s = services_.Update(updated); !s.ok()) return s;
  }
  Changed();
  return absl::OkStatus();
}

absl::Status ServiceRegistry::SetStatus(const std::string& id, const std::string& status,
                                        const std::string& details) {
  std::lock_guard lock(mu_);
  absl::StatusOr<std::optional<store::ServiceRecord>> r = services_.Get(id);
  if (!r.ok()) return r.status();
  if (!r->has_value()) return absl::NotFoundError(StrCat("no service with id '", id, "'"));
  if ((*r)->status == status) return absl::OkStatus();
  if (sink_) {
    if (absl::Status s = sink_->ServiceStatusChanged(id, (*r)->status, status, details); !s.ok()) {
      return s;
    }
  }
  spdlog::info("service {} ({}): {} -> {}: {}", (*r)->name, id, (*r)->status, status, details);
  return services_.SetStatus(id, status, FormatIso8601Utc(clock_.Now()));
}

absl::Status ServiceRegistry::SyncPodServices() {
  struct Wanted {
    std::string pod, transport;
  };
  std::map<std::tuple<std::string, std::string, std::string, int>, Wanted> wanted;
  for (const auto& n : controller_.CurrentTopology().nodes) {
    if (n.kind != model::NodeKind::kPod || !n.ip) continue;
    for (const auto& s : n.services) {
      wanted[{s.name, s.kind, n.ip->ToString(), s.port}] = {n.name, s.transport};
    }
  }
  absl::StatusOr<std::vector<store::ServiceRecord>> rows;
  {
    std::lock_guard lock(mu_);
    rows = services_.List();
  }
  if (!rows.ok()) return rows.status();
  for (const auto& r : *rows) {
    if (r.source != "pod") continue;
    if (wanted.erase({r.name, r.protocol, r.host, r.port}) == 0) {
      if (absl::Status s = Deregister(r.id, StrCat("pod ", r.location, " no longer offers it"));
          !s.ok() && !absl::IsNotFound(s)) {
        return s;
      }
    }
  }
  for (const auto& [key, w] : wanted) {
    const auto& [name, kind, host, port] = key;
    absl::StatusOr<std::string> id =
        Register(name, host, port, kind, {{"pod", w.pod}, {"transport", w.transport}}, "pod");
    if (!id.ok()) {
      spdlog::warn("service {} of pod {}: {}", name, w.pod, std::string(id.status().message()));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<store::ServiceRecord>> ServiceRegistry::Get(const std::string& id) {
  std::lock_guard lock(mu_);
  return services_.Get(id);
}

absl::StatusOr<std::vector<ServiceView>> ServiceRegistry::List(const ServiceFilter& filter) {
  absl::StatusOr<std::vector<store::ServiceRecord>> all;
  {
    std::lock_guard lock(mu_);
    all = services_.List();
  }
  if (!all.ok()) return all.status();
  model::Topology topo = controller_.CurrentTopology();
  std::vector<ServiceView> out;
  for (auto& r : *all) {
    const model::TopologyNode* node = r.location.empty() ? nullptr : topo.FindNode(r.location);
    std::string ns = node ? node->k8s_namespace : "";
    if (!filter.protocol.empty() && r.protocol != filter.protocol) continue;
    if (!filter.status.empty() && r.status != filter.status) continue;
    if (!filter.k8s_namespace.empty() && ns != filter.k8s_namespace) continue;
    bool metadata_ok = true;
    for (const auto& [k, v] : filter.metadata) {
      auto it = r.metadata.find(k);
      metadata_ok &= it != r.metadata.end() && it->second == v;
    }
    if (!metadata_ok) continue;
    out.push_back({std::move(r), ns});
  }
  return out;
}

absl::StatusOr<std::vector<store::ServiceRecord>> ServiceRegistry::Records() {
  std::lock_guard lock(mu_);
  return services_.List();
}

absl::StatusOr<std::vector<store::ServiceRecord>> ServiceRegistry::FindByName(
    const std::string& name) {
  absl::StatusOr<std::vector<ServiceView>> all = List();
  if (!all.ok()) return all.status();
  std::vector<store::ServiceRecord> out;
  for (auto& v : *all) {
    if (v.record.name == name) out.push_back(std::move(v.record));
  }
  return out;
}

}  // namespace pharos::core
