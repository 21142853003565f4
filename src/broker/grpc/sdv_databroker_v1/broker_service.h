// sdv.databroker.v1: Broker (what Velocitas apps built on older SDKs call:
// GetDatapoints, SetDatapoints, query Subscribe, GetMetadata) and Collector
// (what feeders call: RegisterDatapoints, UpdateDatapoints,
// StreamDatapoints), on the same core as kuksa.val.v2.
#pragma once

#include "broker/core/broker.h"
#include "broker/grpc/call_access.h"
#include "sdv/databroker/v1/broker.grpc.pb.h"
#include "sdv/databroker/v1/collector.grpc.pb.h"

namespace pharos::broker::sdv_databroker_v1 {

namespace sdv = ::sdv::databroker::v1;

class BrokerService final : public sdv::Broker::Service {
 public:
  BrokerService(Broker& broker, const TokenAuthority& tokens) : broker_(broker), tokens_(tokens) {}

  grpc::Status GetDatapoints(grpc::ServerContext* ctx, const sdv::GetDatapointsRequest* req,
                             sdv::GetDatapointsReply* resp) override;
  grpc::Status SetDatapoints(grpc::ServerContext* ctx, const sdv::SetDatapointsRequest* req,
                             sdv::SetDatapointsReply* resp) override;
  grpc::Status Subscribe(grpc::ServerContext* ctx, const sdv::SubscribeRequest* req,
                         grpc::ServerWriter<sdv::SubscribeReply>* writer) override;
  grpc::Status GetMetadata(grpc::ServerContext* ctx, const sdv::GetMetadataRequest* req,
                           sdv::GetMetadataReply* resp) override;

 private:
  Broker& broker_;
  const TokenAuthority& tokens_;
};

class CollectorService final : public sdv::Collector::Service {
 public:
  CollectorService(Broker& broker, const TokenAuthority& tokens)
      : broker_(broker), tokens_(tokens) {}

  grpc::Status RegisterDatapoints(grpc::ServerContext* ctx,
                                  const sdv::RegisterDatapointsRequest* req,
                                  sdv::RegisterDatapointsReply* resp) override;
  grpc::Status UpdateDatapoints(grpc::ServerContext* ctx, const sdv::UpdateDatapointsRequest* req,
                                sdv::UpdateDatapointsReply* resp) override;
  grpc::Status StreamDatapoints(
      grpc::ServerContext* ctx,
      grpc::ServerReaderWriter<sdv::StreamDatapointsReply, sdv::StreamDatapointsRequest>* stream)
      override;

 private:
  Broker& broker_;
  const TokenAuthority& tokens_;
};

}  // namespace pharos::broker::sdv_databroker_v1
