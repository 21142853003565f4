#include "api/grpc/finding_conversions.h"

namespace pharos::api {

void ToProto(const model::Finding& f, pharos::api::v1::ValidationIssue* out) {
  out->set_path(f.path);
  out->set_description(f.description);
  out->set_severity(std::string(model::SeverityName(f.severity)));
  out->set_recommendation(f.recommendation);
  out->set_line(f.mark.line);
  out->set_column(f.mark.column);
}

}  // namespace pharos::api
