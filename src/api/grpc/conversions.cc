#include "api/grpc/conversions.h"

#include "common/strings.h"

namespace pharos::api {

void ToProto(const core::ComponentStatus& c,
             pharos::api::v1::GetNetworkStatusResponse::ComponentStatus* out) {
  out->set_name(c.name);
  out->set_type(c.type);
  out->set_status(c.status);
  out->set_ip_address(c.ip_address);
  for (const auto& peer : c.connected_to) out->add_connected_to(peer);
}

void ToProto(const store::ConfigVersion& v, bool current, pharos::ctl::v1::ConfigVersion* out) {
  out->set_id(StrCat(v.id));
  out->set_content_hash(v.content_hash);
  out->set_created_at(v.created_at);
  out->set_status(v.status);
  out->set_source(v.source);
  out->set_yaml(v.yaml);
  out->set_current(current);
}

}  // namespace pharos::api
