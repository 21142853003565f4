// A request gRPC cannot decode (most often a string field that is not
// valid UTF-8, which protobuf refuses) reaches no handler: gRPC answers
// INTERNAL with an empty message, which reads like a server bug. This
// interceptor turns that answer into INVALID_ARGUMENT saying why.
#pragma once

#include <grpcpp/support/server_interceptor.h>

#include <memory>

namespace pharos::api {

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
DecodeErrorInterceptorFactory();

}  // namespace pharos::api
