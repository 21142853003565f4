// Core <-> wire conversions; the only place that knows both worlds.
#pragma once

#include "api/grpc/finding_conversions.h"
#include "core/config_controller.h"
#include "pharos/api/v1/pharos_common.pb.h"
#include "pharos/api/v1/pharos_monitoring_messages.pb.h"
#include "pharos/ctl/v1/pharos_control.pb.h"
#include "store/config_store.h"

namespace pharos::api {

void ToProto(const core::ComponentStatus& c,
             pharos::api::v1::GetNetworkStatusResponse::ComponentStatus* out);

void ToProto(const store::ConfigVersion& v, bool current, pharos::ctl::v1::ConfigVersion* out);

}  // namespace pharos::api
