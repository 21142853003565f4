// kuksa.val.v1.VAL on the broker core: Get, Set, Subscribe, StreamedUpdate
// and GetServerInfo. Paths may name a branch or a pattern (as in KUKSA);
// errors per entry carry v1's HTTP-like codes, while UNAUTHENTICATED stays
// the call's status.
#pragma once

#include "broker/core/broker.h"
#include "broker/grpc/call_access.h"
#include "kuksa/val/v1/val.grpc.pb.h"

namespace pharos::broker::kuksa_val_v1 {

namespace v1 = ::kuksa::val::v1;

class ValService final : public v1::VAL::Service {
 public:
  ValService(Broker& broker, const TokenAuthority& tokens, ServerInfo info);

  grpc::Status Get(grpc::ServerContext* ctx, const v1::GetRequest* req,
                   v1::GetResponse* resp) override;
  grpc::Status Set(grpc::ServerContext* ctx, const v1::SetRequest* req,
                   v1::SetResponse* resp) override;
  grpc::Status Subscribe(grpc::ServerContext* ctx, const v1::SubscribeRequest* req,
                         grpc::ServerWriter<v1::SubscribeResponse>* writer) override;
  grpc::Status StreamedUpdate(grpc::ServerContext* ctx,
                              grpc::ServerReaderWriter<v1::StreamedUpdateResponse,
                                                       v1::StreamedUpdateRequest>* stream) override;
  grpc::Status GetServerInfo(grpc::ServerContext* ctx, const v1::GetServerInfoRequest* req,
                             v1::GetServerInfoResponse* resp) override;

 private:
  Broker& broker_;
  const TokenAuthority& tokens_;
  const ServerInfo info_;
};

}  // namespace pharos::broker::kuksa_val_v1
