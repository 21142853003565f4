// How clients reach pharos-broker: TLS, mutual TLS, a unix socket, and the
// token helper's keys and tokens honoured by a secured broker.
#include <gtest/gtest.h>

#include "e2e/broker/broker_client.h"
#include "e2e/test_pki.h"

namespace pharos::e2e {
namespace {

using grpc::StatusCode;

std::string Read(const std::string& path) { return ReadFile(path); }

grpc::Status Info(const std::shared_ptr<grpc::Channel>& channel, const std::string& token = "") {
  v2::GetServerInfoResponse info;
  return v2::VAL::NewStub(channel)->GetServerInfo(Call(token, 3).get(), {}, &info);
}

std::shared_ptr<grpc::Channel> Tls(const std::string& address, const std::string& dir,
                                   const std::string& client = "") {
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = Read(dir + "/ca.pem");
  if (!client.empty()) {
    ssl.pem_cert_chain = Read(dir + "/" + client + ".pem");
    ssl.pem_private_key = Read(dir + "/" + client + ".key");
  }
  return grpc::CreateChannel(address, grpc::SslCredentials(ssl));
}

class BrokerTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string log;
    ASSERT_TRUE(MakeCa(pki_.path(), "ca", &log)) << log;
    ASSERT_TRUE(MakeCertificate(pki_.path(), "ca", "broker", "IP:127.0.0.1", &log)) << log;
    ASSERT_TRUE(MakeCertificate(pki_.path(), "ca", "app", "", &log)) << log;
  }
  std::vector<std::string> TlsArgs() const {
    return {"--tls-cert", pki_.path() + "/broker.pem", "--tls-private-key",
            pki_.path() + "/broker.key"};
  }
  TempDir pki_;
};

TEST_F(BrokerTlsTest, TlsRefusesPlaintextAndServesVerifiedClients) {
  BrokerUnderTest broker(TlsArgs());
  ASSERT_TRUE(broker.Start());
  EXPECT_EQ(Info(broker.Channel()).error_code(), StatusCode::UNAVAILABLE);
  EXPECT_TRUE(Info(Tls(broker.process().address(), pki_.path())).ok());
}

TEST_F(BrokerTlsTest, MutualTlsNeedsAClientCertificateFromTheCa) {
  std::vector<std::string> args = TlsArgs();
  args.insert(args.end(), {"--tls-client-ca", pki_.path() + "/ca.pem"});
  BrokerUnderTest broker(args);
  ASSERT_TRUE(broker.Start());
  EXPECT_NE(Info(Tls(broker.process().address(), pki_.path())).error_code(), StatusCode::OK);
  EXPECT_TRUE(Info(Tls(broker.process().address(), pki_.path(), "app")).ok());
}

TEST(BrokerUnixSocketTest, ServesTheSameApisOnAUnixSocket) {
  TempDir dir;
  std::string socket = dir.path() + "/databroker.sock";
  BrokerUnderTest broker({"--unix-socket", socket});
  ASSERT_TRUE(broker.Start());
  EXPECT_TRUE(Info(grpc::CreateChannel("unix:" + socket, grpc::InsecureChannelCredentials())).ok());
  EXPECT_TRUE(Info(broker.Channel()).ok());  // and TCP still
}

TEST(BrokerTokenHelperTest, ItsKeysAndTokensWorkAndBadScopesAreRefused) {
  TempDir dir;
  std::string broker_bin = PHAROS_BROKER_BINARY;
  std::string out;
  ASSERT_EQ(RunCommand(broker_bin + " token --new-key " + dir.path() + " --kind ed25519", &out), 0)
      << out;
  ASSERT_EQ(RunCommand(broker_bin + " token --key " + dir.path() +
                           "/jwt.key --scope 'read:Vehicle.Speed' --valid-for 60 2>/dev/null",
                       &out),
            0)
      << out;
  std::string token = out.substr(0, out.find('\n'));
  EXPECT_EQ(std::count(token.begin(), token.end(), '.'), 2);
  EXPECT_EQ(RunCommand(broker_bin + " token --key " + dir.path() + "/jwt.key --scope write", &out),
            2);
  EXPECT_NE(out.find("'write' is not one of read, actuate, provide, create"), std::string::npos)
      << out;
  EXPECT_EQ(RunCommand(broker_bin + " token --key " + dir.path() + "/none.key", &out), 2);

  BrokerUnderTest broker({"--jwt-public-key", dir.path() + "/jwt.key.pub"});
  ASSERT_TRUE(broker.Start());
  auto stub = broker.V2();
  v2::GetValueRequest get;
  *get.mutable_signal_id() = ByPath("Vehicle.Speed");
  v2::GetValueResponse got;
  EXPECT_TRUE(stub->GetValue(Call(token).get(), get, &got).ok());
  *get.mutable_signal_id() = ByPath("Vehicle.Cabin.DoorCount");
  EXPECT_EQ(stub->GetValue(Call(token).get(), get, &got).error_code(),
            StatusCode::PERMISSION_DENIED);
}

}  // namespace
}  // namespace pharos::e2e
