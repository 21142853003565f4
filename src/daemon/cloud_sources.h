// What the cloud connector reads in pharosd: its `pharos.` fields over the
// core's parts, and the watch journal as events. Adapters only: the
// vocabulary itself is cloud/fields.h, the payload cloud/payload.h.
#pragma once

#include "app/watch.h"
#include "cloud/event_source.h"
#include "cloud/field_source.h"
#include "core/config_controller.h"
#include "core/diagnostics.h"
#include "core/service_registry.h"
#include "security/policy_enforcer.h"

namespace pharos::daemon {

class PharosCloudFields final : public cloud::FieldSource {
 public:
  PharosCloudFields(core::ConfigController& controller, core::Diagnostics& diagnostics,
                    core::ServiceRegistry& registry, security::PolicyEnforcer& enforcer)
      : controller_(controller),
        diagnostics_(diagnostics),
        registry_(registry),
        enforcer_(enforcer) {}
  // A word that cannot be read (metrics in plan mode: nothing is built)
  // leaves the others and says why in `problems`.
  absl::StatusOr<std::vector<cloud::FieldSample>> Read(const std::vector<cloud::Field>& fields,
                                                       std::vector<std::string>& problems) override;

 private:
  core::ConfigController& controller_;
  core::Diagnostics& diagnostics_;
  core::ServiceRegistry& registry_;
  security::PolicyEnforcer& enforcer_;
};

// The journal's kinds as fields: security events as pharos.security.events,
// everything else (status transitions, health, pod completions) as
// pharos.network.events.
class JournalEvents final : public cloud::EventSource {
 public:
  explicit JournalEvents(app::WatchFeed& feed) : feed_(feed) {}
  absl::StatusOr<std::vector<cloud::EventRecord>> Next(int64_t after,
                                                       std::chrono::milliseconds wait) override;
  absl::StatusOr<int64_t> Newest() override { return feed_.Newest(); }

 private:
  app::WatchFeed& feed_;
};

// The vehicle's name in the current configuration ("" when none).
std::string VehicleNameOf(core::ConfigController& controller);
// Whether `host` is a cloud host of the current configuration (the twin's
// emulated cloud: plain MQTT/HTTP to it stays inside this machine).
bool IsTwinCloudHost(core::ConfigController& controller, const std::string& host);

}  // namespace pharos::daemon
