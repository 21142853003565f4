// absl::Status -> grpc::Status at the edge, with the rich error model:
// the response message a caller would have received is packed into
// google.rpc.Status.details, so "the response's own fields still tell the
// story" even when the call fails.
#pragma once

#include <grpcpp/grpcpp.h>

#include <initializer_list>

#include "absl/status/status.h"
#include "google/protobuf/message.h"

namespace pharos::api {

grpc::StatusCode ToGrpcCode(absl::StatusCode code);

grpc::Status ToGrpcStatus(const absl::Status& status,
                          std::initializer_list<const google::protobuf::Message*> details = {});

}  // namespace pharos::api
