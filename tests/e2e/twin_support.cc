#include "e2e/twin_support.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <random>

#include "netlink/netns.h"

namespace pharos::e2e {

std::string UniquePrefix() {
  std::random_device rd;
  char buf[16];
  snprintf(buf, sizeof(buf), "t%04x-", rd() & 0xffff);
  return buf;
}

std::vector<std::string> NamespacesWithPrefix(const std::string& prefix) {
  std::vector<std::string> out;
  auto all = netlink::ListNamedNetns();
  if (!all.ok()) return out;
  for (const auto& ns : *all) {
    if (ns.rfind(prefix, 0) == 0) out.push_back(ns);
  }
  return out;
}

void RemoveNamespacesWithPrefix(const std::string& prefix) {
  for (const auto& ns : NamespacesWithPrefix(prefix)) (void)netlink::DeleteNamedNetns(ns);
}

sockaddr_in Address(const std::string& ip, int port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, ip.c_str(), &sa.sin_addr);
  return sa;
}

StreamWriter::StreamWriter(int fd, std::chrono::milliseconds pause)
    : thread_([this, fd, pause] {
        char chunk[1024] = {};
        while (!stop_) {
          ssize_t n = send(fd, chunk, sizeof(chunk), MSG_NOSIGNAL);
          if (n < 0) {
            failed_ = true;
            return;
          }
          sent_ += static_cast<uint64_t>(n);
          std::this_thread::sleep_for(pause);
        }
      }) {}

void StreamWriter::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

NetnsTcpServer::NetnsTcpServer(const std::string& netns, int port, bool echo) : echo_(echo) {
  auto inside = netlink::ScopedNetns::Enter(netns);
  if (!inside.ok()) return;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in any = Address("0.0.0.0", port);
  if (bind(fd, reinterpret_cast<sockaddr*>(&any), sizeof(any)) < 0 || listen(fd, 16) < 0) {
    close(fd);
    return;
  }
  listen_fd_ = fd;
  thread_ = std::thread([this] { Serve(); });
}

NetnsTcpServer::~NetnsTcpServer() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (listen_fd_ >= 0) close(listen_fd_);
}

void NetnsTcpServer::Serve() {
  std::vector<pollfd> fds{{listen_fd_, POLLIN, 0}};
  char buffer[65536];
  while (!stop_) {
    if (poll(fds.data(), fds.size(), 50) <= 0) continue;
    for (size_t i = 0; i < fds.size(); ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      if (i == 0) {
        sockaddr_in peer{};
        socklen_t len = sizeof(peer);
        int c = accept4(listen_fd_, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC);
        if (c >= 0) {
          last_peer_ = ntohl(peer.sin_addr.s_addr);
          fds.push_back({c, POLLIN, 0});
          ++connections_;
        }
        continue;
      }
      ssize_t n = read(fds[i].fd, buffer, sizeof(buffer));
      if (n > 0) {
        bytes_ += static_cast<uint64_t>(n);
        if (echo_) (void)!write(fds[i].fd, buffer, static_cast<size_t>(n));
      } else {
        close(fds[i].fd);
        fds[i].fd = -fds[i].fd - 1;  // poll ignores negative descriptors
      }
    }
  }
  for (size_t i = 1; i < fds.size(); ++i) {
    if (fds[i].fd >= 0) close(fds[i].fd);
  }
}

std::string NetnsTcpServer::last_peer() const {
  in_addr a{htonl(last_peer_)};
  char text[INET_ADDRSTRLEN] = "";
  inet_ntop(AF_INET, &a, text, sizeof(text));
  return text;
}

int ConnectFromNetns(const std::string& netns, const std::string& ip, int port, int timeout_ms) {
  int fd;
  {
    auto inside = netlink::ScopedNetns::Enter(netns);
    if (!inside.ok()) return -1;
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  }
  sockaddr_in to = Address(ip, port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof(to)) < 0 && errno != EINPROGRESS) {
    close(fd);
    return -1;
  }
  pollfd p{fd, POLLOUT, 0};
  int err = 0;
  socklen_t len = sizeof(err);
  if (poll(&p, 1, timeout_ms) <= 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 ||
      err != 0) {
    close(fd);
    return -1;
  }
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  return fd;
}

BackgroundProcess::BackgroundProcess(const std::string& netns, const std::string& command,
                                     const std::string& log) {
  pid_ = fork();
  if (pid_ == 0) {
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd >= 0) {
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
    }
    std::string line = netns.empty() ? command : "exec ip netns exec " + netns + " " + command;
    execl("/bin/sh", "sh", "-c", line.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
}

BackgroundProcess::~BackgroundProcess() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
}

bool BackgroundProcess::Interrupt() {
  if (pid_ <= 0) return false;
  kill(pid_, SIGINT);
  for (int i = 0; i < 100; ++i) {
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

}  // namespace pharos::e2e
