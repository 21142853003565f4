// Runtime pods between the model and the store: the pod block a request
// gave (model::PodSpec) as a typed row's fields, and back, without YAML.
#pragma once

#include <optional>
#include <string>

#include "model/vehicle.h"
#include "store/pod_store.h"

namespace pharos::core {

// The fields of `pod` a row keeps (its place and address are the row's own).
store::StoredPodSpec StoredSpecOf(const model::PodSpec& pod);

// The pod block of a stored row, as the parser would have made it from the
// same block with `ip` set to the lease (field paths included). nullopt for
// a row that does not hold a readable pod (logged).
std::optional<model::PodSpec> PodSpecOf(const store::RuntimePod& row);

}  // namespace pharos::core
