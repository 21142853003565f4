#include "api/grpc/grpc_status.h"
#include "google/rpc/status.pb.h"

namespace pharos::api {

grpc::StatusCode ToGrpcCode(absl::StatusCode code) {
  // absl and gRPC share the canonical code numbers.
  return static_cast<grpc::StatusCode>(static_cast<int>(code));
}

grpc::Status ToGrpcStatus(const absl::Status& status,
                          std::initializer_list<const google::protobuf::Message*> details) {
  if (status.ok()) return grpc::Status::OK;
  google::rpc::Status rich;
  rich.set_code(static_cast<int>(status.code()));
  rich.set_message(std::string(status.message()));
  for (const google::protobuf::Message* d : details) {
    if (d) rich.add_details()->PackFrom(*d);
  }
  return grpc::Status(ToGrpcCode(status.code()), std::string(status.message()),
                      rich.SerializeAsString());
}

}  // namespace pharos::api
