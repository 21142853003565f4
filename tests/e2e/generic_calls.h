// Calls to any method of a running server by its name, without generated
// stubs (grpc::GenericStub): for tests that walk every method a server
// serves, unary or streaming, and for the server's own reflection.
#pragma once

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <string>
#include <vector>

namespace pharos::e2e {

struct GenericAnswer {
  grpc::Status status;
  bool got_message = false;  // a (first) response arrived
};

// `method` is "/package.Service/Method"; `request` the serialized request.
// A streaming call sends the one request, reads the first response and
// then cancels (its status is then CANCELLED).
GenericAnswer CallGeneric(grpc::GenericStub& stub, grpc::ClientContext* ctx,
                          const std::string& method, const std::string& request, bool streaming);

// The services the server lists through gRPC server reflection
// (grpc.reflection.v1alpha), in the order it lists them.
std::vector<std::string> ReflectedServices(const std::shared_ptr<grpc::Channel>& channel);

}  // namespace pharos::e2e
