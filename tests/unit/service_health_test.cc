// The service health state machine: transitions, thresholds, flap damping.
#include "core/service_health.h"

#include <gtest/gtest.h>

namespace pharos::core {
namespace {

using std::chrono::seconds;

class HealthTest : public ::testing::Test {
 protected:
  // Feeds one result, `gap` after the previous one; the reported status or "".
  std::string Feed(bool ok, seconds gap = seconds(5)) {
    now_ += gap;
    auto t = StepHealth(state_, ok, ok ? "answers" : "refused", now_, policy_);
    return t ? t->status : "";
  }
  HealthPolicy policy_;
  HealthState state_;
  std::chrono::steady_clock::time_point now_{};
};

TEST_F(HealthTest, FirstAnswerMakesARegisteredServiceHealthy) {
  EXPECT_EQ(Feed(true), "healthy");
  EXPECT_EQ(Feed(true), "");  // no news
}

TEST_F(HealthTest, FailuresDegradeThenMakeUnhealthyAtTheThreshold) {
  Feed(true);
  EXPECT_EQ(Feed(false), "degraded");
  EXPECT_EQ(Feed(false), "");
  EXPECT_EQ(Feed(false), "unhealthy");  // third in a row (unhealthy_after = 3)
  EXPECT_EQ(Feed(false), "");
}

TEST_F(HealthTest, RecoveryNeedsConsecutiveSuccesses) {
  Feed(true);
  Feed(false);
  Feed(false);
  Feed(false);
  ASSERT_EQ(state_.status, "unhealthy");
  EXPECT_EQ(Feed(true), "");  // one is not enough (healthy_after = 2)
  EXPECT_EQ(Feed(false), "");
  EXPECT_EQ(Feed(true), "");
  EXPECT_EQ(Feed(true), "healthy");
}

TEST_F(HealthTest, AFailingNewServiceIsDegradedThenUnhealthy) {
  EXPECT_EQ(Feed(false), "degraded");
  EXPECT_EQ(Feed(false), "");
  EXPECT_EQ(Feed(false), "unhealthy");
}

TEST_F(HealthTest, FlappingIsDampedAndReportedOnceSettled) {
  policy_.healthy_after = 1;
  policy_.unhealthy_after = 1;
  std::vector<std::string> reported;
  for (int i = 0; i < 20; ++i) {
    std::string r = Feed(i % 2 == 0);
    if (!r.empty()) reported.push_back(r);
  }
  // healthy, unhealthy, healthy, then the fourth change damps: degraded, once.
  EXPECT_EQ(reported, (std::vector<std::string>{"healthy", "unhealthy", "healthy", "degraded"}));
  EXPECT_TRUE(state_.damped);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(Feed(true), "");
  EXPECT_EQ(Feed(true), "healthy");  // the fifth agreeing check ends the damping
  EXPECT_FALSE(state_.damped);
}

TEST_F(HealthTest, ChangesFurtherApartThanTheWindowAreNotFlapping) {
  policy_.healthy_after = 1;
  policy_.unhealthy_after = 1;
  int reported = 0;
  for (int i = 0; i < 10; ++i) reported += Feed(i % 2 == 0, seconds(61)).empty() ? 0 : 1;
  EXPECT_EQ(reported, 10);
  EXPECT_FALSE(state_.damped);
}

}  // namespace
}  // namespace pharos::core
