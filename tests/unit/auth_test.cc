// Credentials -> Permissions: token files, what a refused caller is told,
// and that authentication off means admin for everyone.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "auth/authenticator.h"
#include "common/clock.h"

namespace pharos::auth {
namespace {

class AuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("pharos-auth-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Tokens(const std::string& text) {
    std::string path = (dir_ / "tokens").string();
    std::ofstream(path) << text;
    return path;
  }
  Permissions As(const Authenticator& a, const std::string& token) {
    Credentials c;
    c.bearer_token = token;
    c.peer = "ipv4:127.0.0.1:4242";
    return a.Authenticate(c);
  }
  std::filesystem::path dir_;
  ManualClock clock_;
};

TEST_F(AuthTest, WithoutTokenSourcesEveryCallerIsAnAnonymousAdmin) {
  Authenticator off(Authenticator::Sources{}, clock_);
  EXPECT_FALSE(off.enabled());
  Permissions p = As(off, "");
  EXPECT_TRUE(p.authenticated());
  EXPECT_EQ(p.subject(), "anonymous");
  EXPECT_TRUE(p.Require(Role::kAdmin, "Teardown").ok());
}

TEST_F(AuthTest, AStaticTokenGivesItsRoleAndNoMore) {
  auto sources = Authenticator::Sources::Load(
      {Tokens("# comment\nviewer-token-0123456789 viewer alice\n"), "", ""});
  ASSERT_TRUE(sources.ok()) << sources.status();
  Authenticator a(std::move(*sources), clock_);
  Permissions alice = As(a, "viewer-token-0123456789");
  EXPECT_EQ(alice.subject(), "alice");
  EXPECT_EQ(alice.role(), Role::kViewer);
  EXPECT_EQ(alice.peer(), "ipv4:127.0.0.1:4242");
  EXPECT_TRUE(alice.Require(Role::kViewer, "GetNetworkStatus").ok());
  absl::Status denied = alice.Require(Role::kAdmin, "ApplyConfiguration");
  EXPECT_EQ(denied.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(denied.message(), "alice (viewer) may not call ApplyConfiguration: it needs admin");
}

TEST_F(AuthTest, MissingUnknownAndMalformedCredentialsAreUnauthenticated) {
  auto sources =
      Authenticator::Sources::Load({Tokens("operator-token-0123456 operator bob\n"), "", ""});
  ASSERT_TRUE(sources.ok());
  Authenticator a(std::move(*sources), clock_);
  Permissions none = As(a, "");
  EXPECT_FALSE(none.authenticated());
  EXPECT_EQ(none.Require(Role::kViewer, "x").code(), absl::StatusCode::kUnauthenticated);
  EXPECT_NE(none.authentication().message().find("Bearer"), std::string::npos);
  EXPECT_EQ(As(a, "operator-token-0123457").authentication().message(), "unknown token");
  Credentials basic;
  basic.malformed_authorization = true;
  EXPECT_EQ(a.Authenticate(basic).authentication().message(),
            "authorization must be 'Bearer <token>'");
  // A token that looks like a JWT is not one without a JWT key.
  EXPECT_EQ(As(a, "a.b.c").authentication().code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(AuthTest, ABadTokenFileIsRefusedWithItsLine) {
  auto short_token = Authenticator::Sources::Load({Tokens("\nshort admin carol\n"), "", ""});
  EXPECT_EQ(short_token.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(short_token.status().message().find("tokens:2: a token needs at least 16"),
            std::string::npos)
      << short_token.status();
  auto bad_role =
      Authenticator::Sources::Load({Tokens("0123456789abcdefgh superuser carol\n"), "", ""});
  EXPECT_NE(bad_role.status().message().find("<viewer|operator|admin>"), std::string::npos);
  auto missing = Authenticator::Sources::Load({(dir_ / "nope").string(), "", ""});
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  auto not_a_key = Authenticator::Sources::Load({"", Tokens("not a key"), ""});
  EXPECT_EQ(not_a_key.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace pharos::auth
