// The pods requested at run time, as stored (runtime_pods) and as the
// controller merges them into every plan. Built before the controller
// (which reads it as its RuntimePodOverlay) and before the PodManager
// (which writes it), so neither needs the other wired in later.
#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "core/config_controller.h"
#include "store/network_store.h"
#include "store/pod_store.h"

namespace pharos::core {

class RuntimePodTable : public RuntimePodOverlay {
 public:
  // `db`: a connection of its own.
  explicit RuntimePodTable(store::Database& db) : rows_(db), networks_(db) {}

  // Every stored pod that is not being removed or held back.
  std::vector<RuntimePodSpec> OverlayPods() override;
  // Every network set up at run time by name.
  std::vector<RuntimeNetworkSpec> OverlayNetworks() override;

  // One lock for the rows, the parse cache and the held set; the pod
  // manager takes it for its own bookkeeping too (its requests read and
  // write the same rows the overlay reads).
  std::mutex& mu() { return mu_; }
  store::PodStore& rows() { return rows_; }              // mu() held
  store::NetworkStore& networks() { return networks_; }  // mu() held
  std::set<std::string>& held() { return held_; }  // mu() held: pods kept out of the overlay

 private:
  std::mutex mu_;
  store::PodStore rows_;
  store::NetworkStore networks_;
  std::set<std::string> held_;
};

}  // namespace pharos::core
