// The cloud connector's use cases on the wire: ConfigureCloudFeeding and
// GetCloudFeedingStatus (spec §15) and pharos.ctl.v1's GetCloudStatus.
#pragma once

#include "cloud/connector.h"
#include "pharos/api/v1/pharos_security_messages.pb.h"
#include "pharos/ctl/v1/pharos_control.pb.h"

namespace pharos::api {

cloud::FeedConfig FeedConfigOf(const pharos::api::v1::ConfigureCloudFeedingRequest& request);
void ToProto(const cloud::FeedStatus& status, pharos::api::v1::GetCloudFeedingStatusResponse* out);
void ToProto(const cloud::FeedStatus& status, pharos::ctl::v1::GetCloudStatusResponse* out);

}  // namespace pharos::api
