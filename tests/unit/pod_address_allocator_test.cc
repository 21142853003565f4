// PodAddressAllocator: what a pod gets, what is never handed out, reuse
// order, exhaustion, and many callers at once.
#include "core/pod_address_allocator.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <vector>

namespace pharos::core {
namespace {

Ipv4Address A(const char* text) { return *Ipv4Address::Parse(text); }
Ipv4Prefix P(const char* text) { return *Ipv4Prefix::Parse(text); }

class PodAddressAllocatorTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(ipam_.Take(subnet_, A("10.2.1.1"), "gateway").ok()); }
  Ipv4Prefix subnet_ = P("10.2.1.0/24");
  PodAddressAllocator ipam_;
};

TEST_F(PodAddressAllocatorTest, HandsOutTheLowestFreshHostAndNeverTheGateway) {
  EXPECT_EQ(ipam_.Allocate(subnet_, "a")->ToString(), "10.2.1.2");
  ASSERT_TRUE(ipam_.Take(subnet_, A("10.2.1.3"), "perception-pod").ok());
  EXPECT_EQ(ipam_.Allocate(subnet_, "b")->ToString(), "10.2.1.4");
  EXPECT_EQ(ipam_.HolderOf(subnet_, A("10.2.1.4")), "b");
  EXPECT_EQ(ipam_.HolderOf(subnet_, A("10.2.1.1")), "gateway");
}

TEST_F(PodAddressAllocatorTest, AStaticAddressIsHonouredOrRefusedWithTheReason) {
  EXPECT_EQ(ipam_.Allocate(subnet_, "s", A("10.2.1.40"))->ToString(), "10.2.1.40");
  struct Case {
    const char* ip;
    const char* says;
  } cases[] = {{"10.2.1.1", "is in use by gateway"},
               {"10.2.1.40", "is in use by s"},
               {"10.2.1.0", "is the network address of 10.2.1.0/24"},
               {"10.2.1.255", "is the broadcast address of 10.2.1.0/24"},
               {"10.2.2.7", "is not in 10.2.1.0/24"}};
  for (const auto& c : cases) {
    absl::StatusOr<Ipv4Address> got = ipam_.Allocate(subnet_, "t", A(c.ip));
    ASSERT_FALSE(got.ok()) << c.ip;
    EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(got.status().message().find(c.says), std::string::npos) << got.status();
  }
  // The holder asking for its own address again gets it (idempotent).
  EXPECT_TRUE(ipam_.Allocate(subnet_, "s", A("10.2.1.40")).ok());
  // Fresh allocation skips the static one.
  for (int i = 2; i < 40; ++i) ASSERT_TRUE(ipam_.Allocate(subnet_, "x" + std::to_string(i)).ok());
  EXPECT_EQ(ipam_.Allocate(subnet_, "next")->ToString(), "10.2.1.41");
}

TEST_F(PodAddressAllocatorTest, AFreedAddressComesBackLastAndOldestFirst) {
  Ipv4Prefix small = P("10.9.0.0/29");  // hosts .1 .. .6
  ASSERT_TRUE(ipam_.Take(small, A("10.9.0.1"), "gateway").ok());
  std::vector<Ipv4Address> got;
  for (int i = 0; i < 3; ++i) got.push_back(*ipam_.Allocate(small, "p" + std::to_string(i)));
  EXPECT_EQ(got[0].ToString(), "10.9.0.2");
  ipam_.Release(small, got[1]);  // .3
  ipam_.Release(small, got[0]);  // .2
  // Fresh ones first, although .2 and .3 are lower and free.
  EXPECT_EQ(ipam_.Allocate(small, "q0")->ToString(), "10.9.0.5");
  EXPECT_EQ(ipam_.Allocate(small, "q1")->ToString(), "10.9.0.6");
  // Then the one released longest ago.
  EXPECT_EQ(ipam_.Allocate(small, "q2")->ToString(), "10.9.0.3");
  EXPECT_EQ(ipam_.Allocate(small, "q3")->ToString(), "10.9.0.2");
  absl::StatusOr<Ipv4Address> none = ipam_.Allocate(small, "late");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(none.status().message().find("10.9.0.0/29 has no free address left for late"),
            std::string::npos)
      << none.status();
  ipam_.Release(small, A("10.9.0.7"));  // never held (the broadcast): nothing
  ipam_.Release(small, A("10.9.0.6"));
  ipam_.Release(small, A("10.9.0.6"));  // twice: freed once
  EXPECT_EQ(ipam_.Allocate(small, "r")->ToString(), "10.9.0.6");
  EXPECT_FALSE(ipam_.Allocate(small, "r2").ok());
}

TEST_F(PodAddressAllocatorTest, TakeRefusesWhatCannotBeHeldOrIsSomeoneElses) {
  EXPECT_EQ(ipam_.Take(subnet_, A("10.2.1.1"), "pod").code(), absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(ipam_.Take(subnet_, A("10.2.1.1"), "gateway").ok());  // the same holder: fine
  EXPECT_EQ(ipam_.Take(subnet_, A("10.2.1.0"), "pod").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ipam_.Take(subnet_, A("10.3.0.1"), "pod").code(), absl::StatusCode::kInvalidArgument);
  // Subnets are apart: the same host number elsewhere is free.
  EXPECT_EQ(ipam_.Allocate(P("10.2.7.0/24"), "n")->ToString(), "10.2.7.1");
}

TEST_F(PodAddressAllocatorTest, TwoHundredCallersAtOnceGetDistinctAddresses) {
  std::vector<std::thread> callers;
  std::vector<std::string> got(200);
  for (int i = 0; i < 200; ++i) {
    callers.emplace_back([&, i] {
      absl::StatusOr<Ipv4Address> a = ipam_.Allocate(subnet_, "pod-" + std::to_string(i));
      got[i] = a.ok() ? a->ToString() : std::string(a.status().message());
    });
  }
  for (auto& t : callers) t.join();
  std::set<std::string> distinct(got.begin(), got.end());
  EXPECT_EQ(distinct.size(), 200u);
  for (const auto& a : got) {
    std::optional<Ipv4Address> parsed = Ipv4Address::Parse(a);
    ASSERT_TRUE(parsed && subnet_.Contains(*parsed)) << a;
    EXPECT_NE(a, "10.2.1.1");
  }
  EXPECT_EQ(ipam_.TakenCount(subnet_), 201u);
}

}  // namespace
}  // namespace pharos::core
