// Drives one subscription onto a server stream until the client cancels,
// the filter's duration ends or the stream breaks. Shared by the gRPC
// front ends; `write` turns an Update into the API's message and sends it
// (false: the stream is gone).
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <functional>
#include <memory>

#include "broker/core/broker.h"

namespace pharos::broker {

// How often an idle stream looks whether its client went away.
inline constexpr std::chrono::milliseconds kCancelPoll{250};

grpc::Status PumpSubscription(grpc::ServerContext& ctx, AuthorizedBroker& broker,
                              const std::shared_ptr<Subscription>& subscription,
                              std::chrono::milliseconds duration,
                              const std::function<bool(const Update&)>& write);

}  // namespace pharos::broker
