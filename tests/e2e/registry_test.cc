// The service registry over real gRPC against a real pharosd (plan
// dataplane: no privileges needed): register, duplicates, endpoint
// updates, deregistration, bad input, filters, persistence across restart.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <map>
#include <thread>

#include "e2e/callback_receiver.h"
#include "e2e/daemon_process.h"
#include "pharos/api/v1/pharos_service.grpc.pb.h"
#include "pharos/ctl/v1/pharos_control.grpc.pb.h"

namespace pharos::e2e {
namespace {

namespace v1 = pharos::api::v1;
namespace ctl = pharos::ctl::v1;

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Start();
    v1::ApplyConfigurationRequest req;
    req.set_config_yaml(ReadFile(std::string(PHAROS_EXAMPLES_DIR) + "/vehicle.yaml"));
    v1::ApplyConfigurationResponse resp;
    ASSERT_TRUE(stub_->ApplyConfiguration(Ctx().get(), req, &resp).ok());
  }
  void TearDown() override { Stop(); }
  void Start(std::vector<std::string> args = {"--dataplane=plan", "--callback-endpoint=none"}) {
    daemon_ = std::make_unique<DaemonProcess>(dir_.path(), std::move(args));
    ASSERT_TRUE(daemon_->Start());
    channel_ = grpc::CreateChannel(daemon_->address(), grpc::InsecureChannelCredentials());
    stub_ = v1::PharosService::NewStub(channel_);
    ctl_ = ctl::PharosControlService::NewStub(channel_);
  }
  void Stop() {
    stub_.reset();
    ctl_.reset();
    channel_.reset();
    daemon_.reset();
  }
  static std::unique_ptr<grpc::ClientContext> Ctx() {
    auto c = std::make_unique<grpc::ClientContext>();
    c->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return c;
  }
  grpc::Status Register(const std::string& name, const std::string& host, int port,
                        const std::string& protocol, std::string* id,
                        std::map<std::string, std::string> metadata = {}) {
    v1::RegisterServiceRequest req;
    req.set_service_name(name);
    req.set_host(host);
    req.set_port(port);
    req.set_protocol(protocol);
    req.mutable_metadata()->insert(metadata.begin(), metadata.end());
    v1::RegisterServiceResponse resp;
    grpc::Status s = stub_->RegisterService(Ctx().get(), req, &resp);
    if (id) *id = resp.service_id();
    EXPECT_EQ(resp.success(), s.ok());
    return s;
  }
  std::vector<ctl::Service> List(ctl::ListServicesRequest req = {}) {
    ctl::ListServicesResponse resp;
    grpc::Status s = ctl_->ListServices(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return {resp.services().begin(), resp.services().end()};
  }

  TempDir dir_;
  std::unique_ptr<DaemonProcess> daemon_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::PharosService::Stub> stub_;
  std::unique_ptr<ctl::PharosControlService::Stub> ctl_;
};

TEST_F(RegistryTest, RegisterDuplicateUpdateDeregister) {
  std::string id, again;
  ASSERT_TRUE(
      Register("perception-service", "10.2.1.2", 8080, "grpc", &id, {{"version", "1"}}).ok());
  EXPECT_EQ(id.rfind("svc-", 0), 0u) << id;
  // The same name and endpoint again: the same service.
  ASSERT_TRUE(Register("perception-service", "10.2.1.2", 8080, "grpc", &again).ok());
  EXPECT_EQ(again, id);
  auto services = List();
  ASSERT_EQ(services.size(), 1u);
  EXPECT_EQ(services[0].service_id(), id);
  EXPECT_EQ(services[0].location(), "perception-pod");  // where 10.2.1.2 is
  EXPECT_EQ(services[0].namespace_(), "perception");
  EXPECT_EQ(services[0].status(), "registered");
  EXPECT_EQ(services[0].source(), "api");
  EXPECT_EQ(services[0].metadata().at("version"), "1");

  // The endpoint moves to control-pod; the id stays.
  v1::UpdateServiceEndpointRequest update;
  update.set_service_id(id);
  update.set_host("10.2.1.3");
  update.set_port(8081);
  v1::UpdateServiceEndpointResponse updated;
  ASSERT_TRUE(stub_->UpdateServiceEndpoint(Ctx().get(), update, &updated).ok());
  EXPECT_TRUE(updated.success());
  services = List();
  ASSERT_EQ(services.size(), 1u);
  EXPECT_EQ(services[0].service_id(), id);
  EXPECT_EQ(services[0].host(), "10.2.1.3");
  EXPECT_EQ(services[0].port(), 8081);
  EXPECT_EQ(services[0].location(), "control-pod");

  v1::DeregisterServiceRequest dereg;
  dereg.set_service_id(id);
  v1::DeregisterServiceResponse removed;
  ASSERT_TRUE(stub_->DeregisterService(Ctx().get(), dereg, &removed).ok());
  EXPECT_TRUE(removed.success());
  EXPECT_TRUE(List().empty());
  // Unknown ids: NOT_FOUND, for both.
  EXPECT_EQ(stub_->DeregisterService(Ctx().get(), dereg, &removed).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(stub_->UpdateServiceEndpoint(Ctx().get(), update, &updated).error_code(),
            grpc::StatusCode::NOT_FOUND);
  // A new registration of the same service gets a new id: ids are not reused.
  std::string fresh;
  ASSERT_TRUE(Register("perception-service", "10.2.1.2", 8080, "grpc", &fresh).ok());
  EXPECT_NE(fresh, id);
}

TEST_F(RegistryTest, BadInputIsRefusedWithInvalidArgument) {
  struct Case {
    std::string name, host;
    int port;
    std::string protocol, says;
  } cases[] = {
      {"svc", "10.2.1.2", 8080, "http", "protocol 'http'"},
      {"svc", "10.2.1.2", 8080, "", "protocol ''"},
      {"svc", "10.2.1.300", 8080, "grpc", "not a valid IPv4"},
      {"svc", "bad host!", 8080, "grpc", "not a valid host name"},
      {"svc", "", 8080, "grpc", "host is required"},
      {"svc", "10.2.1.2", 0, "grpc", "port 0"},
      {"svc", "10.2.1.2", 70000, "grpc", "port 70000"},
      {"", "10.2.1.2", 8080, "grpc", "service_name is required"},
  };
  for (const auto& c : cases) {
    grpc::Status s = Register(c.name, c.host, c.port, c.protocol, nullptr);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.says;
    EXPECT_NE(s.error_message().find(c.says), std::string::npos) << s.error_message();
  }
  EXPECT_TRUE(List().empty());
  // A host name is fine (a service outside the vehicle).
  EXPECT_TRUE(Register("maps", "maps.example.com", 443, "rest", nullptr).ok());
}

TEST_F(RegistryTest, FiltersAndPersistenceAcrossRestart) {
  std::string a, b, c;
  ASSERT_TRUE(Register("radar", "10.2.1.2", 30509, "someip", &a, {{"instance", "1"}}).ok());
  ASSERT_TRUE(Register("brake", "10.2.1.3", 8081, "grpc", &b, {{"asil", "D"}}).ok());
  ASSERT_TRUE(Register("lidar", "10.2.1.2", 7400, "dds", &c).ok());
  Stop();
  Start();  // the same state directory
  auto all = List();
  ASSERT_EQ(all.size(), 3u);
  std::map<std::string, std::string> ids;
  for (const auto& s : all) ids[s.name()] = s.service_id();
  EXPECT_EQ(ids["radar"], a);
  EXPECT_EQ(ids["brake"], b);
  EXPECT_EQ(ids["lidar"], c);

  ctl::ListServicesRequest by_protocol;
  by_protocol.set_protocol("someip");
  auto someip = List(by_protocol);
  ASSERT_EQ(someip.size(), 1u);
  EXPECT_EQ(someip[0].name(), "radar");
  ctl::ListServicesRequest by_namespace;
  by_namespace.set_namespace_("perception");
  EXPECT_EQ(List(by_namespace).size(), 2u);  // radar and lidar run on perception-pod
  ctl::ListServicesRequest by_metadata;
  (*by_metadata.mutable_metadata())["asil"] = "D";
  auto asil = List(by_metadata);
  ASSERT_EQ(asil.size(), 1u);
  EXPECT_EQ(asil[0].name(), "brake");
  ctl::ListServicesRequest by_status;
  by_status.set_status("healthy");
  EXPECT_TRUE(List(by_status).empty());
}

TEST_F(RegistryTest, ServicesDeclaredByPodsComeAndGoWithThem) {
  std::string yaml = ReadFile(std::string(PHAROS_EXAMPLES_DIR) + "/vehicle.yaml");
  std::string with_services = yaml;
  const std::string anchor = "            - name: control-pod\n";
  with_services.replace(with_services.find(anchor), 0,
                        "              services:\n"
                        "                - {name: camera-feed, port: 8080}\n"
                        "                - {name: radar-events, port: 30509, protocol: udp}\n");
  v1::ApplyConfigurationRequest req;
  req.set_config_yaml(with_services);
  v1::ApplyConfigurationResponse resp;
  ASSERT_TRUE(stub_->ApplyConfiguration(Ctx().get(), req, &resp).ok());
  ASSERT_TRUE(resp.success()) << resp.message();
  std::vector<ctl::Service> services;
  for (int i = 0; i < 50 && services.size() < 2; ++i) {
    services = List();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(services.size(), 2u);
  std::map<std::string, ctl::Service> by_name;
  for (const auto& s : services) by_name[s.name()] = s;
  EXPECT_EQ(by_name["camera-feed"].protocol(), "grpc");  // tcp by default: grpc
  EXPECT_EQ(by_name["camera-feed"].host(), "10.2.1.2");
  EXPECT_EQ(by_name["camera-feed"].location(), "perception-pod");
  EXPECT_EQ(by_name["camera-feed"].source(), "pod");
  EXPECT_EQ(by_name["radar-events"].protocol(), "someip");  // udp by default: someip
  EXPECT_EQ(by_name["radar-events"].metadata().at("transport"), "udp");

  req.set_config_yaml(yaml);  // the pod no longer declares them
  ASSERT_TRUE(stub_->ApplyConfiguration(Ctx().get(), req, &resp).ok());
  for (int i = 0; i < 50 && !services.empty(); ++i) {
    services = List();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(services.empty());
}

TEST_F(RegistryTest, ServicesOfARuntimePodAreRegisteredAndReleasedWithIt) {
  v1::RequestNetworkPodRequest req;
  req.set_node_yaml("name: vm1\n");
  req.set_pod_name("planner");
  req.set_network_yaml(
      "namespace: planning\nnetworking: {type: cni, subnet: 10.2.1.0/24}\n"
      "services:\n  - {name: route-planner, port: 8443, kind: rest}\n");
  v1::RequestNetworkPodResponse resp;
  ASSERT_TRUE(stub_->RequestNetworkPod(Ctx().get(), req, &resp).ok());
  std::vector<ctl::Service> services;
  for (int i = 0; i < 50 && services.empty(); ++i) {
    services = List();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(services.size(), 1u);
  EXPECT_EQ(services[0].name(), "route-planner");
  EXPECT_EQ(services[0].protocol(), "rest");
  EXPECT_EQ(services[0].location(), "planner");
  EXPECT_EQ(services[0].namespace_(), "planning");
  EXPECT_EQ(services[0].source(), "pod");

  req.set_network_yaml("remove: true\n");
  ASSERT_TRUE(stub_->RequestNetworkPod(Ctx().get(), req, &resp).ok());
  for (int i = 0; i < 50 && !services.empty(); ++i) {
    services = List();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(services.empty());
}

TEST_F(RegistryTest, DeregistrationIsReportedToPiccolo) {
  CallbackReceiver piccolo;
  ASSERT_TRUE(piccolo.Start());
  Stop();
  Start(
      {"--dataplane=plan", "--callback-endpoint=" + piccolo.address(), "--callback-max-backoff=1"});
  std::string id;
  ASSERT_TRUE(Register("brake", "10.2.1.3", 8081, "grpc", &id).ok());
  v1::DeregisterServiceRequest dereg;
  dereg.set_service_id(id);
  v1::DeregisterServiceResponse removed;
  ASSERT_TRUE(stub_->DeregisterService(Ctx().get(), dereg, &removed).ok());
  auto changes = piccolo.WaitForServiceChanges(1, std::chrono::seconds(10));
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].service_id(), id);
  EXPECT_EQ(changes[0].previous_status(), "registered");
  EXPECT_EQ(changes[0].current_status(), "removed");
  EXPECT_FALSE(changes[0].timestamp().empty());
  Stop();
  piccolo.Stop();
}

}  // namespace
}  // namespace pharos::e2e
