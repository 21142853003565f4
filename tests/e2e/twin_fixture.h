// The fixture of the pod twin tests: a real pharosd (emulated dataplane,
// unique interface prefix, Piccolo's port reserved for a test's receiver)
// with the seed vehicle applied, and what those tests ask of it.
#pragma once

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <string>

#include "e2e/callback_receiver.h"
#include "e2e/daemon_process.h"
#include "e2e/twin_support.h"
#include "pharos/api/v1/pharos_service.grpc.pb.h"
#include "pharos/ctl/v1/pharos_control.grpc.pb.h"

namespace pharos::e2e {

namespace v1 = pharos::api::v1;
namespace ctl = pharos::ctl::v1;

inline constexpr char kNodeYaml[] = "name: vm1\nip: \"10.2.0.10\"\n";
// Pullpiri's Node artifact naming the same VM by address.
inline constexpr char kPullpiriNode[] =
    "apiVersion: v1\nkind: Node\nmetadata:\n  name: hpc-node\nspec:\n  role: nodeagent\n"
    "  ip_address: 10.2.0.10\n";
inline constexpr char kPodNetwork[] =
    "namespace: planning\nnetworking:\n  type: cni\n  subnet: \"10.2.1.0/24\"\n";

class SeedTwinTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "twin tests build namespaces and need root";
    // Reserve Piccolo's port; it is served only when a test says so.
    CallbackReceiver placeholder;
    ASSERT_TRUE(placeholder.Start());
    port_ = placeholder.port();
    placeholder.Stop();
    StartDaemon();
    v1::ApplyConfigurationRequest req;
    req.set_config_yaml(ReadFile(std::string(PHAROS_EXAMPLES_DIR) + "/vehicle.yaml"));
    v1::ApplyConfigurationResponse resp;
    ASSERT_TRUE(stub_->ApplyConfiguration(Ctx().get(), req, &resp).ok());
  }
  void TearDown() override {
    // Close the channel first: an open one holds pharosd's shutdown 5 s.
    stub_.reset();
    ctl_.reset();
    channel_.reset();
    daemon_.reset();
    RemoveNamespacesWithPrefix(prefix_);
  }
  void StartDaemon() {
    stub_.reset();
    ctl_.reset();
    channel_.reset();
    std::vector<std::string> args{"--dataplane=emulated", "--interface-prefix=" + prefix_,
                                  "--callback-endpoint=127.0.0.1:" + std::to_string(port_),
                                  "--callback-max-backoff=1"};
    args.insert(args.end(), extra_args_.begin(), extra_args_.end());
    daemon_ = std::make_unique<DaemonProcess>(dir_.path(), std::move(args));
    ASSERT_TRUE(daemon_->Start());
    channel_ = grpc::CreateChannel(daemon_->address(), grpc::InsecureChannelCredentials());
    stub_ = v1::PharosService::NewStub(channel_);
    ctl_ = ctl::PharosControlService::NewStub(channel_);
  }
  static std::unique_ptr<grpc::ClientContext> Ctx() {
    auto c = std::make_unique<grpc::ClientContext>();
    c->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return c;
  }
  grpc::Status Request(const std::string& pod, const std::string& node, const std::string& network,
                       v1::RequestNetworkPodResponse* resp) {
    v1::RequestNetworkPodRequest req;
    req.set_node_yaml(node);
    req.set_pod_name(pod);
    req.set_network_yaml(network);
    return stub_->RequestNetworkPod(Ctx().get(), req, resp);
  }
  bool Ping(const std::string& from_node, const std::string& ip) {
    std::string out;
    return RunCommand("ip netns exec " + prefix_ + from_node + " ping -c 1 -W 1 " + ip, &out) == 0;
  }
  std::map<std::string, std::string> LeaseIps() {
    ctl::ListLeasesResponse leases;
    EXPECT_TRUE(ctl_->ListLeases(Ctx().get(), {}, &leases).ok());
    std::map<std::string, std::string> out;
    for (const auto& l : leases.leases()) out[l.pod()] = l.ip();
    return out;
  }

  std::string prefix_ = UniquePrefix();
  std::vector<std::string> extra_args_;  // more pharosd flags, set by a derived fixture
  int port_ = 0;
  TempDir dir_;
  std::unique_ptr<DaemonProcess> daemon_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::PharosService::Stub> stub_;
  std::unique_ptr<ctl::PharosControlService::Stub> ctl_;
};

}  // namespace pharos::e2e
