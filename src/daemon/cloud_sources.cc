#include "daemon/cloud_sources.h"

#include "common/strings.h"
#include "model/config_parser.h"
#include "store/journal_store.h"

namespace pharos::daemon {
namespace {

using cloud::FieldSample;
using cloud::Priority;

bool Wants(const std::vector<cloud::Field>& fields, std::string_view name) {
  for (const cloud::Field& f : fields) {
    if (f.text == name) return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<std::vector<FieldSample>> PharosCloudFields::Read(
    const std::vector<cloud::Field>& fields, std::vector<std::string>& problems) {
  std::vector<FieldSample> out;
  if (Wants(fields, "pharos.network.status")) {
    auto status = controller_.Status("");
    if (!status.ok()) {
      problems.push_back(StrCat("pharos.network.status: ", status.status().message()));
    } else {
      for (const core::ComponentStatus& c : *status) {
        out.push_back({"pharos.network.status." + c.name, c.status, Priority::kStatus});
      }
    }
  }
  if (Wants(fields, "pharos.services.health")) {
    auto services = registry_.List();
    if (!services.ok()) {
      problems.push_back(StrCat("pharos.services.health: ", services.status().message()));
    } else {
      for (const core::ServiceView& v : *services) {
        out.push_back(
            {"pharos.services.health." + v.record.id, v.record.status, Priority::kStatus});
      }
    }
  }
  if (Wants(fields, "pharos.network.metrics")) {
    auto metrics = diagnostics_.Metrics("", 0);
    if (!metrics.ok())
      problems.push_back(StrCat("pharos.network.metrics: ", metrics.status().message()));
    for (const core::ComponentMetrics& m :
         metrics.ok() ? *metrics : std::vector<core::ComponentMetrics>{}) {
      std::string at = "pharos.network.metrics." + m.component + ".";
      for (auto [name, value] :
           {std::pair{"bytes_in", m.bytes_in}, std::pair{"bytes_out", m.bytes_out},
            std::pair{"packets_in", m.packets_in}, std::pair{"packets_out", m.packets_out},
            std::pair{"errors_in", m.errors_in}, std::pair{"errors_out", m.errors_out}}) {
        out.push_back({at + name, static_cast<int64_t>(value), Priority::kTelemetry});
      }
    }
  }
  if (Wants(fields, "pharos.emergency.mode")) {
    out.push_back({"pharos.emergency.mode", enforcer_.ActiveMode(), Priority::kStatus});
  }
  return out;
}

absl::StatusOr<std::vector<cloud::EventRecord>> JournalEvents::Next(
    int64_t after, std::chrono::milliseconds wait) {
  auto batch = feed_.Next(after, wait);
  if (!batch.ok()) return batch.status();
  std::vector<cloud::EventRecord> out;
  for (const store::JournalEntry& e : batch->entries) {
    bool security = e.kind == store::kJournalSecurityEvent;
    out.push_back({security ? "pharos.security.events" : "pharos.network.events",
                   security ? Priority::kSecurity : Priority::kStatus, e.at, e.kind, e.subject,
                   e.severity, e.previous, e.current, e.detail, e.id});
  }
  return out;
}

std::string VehicleNameOf(core::ConfigController& controller) {
  absl::StatusOr<store::ConfigVersion> current = controller.Version("");
  if (!current.ok() || current->yaml.empty()) return "";
  model::ParsedConfig parsed = model::ParseConfig(current->yaml);
  return parsed.document.vehicle.name.value;
}

bool IsTwinCloudHost(core::ConfigController& controller, const std::string& host) {
  auto address = Ipv4Address::Parse(host);
  if (!address) return false;
  std::shared_ptr<const model::Topology> topology = controller.TopologySnapshot();
  for (const model::TopologyNode& n : topology->nodes) {
    if (n.kind == model::NodeKind::kCloudHost && n.ip && *n.ip == *address) return true;
  }
  return false;
}

}  // namespace pharos::daemon
