// Findings -> the wire's ValidationIssue: shared by the gRPC front end and
// pharosctl's offline validation (which links nothing else of pharosd).
#pragma once

#include "model/findings.h"
#include "pharos/api/v1/pharos_common.pb.h"

namespace pharos::api {

void ToProto(const model::Finding& f, pharos::api::v1::ValidationIssue* out);

template <typename RepeatedIssues>
void AddIssues(const model::Findings& findings, RepeatedIssues* out) {
  for (const auto& f : findings.items()) ToProto(f, out->Add());
}

}  // namespace pharos::api
