// Helpers for twin tests: real sockets opened inside the namespaces the
// test's pharosd built, unique name prefixes, and cleanup that runs even
// when a test fails.
#pragma once

#include <netinet/in.h>
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace pharos::e2e {

// "t" + 4 random hex digits (prefixes are at most 6 characters) + "-": never the same twice, never
// "ph-".
std::string UniquePrefix();
// Named namespaces starting with `prefix`.
std::vector<std::string> NamespacesWithPrefix(const std::string& prefix);
// Deletes them (the safety net after a failed test).
void RemoveNamespacesWithPrefix(const std::string& prefix);

// A TCP server inside a namespace that accepts connections and counts
// the bytes it receives (and sends them back when `echo`).
class NetnsTcpServer {
 public:
  NetnsTcpServer(const std::string& netns, int port, bool echo = false);
  ~NetnsTcpServer();
  bool ok() const { return listen_fd_ >= 0; }
  uint64_t bytes() const { return bytes_; }
  int connections() const { return connections_; }
  std::string last_peer() const;  // source address of the latest connection

 private:
  void Serve();
  bool echo_ = false;
  std::atomic<uint32_t> last_peer_{0};
  int listen_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> bytes_{0};
  std::atomic<int> connections_{0};
  std::thread thread_;
};

// A command run in the background inside `netns` ("" for this one), its
// output in `log`; SIGKILLed when it goes out of scope if still running.
class BackgroundProcess {
 public:
  BackgroundProcess(const std::string& netns, const std::string& command, const std::string& log);
  ~BackgroundProcess();
  bool ok() const { return pid_ > 0; }
  // SIGINT (the clean way to stop tshark or ddsperf) and wait up to 10 s.
  bool Interrupt();

 private:
  pid_t pid_ = -1;
};

// 127.0.0.1-style text + port as a socket address.
sockaddr_in Address(const std::string& ip, int port);

// Writes 1 KiB chunks to a connected socket every `pause` until Stop(),
// counting what went out: the live stream a test keeps up while it
// changes the network under it.
class StreamWriter {
 public:
  StreamWriter(int fd, std::chrono::milliseconds pause);
  ~StreamWriter() { Stop(); }
  void Stop();
  uint64_t sent() const { return sent_; }
  bool failed() const { return failed_; }  // a send failed (reset, broken pipe)

 private:
  std::atomic<bool> stop_{false};
  std::atomic<bool> failed_{false};
  std::atomic<uint64_t> sent_{0};
  std::thread thread_;
};

// A connected TCP socket opened inside `netns` (-1 on failure).
int ConnectFromNetns(const std::string& netns, const std::string& ip, int port,
                     int timeout_ms = 2000);

}  // namespace pharos::e2e
