#include "broker/grpc/subscription_pump.h"

namespace pharos::broker {

grpc::Status PumpSubscription(grpc::ServerContext& ctx, AuthorizedBroker& broker,
                              const std::shared_ptr<Subscription>& subscription,
                              std::chrono::milliseconds duration,
                              const std::function<bool(const Update&)>& write) {
  using Steady = std::chrono::steady_clock;
  std::optional<Steady::time_point> end;
  if (duration.count() > 0) end = Steady::now() + duration;
  while (!ctx.IsCancelled()) {
    auto wait = kCancelPoll;
    if (end) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*end - Steady::now());
      if (left.count() <= 0) break;
      wait = std::min(wait, left);
    }
    std::optional<Update> update = subscription->Next(wait);
    if (!update) {
      if (subscription->closed()) break;
      continue;
    }
    if (!write(*update)) break;
  }
  broker.Unsubscribe(subscription);
  return grpc::Status::OK;
}

}  // namespace pharos::broker
