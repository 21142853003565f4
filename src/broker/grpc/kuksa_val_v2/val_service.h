// kuksa.val.v2.VAL on the broker core: every RPC, with the status codes
// the proto's comments give. Each call resolves its caller's Access first
// and reaches the core only through AuthorizedBroker.
#pragma once

#include "broker/core/broker.h"
#include "broker/grpc/call_access.h"
#include "kuksa/val/v2/val.grpc.pb.h"

namespace pharos::broker::kuksa_val_v2 {

namespace v2 = ::kuksa::val::v2;

class ValService final : public v2::VAL::Service {
 public:
  ValService(Broker& broker, const TokenAuthority& tokens, ServerInfo info);

  grpc::Status GetValue(grpc::ServerContext* ctx, const v2::GetValueRequest* req,
                        v2::GetValueResponse* resp) override;
  grpc::Status GetValues(grpc::ServerContext* ctx, const v2::GetValuesRequest* req,
                         v2::GetValuesResponse* resp) override;
  grpc::Status Subscribe(grpc::ServerContext* ctx, const v2::SubscribeRequest* req,
                         grpc::ServerWriter<v2::SubscribeResponse>* writer) override;
  grpc::Status SubscribeById(grpc::ServerContext* ctx, const v2::SubscribeByIdRequest* req,
                             grpc::ServerWriter<v2::SubscribeByIdResponse>* writer) override;
  grpc::Status Actuate(grpc::ServerContext* ctx, const v2::ActuateRequest* req,
                       v2::ActuateResponse* resp) override;
  grpc::Status ActuateStream(grpc::ServerContext* ctx,
                             grpc::ServerReader<v2::ActuateRequest>* reader,
                             v2::ActuateResponse* resp) override;
  grpc::Status BatchActuate(grpc::ServerContext* ctx, const v2::BatchActuateRequest* req,
                            v2::BatchActuateResponse* resp) override;
  grpc::Status ListMetadata(grpc::ServerContext* ctx, const v2::ListMetadataRequest* req,
                            v2::ListMetadataResponse* resp) override;
  grpc::Status PublishValue(grpc::ServerContext* ctx, const v2::PublishValueRequest* req,
                            v2::PublishValueResponse* resp) override;
  grpc::Status OpenProviderStream(
      grpc::ServerContext* ctx,
      grpc::ServerReaderWriter<v2::OpenProviderStreamResponse, v2::OpenProviderStreamRequest>*
          stream) override;
  grpc::Status GetServerInfo(grpc::ServerContext* ctx, const v2::GetServerInfoRequest* req,
                             v2::GetServerInfoResponse* resp) override;

 private:
  Broker& broker_;
  const TokenAuthority& tokens_;
  const ServerInfo info_;
};

}  // namespace pharos::broker::kuksa_val_v2
