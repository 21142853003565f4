// The use cases behind the permission check: who may call what, what is
// audited, and the read paths that used to live in the gRPC layer.
#include <gtest/gtest.h>

#include <map>

#include "app/pharos.h"
#include "unit/plan_core.h"
#include "unit/test_support.h"

namespace pharos::app {
namespace {

using pharos::testing::kAdminToken;
using pharos::testing::kOperatorToken;
using pharos::testing::kViewerToken;
using pharos::testing::SeedVehicleYaml;

class AppTest : public ::testing::Test {
 protected:
  std::vector<store::AuditRow> Audit() {
    auto rows = core_.audit_rows->List(0, 1000);
    EXPECT_TRUE(rows.ok());
    return rows.ok() ? *rows : std::vector<store::AuditRow>{};
  }
  pharos::testing::PlanCore core_;
};

TEST_F(AppTest, AViewerReadsButIsRefusedAChangeAndNothingChanges) {
  AuthorizedPharos viewer = core_.View(kViewerToken);
  EXPECT_TRUE(viewer.GetNetworkStatus("").ok());
  core::ChangeOutcome out = viewer.ApplyConfiguration(SeedVehicleYaml(), false);
  EXPECT_EQ(out.status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(out.message.find("alice (viewer) may not call ApplyConfiguration: it needs admin"),
            std::string::npos)
      << out.message;
  EXPECT_TRUE(core_.controller->Versions()->empty());
  std::vector<store::AuditRow> audit = Audit();
  ASSERT_EQ(audit.size(), 1u);  // the refusal; the read that passed is not audited
  EXPECT_EQ(audit[0].principal, "alice");
  EXPECT_EQ(audit[0].method, "ApplyConfiguration");
  EXPECT_EQ(audit[0].result.rfind("PERMISSION_DENIED", 0), 0u) << audit[0].result;
}

TEST_F(AppTest, ACallerWithoutCredentialsIsUnauthenticatedEvenForReads) {
  AuthorizedPharos nobody = core_.View("");
  EXPECT_EQ(nobody.GetNetworkStatus("").status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(core_.View("not-a-token-at-all-0000").ListConfigVersions().status().code(),
            absl::StatusCode::kUnauthenticated);
  std::vector<store::AuditRow> audit = Audit();
  ASSERT_EQ(audit.size(), 2u);
  EXPECT_EQ(audit[0].principal, "?");
  EXPECT_EQ(audit[1].result, "UNAUTHENTICATED: unknown token");
}

TEST_F(AppTest, ChangesAreAuditedWithTheirOutcome) {
  ASSERT_TRUE(core_.View(kAdminToken).ApplyConfiguration(SeedVehicleYaml(), false).status.ok());
  EXPECT_EQ(core_.View(kOperatorToken).DeregisterService("svc-nope").code(),
            absl::StatusCode::kNotFound);
  std::vector<store::AuditRow> audit = Audit();
  ASSERT_EQ(audit.size(), 2u);
  EXPECT_EQ(audit[0].principal, "carol");
  EXPECT_EQ(audit[0].result, "OK");
  EXPECT_EQ(audit[1].principal, "bob");
  EXPECT_EQ(audit[1].result.rfind("NOT_FOUND", 0), 0u);
}

TEST_F(AppTest, RolesAreOrderedAndAUseCaseWithoutARoleNeedsAdmin) {
  EXPECT_EQ(RequiredRole("GetNetworkStatus"), auth::Role::kViewer);
  EXPECT_EQ(RequiredRole("RegisterService"), auth::Role::kOperator);
  EXPECT_EQ(RequiredRole("Teardown"), auth::Role::kAdmin);
  EXPECT_EQ(RequiredRole("SomethingAddedLater"), auth::Role::kAdmin);
  // An admin may do what an operator may.
  EXPECT_TRUE(core_.View(kAdminToken).ListLeases().ok());
  EXPECT_EQ(core_.View(kViewerToken).TestConnectivity({"a", "b", "icmp", 0, 0}).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(AppTest, NetworkStatusListsTheComponentsThenTheRegisteredServices) {
  AuthorizedPharos admin = core_.View(kAdminToken);
  ASSERT_TRUE(admin.ApplyConfiguration(SeedVehicleYaml(), false).status.ok());
  absl::StatusOr<std::string> id =
      admin.RegisterService("perception-service", "10.2.1.2", 8080, "grpc", {});
  ASSERT_TRUE(id.ok()) << id.status();
  auto all = admin.GetNetworkStatus("");
  ASSERT_TRUE(all.ok());
  ASSERT_GE(all->size(), 2u);
  EXPECT_NE(all->front().type, "service");
  const core::ComponentStatus& last = all->back();
  EXPECT_EQ(last.name, "perception-service");
  EXPECT_EQ(last.type, "service");
  EXPECT_EQ(last.status, "registered");
  EXPECT_EQ(last.connected_to, std::vector<std::string>{"perception-pod"});
  auto services = admin.GetNetworkStatus("service");
  ASSERT_TRUE(services.ok());
  ASSERT_EQ(services->size(), 1u);
  auto pods = admin.GetNetworkStatus("pod");
  ASSERT_TRUE(pods.ok());
  for (const auto& c : *pods) EXPECT_EQ(c.type, "pod") << c.name;
}

TEST_F(AppTest, PagesAreBoundedAndABadFeedIsRefused) {
  AuthorizedPharos admin = core_.View(kAdminToken);
  EXPECT_EQ(admin.ListNetworkEvents(0, 1001).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(admin.ListAuditLog(0, -1).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(admin.ListSecurityEvents(0, 0).ok());
  absl::Status cloud =
      admin.ConfigureCloudFeeding({true, 0, {"pharos.network.status"}, "mqtt://127.0.0.1/t"});
  EXPECT_EQ(cloud.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(cloud.message().find("interval_seconds"), std::string::npos) << cloud;
  auto plain = admin.ConfigureCloudFeeding({true, 10, {"pharos.network.status"}, "http://h/x"});
  EXPECT_EQ(plain.code(), absl::StatusCode::kInvalidArgument) << plain;
  auto status = core_.View(kViewerToken).GetCloudFeedingStatus();
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_FALSE(status->config.enabled);
  EXPECT_EQ(core_.View(kViewerToken).ConfigureCloudFeeding({false, 0, {}, ""}).code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(AppTest, SecurityAndCallbackStatusComeThroughTheView) {
  AuthorizedPharos viewer = core_.View(kViewerToken);
  auto security = viewer.GetSecurityStatus();
  ASSERT_TRUE(security.ok());
  EXPECT_FALSE(security->ingress_enabled);
  auto callbacks = viewer.GetCallbackStatus();
  ASSERT_TRUE(callbacks.ok());
  EXPECT_EQ(callbacks->flavour, "pharos");
  EXPECT_EQ(callbacks->pending, 0);
}

}  // namespace
}  // namespace pharos::app

namespace pharos::app {
namespace {

// A plain feed may go to the twin's cloud host, and is reached from the
// vehicle's cloud gateway: both follow the applied configuration.
TEST(CloudSourcesTest, TheTwinsCloudHostIsKnownFromTheAppliedConfiguration) {
  pharos::testing::PlanCore core;
  EXPECT_FALSE(daemon::IsTwinCloudHost(*core.controller, "172.16.1.2"));
  std::string yaml =
      pharos::testing::ReadFileOrDie(std::string(PHAROS_EXAMPLES_DIR) + "/cloud/vehicle.yaml");
  core::ChangeOutcome applied = core.controller->Apply(yaml, "apply", false);
  ASSERT_TRUE(applied.status.ok()) << applied.status;
  EXPECT_TRUE(daemon::IsTwinCloudHost(*core.controller, "172.16.1.2"));
  EXPECT_FALSE(daemon::IsTwinCloudHost(*core.controller, "172.16.1.1"));  // the gateway
  EXPECT_FALSE(daemon::IsTwinCloudHost(*core.controller, "cloud_vm1"));
  EXPECT_EQ(daemon::VehicleNameOf(*core.controller), "premium_sedan");
}

// The pharos. vocabulary as pharosd reads it: a value per component,
// service and mode, each with its field's priority.
TEST(CloudSourcesTest, ThePharosFieldsAreReadFromTheCore) {
  pharos::testing::PlanCore core;
  ASSERT_TRUE(
      core.controller->Apply(pharos::testing::SeedVehicleYaml(), "apply", false).status.ok());
  ASSERT_TRUE(core.registry->Register("brake", "10.2.1.3", 8081, "grpc", {}).ok());
  daemon::PharosCloudFields fields(*core.controller, *core.diagnostics, *core.registry,
                                   *core.enforcer);
  auto parsed = cloud::ParseFields({"pharos.*"});
  ASSERT_TRUE(parsed.ok());
  std::vector<std::string> problems;
  auto samples = fields.Read(*parsed, problems);
  ASSERT_TRUE(samples.ok()) << samples.status();
  // Plan mode builds nothing to count: the metrics say so, the rest is read.
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("pharos.network.metrics"), std::string::npos) << problems[0];
  std::map<std::string, cloud::FieldSample> by_path;
  for (const cloud::FieldSample& s : *samples) by_path[s.path] = s;
  ASSERT_TRUE(by_path.count("pharos.network.status.vm1"));
  EXPECT_EQ(std::get<std::string>(by_path["pharos.network.status.vm1"].value), "planned");
  EXPECT_EQ(by_path["pharos.network.status.vm1"].priority, cloud::Priority::kStatus);
  ASSERT_TRUE(by_path.count("pharos.emergency.mode"));
  EXPECT_EQ(std::get<std::string>(by_path["pharos.emergency.mode"].value), "");
  bool service = false;
  for (const auto& [path, s] : by_path) service |= path.starts_with("pharos.services.health.svc-");
  EXPECT_TRUE(service) << "the registered service's health";
  // Events are not sampled: the journal sends them.
  EXPECT_FALSE(by_path.count("pharos.security.events"));
}

}  // namespace
}  // namespace pharos::app
