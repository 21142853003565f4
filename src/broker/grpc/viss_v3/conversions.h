// VISS v3's gRPC messages (proto/viss/v3/viss.proto, the standard's
// vissv3.0.proto byte for byte) to and from the VISS channel's v2 terms.
#pragma once

#include <optional>
#include <string>
#include <variant>

#include "broker/viss/viss_request.h"
#include "nlohmann/json.hpp"
#include "viss/v3/viss.pb.h"

namespace pharos::broker::viss_v3 {

namespace pb = ::grpcProtobufMessages;

// A request as the channel executes it; `token` is the message's
// Authorization, or the call's "authorization: Bearer" metadata.
std::variant<viss::VissRequest, viss::VissError> GetRequestOf(const pb::GetRequestMessage& m,
                                                              std::optional<std::string> token);
std::variant<viss::VissRequest, viss::VissError> SetRequestOf(const pb::SetRequestMessage& m,
                                                              std::optional<std::string> token);
std::variant<viss::VissRequest, viss::VissError> SubscribeRequestOf(
    const pb::SubscribeRequestMessage& m, std::optional<std::string> token);

// The v3 error of a v2-shaped {number, reason, message}: the number as
// text, v3's one 401 reason, the message as Description.
void SetError(const nlohmann::json& error, pb::ErrorResponseMessage* out);
void SetError(const viss::VissError& error, pb::ErrorResponseMessage* out);
// v2's "data" (one entry or an array; "dp" one point or an array).
void SetData(const nlohmann::json& data, pb::DataPackages* out);

}  // namespace pharos::broker::viss_v3
