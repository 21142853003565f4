// DDS discovery in the twin: Cyclone DDS's own ddsperf publishes from a pod
// namespace; pharosd's watcher on the pod bridge discovers its participant
// and topics, and the registry follows it in and out.
#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "e2e/twin_fixture.h"

namespace pharos::e2e {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class DdsDiscoveryTest : public SeedTwinTest {
 protected:
  std::map<std::string, ctl::Service> Dds() {
    ctl::ListServicesRequest req;
    req.set_protocol("dds");
    ctl::ListServicesResponse resp;
    EXPECT_TRUE(ctl_->ListServices(Ctx().get(), req, &resp).ok());
    std::map<std::string, ctl::Service> out;
    for (const auto& s : resp.services()) out[s.name()] = s;
    return out;
  }
};

TEST_F(DdsDiscoveryTest, APublisherInAPodIsDiscoveredWithItsTopicsAndForgottenWhenItStops) {
  if (access("/usr/bin/ddsperf", X_OK) != 0) GTEST_FAIL() << "ddsperf missing: ./pharos deps";
  BackgroundProcess ddsperf(prefix_ + "perception-pod",
                            "env CYCLONEDDS_URI='<General><Interfaces><NetworkInterface "
                            "name=\"eth0\"/></Interfaces></General>' ddsperf -D 60 pub",
                            dir_.path() + "/ddsperf.log");
  ASSERT_TRUE(ddsperf.ok());
  std::map<std::string, ctl::Service> found;
  for (int i = 0; i < 150 && !found.count("DDSPerfRDataKS"); ++i) {
    std::this_thread::sleep_for(milliseconds(100));
    found = Dds();
  }
  ASSERT_TRUE(found.count("DDSPerfRDataKS"))
      << "not discovered; ddsperf said: " << ReadFile(dir_.path() + "/ddsperf.log");
  const ctl::Service& topic = found["DDSPerfRDataKS"];
  EXPECT_EQ(topic.host(), "10.2.1.2");
  EXPECT_EQ(topic.location(), "perception-pod");
  EXPECT_EQ(topic.source(), "dds");
  EXPECT_EQ(topic.metadata().at("type"), "KeyedSeq");
  EXPECT_EQ(topic.metadata().at("domain"), "0");
  EXPECT_GT(topic.port(), 0);

  // A clean exit disposes its participant: every topic of it goes.
  ASSERT_TRUE(ddsperf.Interrupt());
  for (int i = 0; i < 150 && !found.empty(); ++i) {
    std::this_thread::sleep_for(milliseconds(100));
    found = Dds();
  }
  EXPECT_TRUE(found.empty()) << found.size() << " DDS services left";
}

}  // namespace
}  // namespace pharos::e2e
