// VISS v3's gRPC service (grpcProtobufMessages.VISS, the standard's
// vissv3.0.proto) on the broker's gRPC port, served with --enable-viss.
// Every call runs on a VissChannel, the same as a WebSocket's: the same
// filters, tokens (the message's Authorization, or the call's
// "authorization: Bearer" metadata), limits and errors. Errors are the
// proto's ErrorResponse with Status ERROR, the call itself OK, as the
// proto has it. A SubscribeRequest stream carries one subscription; an
// UnsubscribeRequest names it by the SubscriptionId its first message gave,
// and ends the stream.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "broker/auth/token_authority.h"
#include "broker/core/broker.h"
#include "broker/viss/viss_channel.h"
#include "common/clock.h"
#include "viss/v3/viss.grpc.pb.h"

namespace pharos::broker::viss_v3 {

namespace pb = ::grpcProtobufMessages;

class VissService final : public pb::VISS::Service {
 public:
  VissService(Broker& broker, const TokenAuthority& tokens, const Clock& clock,
              viss::ChannelOptions channel = {});
  ~VissService() override;  // ends every stream's subscription, joins its thread

  grpc::Status GetRequest(grpc::ServerContext* ctx, const pb::GetRequestMessage* req,
                          pb::GetResponseMessage* resp) override;
  grpc::Status SetRequest(grpc::ServerContext* ctx, const pb::SetRequestMessage* req,
                          pb::SetResponseMessage* resp) override;
  grpc::Status SubscribeRequest(grpc::ServerContext* ctx, const pb::SubscribeRequestMessage* req,
                                grpc::ServerWriter<pb::SubscribeStreamMessage>* writer) override;
  grpc::Status UnsubscribeRequest(grpc::ServerContext* ctx,
                                  const pb::UnsubscribeRequestMessage* req,
                                  pb::UnsubscribeResponseMessage* resp) override;

 private:
  struct Stream;
  // A channel of its own for one call (it keeps no tokens).
  std::shared_ptr<viss::VissChannel> NewChannel(std::function<void(std::string)> send);
  // Runs `r` on `channel`'s strand; its v2-shaped answer.
  nlohmann::json Execute(const std::shared_ptr<viss::VissChannel>& channel,
                         const viss::VissRequest& r);

  Broker& broker_;
  const TokenAuthority& tokens_;
  const Clock& clock_;
  const viss::ChannelOptions channel_options_;
  boost::asio::io_context ioc_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{
      ioc_.get_executor()};
  boost::asio::thread_pool actuations_{2};
  std::thread io_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Stream>> streams_;  // by SubscriptionId; guarded by mu_
  uint64_t next_stream_ = 1;                                // guarded by mu_
};

}  // namespace pharos::broker::viss_v3
