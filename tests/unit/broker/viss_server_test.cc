// The VISS server's slow-client rule on a real core and real sockets: a
// client that stops reading is closed once its unsent messages pass the
// bound, and a client beside it keeps getting every event meanwhile.
#include "broker/viss/viss_server.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <thread>

#include "catalog_fixture.h"

namespace pharos::broker::viss {
namespace {

using namespace std::chrono_literals;
namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

constexpr char kSubscribeTags[] = R"({"action":"subscribe","path":"Vehicle.Tags","requestId":"s"})";

// A WebSocket client that subscribes and then never reads: a 4 KiB receive
// buffer, so the server's writes soon wait on it.
int SubscribeAndStall(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  int small = 4096;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) return -1;
  std::string handshake = std::string(
      "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
  if (write(fd, handshake.data(), handshake.size()) < 0) return -1;
  char response[1024];
  if (read(fd, response, sizeof(response)) <= 0) return -1;  // 101 Switching Protocols
  // One masked text frame (clients must mask; the mask 0 leaves it as is).
  std::string payload = kSubscribeTags;
  std::string frame = {char(0x81), char(0x80 | payload.size()), 0, 0, 0, 0};
  frame += payload;
  if (write(fd, frame.data(), frame.size()) < 0) return -1;
  return fd;
}

TEST(VissServerTest, AClientThatStopsReadingIsClosedAndTheOthersKeepTheirEvents) {
  ManualClock clock{Timestamp(std::chrono::seconds(1'700'000'000))};
  testing::MemoryStore store;
  auto broker = Broker::Create(testing::SmallCatalog(), store, clock, {});
  ASSERT_TRUE(broker.ok()) << broker.status();
  TokenAuthority tokens = TokenAuthority::Disabled(clock);
  VissServerOptions options;
  options.port = 0;
  options.max_queued_messages = 200;
  auto server = VissServer::Start(**broker, tokens, clock, options);
  ASSERT_TRUE(server.ok()) << server.status();
  int port = std::stoi((*server)->address().substr((*server)->address().rfind(':') + 1));

  // A client that reads everything.
  net::io_context ioc;
  websocket::stream<tcp::socket> good(ioc);
  net::connect(good.next_layer(), tcp::resolver(ioc).resolve("127.0.0.1", std::to_string(port)));
  good.handshake("127.0.0.1", "/");
  good.write(net::buffer(std::string(kSubscribeTags)));
  beast::flat_buffer buffer;
  good.read(buffer);  // the subscribe answer
  buffer.clear();

  int slow = SubscribeAndStall(port);
  ASSERT_GE(slow, 0);
  for (int i = 0; i < 100 && (*server)->connection_count() < 2; ++i)
    std::this_thread::sleep_for(10ms);
  ASSERT_EQ((*server)->connection_count(), 2u);
  std::this_thread::sleep_for(100ms);  // its subscription is made

  // 2,000 values of 10 KB: far more than the slow client's buffers hold.
  const Access everyone = Access::AllowAll();
  auto all = (*broker)->Authorized(everyone);
  const Signal& tags = **all.Find("Vehicle.Tags");
  std::atomic<int> received = 0;
  std::thread reader([&] {
    beast::error_code ec;
    while (received < 2000) {
      good.read(buffer, ec);
      if (ec) break;
      std::string text = beast::buffers_to_string(buffer.data());
      buffer.clear();
      if (text.find("\"last\"") != std::string::npos) break;
      ++received;
    }
  });
  for (int i = 0; i < 2000; ++i) {
    std::vector<std::string> value(100, std::string(100, 'a' + i % 26));
    if (i == 1999) value[0] = "last";
    ASSERT_TRUE(all.Publish({{&tags, Datapoint{Value(std::move(value)), clock.Now()}}}).ok());
    if (i % 10 == 0) std::this_thread::sleep_for(2ms);  // a pace a reading client keeps
  }
  reader.join();
  // The good client got to the last value (the core may fold updates it
  // could not take at once, never drop the latest).
  EXPECT_GT(received.load(), 0);
  // The slow one is gone: closed with 1008, the socket at the latest 5 s later.
  for (int i = 0; i < 700 && (*server)->connection_count() > 1; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ((*server)->connection_count(), 1u) << "the client that stopped reading is still open";
  // Reading it now shows the end: the bytes that were sent, then EOF or a reset.
  std::vector<char> sink(1 << 16);
  ssize_t n = 1;
  auto until = std::chrono::steady_clock::now() + 10s;
  while (n > 0 && std::chrono::steady_clock::now() < until)
    n = read(slow, sink.data(), sink.size());
  EXPECT_LE(n, 0);
  close(slow);
  good.next_layer().close();
  server->reset();
}

}  // namespace
}  // namespace pharos::broker::viss
