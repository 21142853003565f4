// What pharosd does for each pharos-cni call: ADD becomes a runtime pod
// (the same path as RequestNetworkPod, attached to the runtime's
// namespace) and waits until it is built; CHECK compares the kernel with
// the lease; DEL releases; STATUS says whether pods can be set up.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "core/config_controller.h"
#include "core/pod_manager.h"

namespace pharos::cni {

struct CniServiceOptions {
  std::string interface_prefix;              // names the pod's namespace in /run/netns
  bool builds_dataplane = true;              // false with --dataplane=plan: ADD is refused
  std::chrono::milliseconds timeout{30000};  // how long ADD/DEL wait for the dataplane
};

class CniService {
 public:
  CniService(core::PodManager& pods, core::ConfigController& controller, CniServiceOptions options);

  // One request of the protocol in cni/protocol.h; returns the answer.
  nlohmann::json Handle(const nlohmann::json& request);

 private:
  struct Call;
  nlohmann::json Add(const Call& call);
  nlohmann::json Check(const Call& call);
  nlohmann::json Del(const Call& call);
  nlohmann::json Status();
  nlohmann::json Result(const Call& call, const std::string& pod);
  // The pod pharos-cni set up for this container (one interface each).
  std::optional<core::PodLease> LeaseOf(const std::string& container_id);

  core::PodManager& pods_;
  core::ConfigController& controller_;
  CniServiceOptions options_;
};

}  // namespace pharos::cni
