// pharosd's end of the pharos-cni socket: a Unix stream socket, readable
// and writable by root only (setting up pods is privileged), one thread
// per connection because an ADD waits for its pod to be built.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "absl/status/status.h"

namespace pharos::cni {

class SocketServer {
 public:
  using Handler = std::function<nlohmann::json(const nlohmann::json& request)>;

  SocketServer(std::string path, Handler handler);
  ~SocketServer();

  // Binds and listens. A socket file another live server answers on is
  // refused (AlreadyExists); a stale one, left by a crash, is replaced.
  absl::Status Start();
  // Stops accepting, waits for the calls in progress, removes the file.
  void Stop();
  const std::string& path() const { return path_; }

 private:
  void AcceptLoop();
  void Serve(int fd);

  std::string path_;
  Handler handler_;
  int listen_fd_ = -1;
  int stop_fd_ = -1;  // eventfd that wakes the accept loop
  std::thread acceptor_;
  std::mutex mu_;
  std::condition_variable idle_;
  int active_ = 0;
};

}  // namespace pharos::cni
