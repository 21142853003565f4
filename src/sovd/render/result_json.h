// Core results as JSON: what the gRPC chunks carry as response_payload and
// what the REST view builds its resources from. Field names follow the
// seed's examples (camelCase, "dtcs":[{"code":"P0101","status":"active"}]).
#pragma once

#include <nlohmann/json.hpp>

#include "sovd/core/result.h"

namespace pharos::sovd::render {

nlohmann::json ResultJson(const core::EcuResult& result);
// The list a large answer may be split on ("dtcs", "data", "records"), "" for none.
std::string ResultListKey(const core::EcuResult& result);

nlohmann::json DtcJson(const core::DtcEntry& dtc);
nlohmann::json DataJson(const core::DataEntry& entry);

}  // namespace pharos::sovd::render
