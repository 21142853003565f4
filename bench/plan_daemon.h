// The real pharosd, in process, in plan mode: every part built as pharosd
// builds it (store, authorization, the use cases, the gRPC services), the
// dataplane only computed. For benchmarks of the API path.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "common/clock.h"
#include "daemon/daemon.h"

inline std::unique_ptr<pharos::Daemon> StartPlanDaemon(const std::filesystem::path& state_dir,
                                                       const pharos::Clock& clock) {
  pharos::DaemonOptions o;
  o.listen = "127.0.0.1:0";
  o.state_dir = state_dir.string();
  o.dataplane = pharos::dataplane::DataplaneMode::kPlan;
  o.callback_endpoint = "none";
  o.cni_socket = "none";
  o.someip_sd_group = "none";
  o.dds_domain = "none";
  auto daemon = pharos::Daemon::Start(o, clock);
  if (!daemon.ok()) {
    fprintf(stderr, "pharosd (plan) did not start: %s\n",
            std::string(daemon.status().message()).c_str());
    return nullptr;
  }
  return std::move(*daemon);
}
