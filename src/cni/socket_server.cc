#include "cni/socket_server.h"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "cni/protocol.h"
#include "common/strings.h"

namespace pharos::cni {
namespace {

constexpr size_t kMaxRequestBytes = 1 << 20;

absl::Status Errno(std::string_view what) {
  return absl::InternalError(StrCat(what, ": ", std::strerror(errno)));
}

bool ReadAll(int fd, std::string& out) {
  char buf[8192];
  while (out.size() <= kMaxRequestBytes) {
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) return true;
    out.append(buf, static_cast<size_t>(n));
  }
  return false;
}

void WriteAll(int fd, const std::string& data) {
  for (size_t sent = 0; sent < data.size();) {
    ssize_t n = send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the plugin went away; nothing to tell it
    sent += static_cast<size_t>(n);
  }
}

}  // namespace

SocketServer::SocketServer(std::string path, Handler handler)
    : path_(std::move(path)), handler_(std::move(handler)) {}

SocketServer::~SocketServer() { Stop(); }

absl::Status SocketServer::Start() {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path_.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(StrCat("--cni-socket ", path_, " is too long"));
  }
  std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path_).parent_path(), ec);
  // Someone answering there already: another pharosd owns it.
  if (std::filesystem::exists(path_, ec)) {
    int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bool live = probe >= 0 && connect(probe, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    if (probe >= 0) close(probe);
    if (live) {
      return absl::AlreadyExistsError(
          StrCat("another pharosd serves pharos-cni on ", path_, "; give --cni-socket"));
    }
    unlink(path_.c_str());
  }
  listen_fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) return Errno("socket");
  mode_t old = umask(0177);  // 0600: root only, from the first moment
  int bound = bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  umask(old);
  if (bound < 0 || listen(listen_fd_, 128) < 0) {
    absl::Status s = Errno(StrCat("listen on ", path_));
    close(listen_fd_);
    listen_fd_ = -1;
    return s;
  }
  stop_fd_ = eventfd(0, EFD_CLOEXEC);
  acceptor_ = std::thread([this] { AcceptLoop(); });
  return absl::OkStatus();
}

void SocketServer::Stop() {
  if (listen_fd_ < 0) return;
  uint64_t one = 1;
  (void)!write(stop_fd_, &one, sizeof(one));
  if (acceptor_.joinable()) acceptor_.join();
  {
    std::unique_lock lock(mu_);
    idle_.wait(lock, [&] { return active_ == 0; });
  }
  close(listen_fd_);
  close(stop_fd_);
  listen_fd_ = stop_fd_ = -1;
  unlink(path_.c_str());
}

void SocketServer::AcceptLoop() {
  while (true) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      spdlog::error("pharos-cni socket: poll: {}", std::strerror(errno));
      return;
    }
    if (fds[1].revents) return;
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    {
      std::lock_guard lock(mu_);
      ++active_;
    }
    std::thread([this, fd] {
      Serve(fd);
      close(fd);
      std::lock_guard lock(mu_);
      if (--active_ == 0) idle_.notify_all();
    }).detach();
  }
}

void SocketServer::Serve(int fd) {
  std::string in;
  nlohmann::json answer;
  if (!ReadAll(fd, in)) {
    answer = ErrorAnswer(kIoFailure, "request unreadable or larger than 1 MiB");
  } else {
    nlohmann::json request = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (request.is_discarded() || !request.is_object()) {
      answer = ErrorAnswer(kDecodingFailure, "the request is not a JSON object");
    } else {
      try {
        answer = handler_(request);
      } catch (const std::exception& e) {  // a malformed field of the wrong type
        answer = ErrorAnswer(kDecodingFailure, "malformed request", e.what());
      }
    }
  }
  WriteAll(fd, answer.dump());
}

}  // namespace pharos::cni
