#include "discovery/sd_listener.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "netlink/netns.h"

namespace pharos::discovery {
namespace {

// A UDP socket bound to the SD port, opened inside `netns`.
int OpenSocket(const std::string& netns, uint16_t port) {
  auto inside = netlink::ScopedNetns::Enter(netns);  // "": this process's own
  if (!inside.ok()) return -1;
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in any{};
  any.sin_family = AF_INET;
  any.sin_port = htons(port);
  any.sin_addr.s_addr = htonl(INADDR_ANY);
  if (bind(fd, reinterpret_cast<sockaddr*>(&any), sizeof(any)) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// The interface's index as seen inside `netns`.
int IndexIn(const std::string& netns, const std::string& ifname) {
  auto inside = netlink::ScopedNetns::Enter(netns);
  if (!inside.ok()) return 0;
  return static_cast<int>(if_nametoindex(ifname.c_str()));
}

}  // namespace

SdListener::SdListener(SdListenerOptions options, Handler on_message, std::function<void()> on_tick)
    : options_(options), on_message_(std::move(on_message)), on_tick_(std::move(on_tick)) {
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

SdListener::~SdListener() {
  Stop();
  for (auto& [ns, fd] : sockets_) close(fd);
  if (wake_fd_ >= 0) close(wake_fd_);
}

void SdListener::Start() {
  thread_ = std::thread([this] { Run(); });
}

void SdListener::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof(one));
  if (thread_.joinable()) thread_.join();
}

void SdListener::SetInterfaces(std::vector<SdInterface> interfaces) {
  {
    std::lock_guard lock(mu_);
    wanted_ = std::move(interfaces);
    dirty_ = true;
  }
  uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof(one));
}

void SdListener::Reconcile() {
  std::set<SdInterface> wanted;
  {
    std::lock_guard lock(mu_);
    wanted.insert(wanted_.begin(), wanted_.end());
    dirty_ = false;
  }
  // Namespaces gone from the list: their socket (and its memberships) goes.
  std::set<std::string> namespaces;
  for (const auto& i : wanted) namespaces.insert(i.netns);
  for (auto it = sockets_.begin(); it != sockets_.end();) {
    if (namespaces.count(it->first)) {
      ++it;
      continue;
    }
    close(it->second);
    for (auto j = joined_.begin(); j != joined_.end();) {
      j = j->netns == it->first ? joined_.erase(j) : std::next(j);
    }
    it = sockets_.erase(it);
  }
  for (const auto& i : wanted) {
    if (joined_.count(i)) continue;
    auto socket = sockets_.find(i.netns);
    if (socket == sockets_.end()) {
      int opened = OpenSocket(i.netns, options_.port);
      if (opened < 0) {
        spdlog::warn("SOME/IP-SD: cannot listen in {} ({})", i.netns.empty() ? "host" : i.netns,
                     std::strerror(errno));
        continue;
      }
      socket = sockets_.emplace(i.netns, opened).first;
    }
    int fd = socket->second;
    ip_mreqn join{};
    join.imr_multiaddr.s_addr = htonl(options_.group.value());
    join.imr_ifindex = IndexIn(i.netns, i.ifname);
    if (join.imr_ifindex == 0 ||
        setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &join, sizeof(join)) < 0) {
      spdlog::debug("SOME/IP-SD: cannot join {} on {} in {}", options_.group.ToString(), i.ifname,
                    i.netns);
      continue;  // tried again at the next change
    }
    joined_.insert(i);
  }
  // Memberships on interfaces no longer wanted (in a namespace still wanted).
  for (auto j = joined_.begin(); j != joined_.end();) {
    if (wanted.count(*j)) {
      ++j;
      continue;
    }
    ip_mreqn leave{};
    leave.imr_multiaddr.s_addr = htonl(options_.group.value());
    leave.imr_ifindex = IndexIn(j->netns, j->ifname);
    if (auto s = sockets_.find(j->netns); s != sockets_.end() && leave.imr_ifindex) {
      setsockopt(s->second, IPPROTO_IP, IP_DROP_MEMBERSHIP, &leave, sizeof(leave));
    }
    j = joined_.erase(j);
  }
}

void SdListener::Receive(int fd) {
  uint8_t buf[65536];
  while (true) {
    sockaddr_in from{};
    socklen_t len = sizeof(from);
    ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&from), &len);
    if (n < 0) return;  // EAGAIN: drained
    absl::StatusOr<SdMessage> m = ParseSomeIpSd({buf, static_cast<size_t>(n)});
    Ipv4Address sender(ntohl(from.sin_addr.s_addr));
    if (!m.ok()) {
      spdlog::debug("SOME/IP-SD from {}: {}", sender.ToString(), std::string(m.status().message()));
      continue;
    }
    on_message_(*m, sender);
  }
}

void SdListener::Run() {
  auto next_tick = std::chrono::steady_clock::now() + options_.tick;
  while (true) {
    bool reconcile;
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
      reconcile = dirty_;
    }
    if (reconcile) Reconcile();
    std::vector<pollfd> fds{{wake_fd_, POLLIN, 0}};
    for (const auto& [ns, fd] : sockets_) fds.push_back({fd, POLLIN, 0});
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        next_tick - std::chrono::steady_clock::now());
    int n = poll(fds.data(), fds.size(), static_cast<int>(std::max<int64_t>(0, left.count())));
    if (n > 0) {
      if (fds[0].revents) {
        uint64_t drain;
        (void)!read(wake_fd_, &drain, sizeof(drain));
      }
      for (size_t i = 1; i < fds.size(); ++i) {
        if (fds[i].revents & POLLIN) Receive(fds[i].fd);
      }
    }
    if (std::chrono::steady_clock::now() >= next_tick) {
      if (on_tick_) on_tick_();
      next_tick = std::chrono::steady_clock::now() + options_.tick;
    }
  }
}

}  // namespace pharos::discovery
