// VSS fields over kuksa.val.v2: the cloud connector as an ordinary client
// of pharos-broker (or any KUKSA databroker). Each field (a path, a
// branch, a glob) is expanded with ListMetadata and the expansion kept
// for a minute, so a sample is one GetValues call; a field that names no
// signal reads as none (the catalog may grow) instead of failing the rest.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "cloud/field_source.h"
#include "kuksa/val/v2/val.grpc.pb.h"

namespace pharos::cloud {

class KuksaFields final : public FieldSource {
 public:
  // `token`: a bearer token ("" : none).
  KuksaFields(std::string address, std::string token);
  absl::StatusOr<std::vector<FieldSample>> Read(const std::vector<Field>& fields,
                                                std::vector<std::string>& problems) override;

 private:
  absl::StatusOr<std::vector<std::string>> Expand(const Field& field);
  void Authorize(grpc::ClientContext& ctx) const;

  const std::string address_;
  const std::string token_;
  std::unique_ptr<kuksa::val::v2::VAL::Stub> stub_;
  std::mutex mu_;  // the expansions
  struct Expansion {
    std::vector<std::string> paths;
    std::chrono::steady_clock::time_point at;
  };
  std::map<std::string, Expansion> expansions_;
};

}  // namespace pharos::cloud
