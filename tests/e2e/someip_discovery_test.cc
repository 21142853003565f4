// SOME/IP-SD discovery in the twin: a sender in a pod namespace multicasts
// real Offer/StopOffer datagrams onto its pod bridge; pharosd hears them and
// the registry follows. The same packets, captured on the bridge, are
// decoded by Wireshark's own SOME/IP dissector (tshark) and must say what
// Pharos registered.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>
#include <thread>

#include "discovery/someip_sd.h"
#include "e2e/twin_fixture.h"
#include "netlink/netns.h"

namespace pharos::e2e {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Sends one datagram to 224.244.224.245:30490 from inside `netns`.
bool SendRaw(const std::string& netns, const std::vector<uint8_t>& bytes) {
  auto inside = netlink::ScopedNetns::Enter(netns);
  if (!inside.ok()) return false;
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  int ttl = 1;
  setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl));
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(30490);
  inet_pton(AF_INET, "224.244.224.245", &to.sin_addr);
  bool sent = sendto(fd, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&to),
                     sizeof(to)) == static_cast<ssize_t>(bytes.size());
  close(fd);
  return sent;
}

bool SendSd(const std::string& netns, const discovery::SdMessage& m) {
  return SendRaw(netns, discovery::BuildSomeIpSd(m));
}

discovery::SdMessage Offer(uint16_t instance, uint32_t ttl, uint16_t session) {
  discovery::SdMessage m;
  m.session_id = session;
  discovery::SdEntry e;
  e.service_id = 0x1234;
  e.instance_id = instance;
  e.major_version = 1;
  e.minor_version = 5;
  e.ttl = ttl;
  e.endpoints.push_back({*Ipv4Address::Parse("10.2.1.2"), discovery::kL4Udp, 30509, false});
  m.entries.push_back(e);
  return m;
}

class SomeIpDiscoveryTest : public SeedTwinTest {
 protected:
  // The SD services registered now, by name.
  std::map<std::string, ctl::Service> Discovered() {
    ctl::ListServicesRequest req;
    req.set_protocol("someip");
    ctl::ListServicesResponse resp;
    EXPECT_TRUE(ctl_->ListServices(Ctx().get(), req, &resp).ok());
    std::map<std::string, ctl::Service> out;
    for (const auto& s : resp.services()) out[s.name()] = s;
    return out;
  }
  // Waits until pharosd's listener has joined the SD group on vm1's pod
  // bridge (the kernel lists the membership).
  bool Joined() {
    std::string out;
    for (int i = 0; i < 100; ++i) {
      if (RunCommand("ip -n " + prefix_ + "vm1 maddr show dev " + prefix_ + "podbr0", &out) == 0 &&
          out.find("224.244.224.245") != std::string::npos) {
        return true;
      }
      std::this_thread::sleep_for(milliseconds(50));
    }
    return false;
  }
  // Polls until `name` is (or is no longer) registered; the time it took.
  std::optional<milliseconds> WaitFor(const std::string& name, bool present, milliseconds limit) {
    auto start = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - start < limit) {
      if (Discovered().count(name) == (present ? 1u : 0u)) {
        return std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start);
      }
      std::this_thread::sleep_for(milliseconds(5));
    }
    return std::nullopt;
  }
};

TEST_F(SomeIpDiscoveryTest, OffersRegisterStopOfferAndTtlRemoveAndTsharkAgrees) {
  // Capture on vm1's pod bridge, where the pods' multicast goes.
  std::string pcap = dir_.path() + "/sd.pcapng", out;
  BackgroundProcess tshark(
      prefix_ + "vm1",
      "tshark -q -i " + prefix_ + "podbr0 -f 'udp port 30490' -a duration:30 -w " + pcap,
      dir_.path() + "/tshark.log");
  ASSERT_TRUE(tshark.ok());
  for (int i = 0;
       i < 100 && !(std::filesystem::exists(pcap) && std::filesystem::file_size(pcap) > 0); ++i) {
    std::this_thread::sleep_for(milliseconds(50));
  }
  ASSERT_TRUE(std::filesystem::exists(pcap)) << ReadFile(dir_.path() + "/tshark.log");
  std::this_thread::sleep_for(milliseconds(300));  // the capture filter is in place
  ASSERT_TRUE(Joined()) << "pharosd does not listen for SOME/IP-SD on the pod bridge";

  ASSERT_TRUE(SendSd(prefix_ + "perception-pod", Offer(0x0001, 30, 1)));
  std::optional<milliseconds> took = WaitFor("someip-1234-0001", true, seconds(5));
  ASSERT_TRUE(took) << "the offer was not registered";
  auto found = Discovered();
  const ctl::Service& svc = found["someip-1234-0001"];
  EXPECT_EQ(svc.host(), "10.2.1.2");
  EXPECT_EQ(svc.port(), 30509);
  EXPECT_EQ(svc.source(), "someip");
  EXPECT_EQ(svc.location(), "perception-pod");
  EXPECT_EQ(svc.metadata().at("service_id"), "0x1234");
  EXPECT_EQ(svc.metadata().at("instance_id"), "0x0001");
  EXPECT_EQ(svc.metadata().at("major_version"), "1");
  EXPECT_EQ(svc.metadata().at("minor_version"), "5");
  EXPECT_EQ(svc.metadata().at("transport"), "udp");

  // StopOffer: gone.
  ASSERT_TRUE(SendSd(prefix_ + "perception-pod", Offer(0x0001, 0, 2)));
  EXPECT_TRUE(WaitFor("someip-1234-0001", false, seconds(5))) << "StopOffer ignored";

  // An offer with a 1 s TTL that is not renewed expires.
  ASSERT_TRUE(SendSd(prefix_ + "perception-pod", Offer(0x0002, 1, 3)));
  ASSERT_TRUE(WaitFor("someip-1234-0002", true, seconds(5)));
  std::optional<milliseconds> expired = WaitFor("someip-1234-0002", false, seconds(5));
  ASSERT_TRUE(expired) << "the TTL did not expire the offer";
  EXPECT_GE(expired->count(), 500);  // not before its time

  // Wireshark's reading of the same packets: the capture is stopped (it
  // writes what it has and exits), then read back.
  ASSERT_TRUE(tshark.Interrupt()) << ReadFile(dir_.path() + "/tshark.log");
  ASSERT_EQ(RunCommand("tshark -r " + pcap +
                           " -d udp.port==30490,someip -T fields -e someipsd.entry.type"
                           " -e someipsd.entry.serviceid -e someipsd.entry.instanceid"
                           " -e someipsd.entry.majorver -e someipsd.entry.minorver"
                           " -e someipsd.entry.ttl -e someipsd.option.ipv4address"
                           " -e someipsd.option.proto -e someipsd.option.port -E separator=, "
                           "2>/dev/null",
                       &out),
            0)
      << out;
  std::vector<std::string> lines;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("0x", 0) == 0) lines.push_back(line);
  }
  ASSERT_EQ(lines.size(), 3u) << out;
  EXPECT_EQ(lines[0], "0x01,0x1234,0x0001,1,5,30,10.2.1.2,17,30509");
  EXPECT_EQ(lines[1], "0x01,0x1234,0x0001,1,5,0,10.2.1.2,17,30509");  // StopOffer: TTL 0
  EXPECT_EQ(lines[2], "0x01,0x1234,0x0002,1,5,1,10.2.1.2,17,30509");
}

TEST_F(SomeIpDiscoveryTest, GarbageOnTheSdPortChangesNothing) {
  std::vector<uint8_t> bytes = discovery::BuildSomeIpSd(Offer(0x0003, 30, 1));
  bytes[27] = 0x30;  // the entry points at options that do not exist
  const std::string junk = "not SOME/IP at all";
  // Cyclic, as SD senders are (the listener may join a moment after the
  // vehicle is applied): garbage, then a good offer, until it is heard.
  bool heard = false;
  for (int i = 0; i < 25 && !heard; ++i) {
    ASSERT_TRUE(SendRaw(prefix_ + "control-pod", bytes));
    ASSERT_TRUE(SendRaw(prefix_ + "control-pod", {junk.begin(), junk.end()}));
    ASSERT_TRUE(SendSd(prefix_ + "control-pod", Offer(0x0004, 30, static_cast<uint16_t>(i + 1))));
    heard = WaitFor("someip-1234-0004", true, milliseconds(200)).has_value();
  }
  ASSERT_TRUE(heard) << "a good offer after garbage was not heard";
  auto found = Discovered();
  EXPECT_EQ(found.size(), 1u);
  EXPECT_FALSE(found.count("someip-1234-0003"));
}

// Listening is configurable per network: here only soc1's networks (its
// VM bridge), so vm1's pod bridge hears nothing.
class SomeIpDiscoveryOnSoc1Test : public SomeIpDiscoveryTest {
 protected:
  SomeIpDiscoveryOnSoc1Test() { extra_args_ = {"--someip-sd-networks=soc1"}; }
};

TEST_F(SomeIpDiscoveryOnSoc1Test, NetworksLeftOutAreNotListenedOn) {
  std::string out;
  bool soc1_joined = false;
  for (int i = 0; i < 100 && !soc1_joined; ++i) {
    soc1_joined =
        RunCommand("ip -n " + prefix_ + "soc1 maddr show dev " + prefix_ + "vmbr0", &out) == 0 &&
        out.find("224.244.224.245") != std::string::npos;
    if (!soc1_joined) std::this_thread::sleep_for(milliseconds(50));
  }
  EXPECT_TRUE(soc1_joined) << "soc1's VM bridge is not listened on";
  ASSERT_EQ(RunCommand("ip -n " + prefix_ + "vm1 maddr show dev " + prefix_ + "podbr0", &out), 0);
  EXPECT_EQ(out.find("224.244.224.245"), std::string::npos) << out;
  ASSERT_TRUE(SendSd(prefix_ + "perception-pod", Offer(0x0005, 30, 1)));
  EXPECT_FALSE(WaitFor("someip-1234-0005", true, milliseconds(700)));
}

}  // namespace
}  // namespace pharos::e2e
