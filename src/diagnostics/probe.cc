#include "diagnostics/probe.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/icmp6.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include "common/strings.h"
#include "netlink/netns.h"

namespace pharos::diagnostics {
namespace {

using Clock = std::chrono::steady_clock;

double MillisSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

int RemainingMs(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

// A socket opened inside `netns`; -1 with `error` set on failure.
netlink::UniqueFd OpenIn(const std::string& netns, int type, int protocol, std::string* error) {
  absl::StatusOr<netlink::ScopedNetns> inside = netlink::ScopedNetns::Enter(netns);
  if (!inside.ok()) {
    *error = std::string(inside.status().message());
    return netlink::UniqueFd();
  }
  int fd = socket(AF_INET, type | SOCK_CLOEXEC | SOCK_NONBLOCK, protocol);
  if (fd < 0) *error = StrCat("cannot open a socket: ", std::strerror(errno));
  return netlink::UniqueFd(fd);
}

sockaddr_in SockaddrOf(Ipv4Address a, int port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(a.value());
  sa.sin_port = htons(static_cast<uint16_t>(port));
  return sa;
}

std::string Endpoint(Ipv4Address a, int port) { return StrCat(a.ToString(), ":", port); }

std::string UnreachableText(int err, const std::string& source, const std::string& target) {
  switch (err) {
    case ENETUNREACH:
      return StrCat("no route to ", target, " from ", source);
    case EHOSTUNREACH:
      return StrCat("no route to host ", target, " from ", source,
                    " (no router or neighbour answered)");
    default:
      return StrCat(target, " from ", source, ": ", std::strerror(err));
  }
}

uint16_t Checksum(const uint8_t* data, size_t length) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < length; i += 2) sum += (data[i] << 8) | data[i + 1];
  if (length % 2) sum += data[length - 1] << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return htons(static_cast<uint16_t>(~sum));
}

const char* UnreachableCode(int code) {
  switch (code) {
    case ICMP_NET_UNREACH:
      return "network unreachable";
    case ICMP_HOST_UNREACH:
      return "host unreachable";
    case ICMP_PROT_UNREACH:
      return "protocol unreachable";
    case ICMP_PORT_UNREACH:
      return "port unreachable";
    case ICMP_PKT_FILTERED:
      return "administratively prohibited (filtered)";
    default:
      return "unreachable";
  }
}

}  // namespace

ProbeResult ProbeIcmp(const std::string& netns, const std::string& source, Ipv4Address destination,
                      std::chrono::milliseconds timeout) {
  ProbeResult result;
  std::string error;
  netlink::UniqueFd fd = OpenIn(netns, SOCK_RAW, IPPROTO_ICMP, &error);
  if (fd.get() < 0) return {false, 0, error};
  static thread_local std::mt19937 random(std::random_device{}());
  uint16_t id = static_cast<uint16_t>(random());
  uint8_t packet[64] = {};
  auto* echo = reinterpret_cast<icmphdr*>(packet);
  echo->type = ICMP_ECHO;
  echo->un.echo.id = htons(id);
  echo->un.echo.sequence = htons(1);
  std::memcpy(packet + sizeof(icmphdr), "pharos connectivity test", 24);
  echo->checksum = Checksum(packet, sizeof(packet));
  sockaddr_in to = SockaddrOf(destination, 0);
  auto start = Clock::now();
  auto deadline = start + timeout;
  std::string target = destination.ToString();
  if (sendto(fd.get(), packet, sizeof(packet), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to)) <
      0) {
    return {false, 0, UnreachableText(errno, source, target)};
  }
  uint8_t buffer[1500];
  while (true) {
    pollfd p{fd.get(), POLLIN, 0};
    int ready = poll(&p, 1, RemainingMs(deadline));
    if (ready <= 0) {
      return {false, 0,
              StrCat("no echo reply from ", target, " to ", source, " within ", timeout.count(),
                     " ms (host down, or dropped on the way)")};
    }
    sockaddr_in from{};
    socklen_t from_len = sizeof(from);
    ssize_t n = recvfrom(fd.get(), buffer, sizeof(buffer), 0, reinterpret_cast<sockaddr*>(&from),
                         &from_len);
    if (n < 0) {
      if (errno == EAGAIN) continue;
      return {false, 0, UnreachableText(errno, source, target)};
    }
    // Raw ICMP sockets deliver the IP header too.
    const auto* ip = reinterpret_cast<const iphdr*>(buffer);
    size_t ip_len = ip->ihl * 4u;
    if (static_cast<size_t>(n) < ip_len + sizeof(icmphdr)) continue;
    const auto* icmp = reinterpret_cast<const icmphdr*>(buffer + ip_len);
    std::string sender = Ipv4Address(ntohl(from.sin_addr.s_addr)).ToString();
    if (icmp->type == ICMP_ECHOREPLY && ntohs(icmp->un.echo.id) == id &&
        from.sin_addr.s_addr == to.sin_addr.s_addr) {
      double ms = MillisSince(start);
      return {true, ms,
              StrCat("echo reply from ", target, " to ", source, " in ", fmt::format("{:.3f}", ms),
                     " ms")};
    }
    if (icmp->type == ICMP_DEST_UNREACH || icmp->type == ICMP_TIME_EXCEEDED) {
      // The error quotes our packet: IP header + the first 8 bytes (our id).
      size_t inner = ip_len + sizeof(icmphdr);
      if (static_cast<size_t>(n) < inner + sizeof(iphdr)) continue;
      const auto* quoted_ip = reinterpret_cast<const iphdr*>(buffer + inner);
      size_t quoted_len = quoted_ip->ihl * 4u;
      if (static_cast<size_t>(n) < inner + quoted_len + sizeof(icmphdr)) continue;
      const auto* quoted = reinterpret_cast<const icmphdr*>(buffer + inner + quoted_len);
      if (quoted->type != ICMP_ECHO || ntohs(quoted->un.echo.id) != id) continue;
      if (icmp->type == ICMP_TIME_EXCEEDED) {
        return {false, 0,
                StrCat("TTL exceeded at ", sender, " on the way from ", source, " to ", target,
                       ": a routing loop")};
      }
      return {false, 0,
              StrCat(target, " ", UnreachableCode(icmp->code), " from ", source, " (reported by ",
                     sender, ")")};
    }
  }
}

netlink::UniqueFd ConnectTcp(const std::string& netns, const std::string& source,
                             Ipv4Address destination, int port, std::chrono::milliseconds timeout,
                             ProbeResult* result) {
  std::string error;
  netlink::UniqueFd fd = OpenIn(netns, SOCK_STREAM, 0, &error);
  if (fd.get() < 0) {
    *result = {false, 0, error};
    return fd;
  }
  sockaddr_in to = SockaddrOf(destination, port);
  std::string target = Endpoint(destination, port);
  auto start = Clock::now();
  int rc = connect(fd.get(), reinterpret_cast<sockaddr*>(&to), sizeof(to));
  int err = rc == 0 ? 0 : errno;
  if (err == EINPROGRESS) {
    pollfd p{fd.get(), POLLOUT, 0};
    if (poll(&p, 1, static_cast<int>(timeout.count())) <= 0) {
      *result = {false, 0,
                 StrCat("no answer from ", target, " to ", source, " within ", timeout.count(),
                        " ms (filtered, or the host is down)")};
      return netlink::UniqueFd();
    }
    socklen_t len = sizeof(err);
    getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
  }
  double ms = MillisSince(start);
  if (err == 0) {
    *result = {true, ms,
               StrCat("TCP connection from ", source, " to ", target, " established in ",
                      fmt::format("{:.3f}", ms), " ms")};
    return fd;
  }
  if (err == ECONNREFUSED) {
    *result = {false, ms, StrCat("connection refused by ", target, " (nothing listens there)")};
  } else {
    *result = {false, ms, UnreachableText(err, source, target)};
  }
  return netlink::UniqueFd();
}

ProbeResult ProbeTcp(const std::string& netns, const std::string& source, Ipv4Address destination,
                     int port, std::chrono::milliseconds timeout) {
  ProbeResult result;
  (void)ConnectTcp(netns, source, destination, port, timeout, &result);
  return result;
}

ProbeResult ProbeHttp(const std::string& netns, const std::string& source, Ipv4Address destination,
                      int port, const std::string& path, std::chrono::milliseconds timeout) {
  ProbeResult connected;
  auto start = Clock::now();
  netlink::UniqueFd fd = ConnectTcp(netns, source, destination, port, timeout, &connected);
  if (fd.get() < 0) return connected;
  std::string target = Endpoint(destination, port);
  std::string request = StrCat("GET ", path, " HTTP/1.1\r\nHost: ", target,
                               "\r\nUser-Agent: pharos-health\r\nConnection: close\r\n\r\n");
  if (send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL) < 0) {
    return {false, MillisSince(start), StrCat("cannot send to ", target, ": ", strerror(errno))};
  }
  // Only the status line matters.
  std::string answer;
  char buf[512];
  while (answer.find("\r\n") == std::string::npos && answer.size() < 4096) {
    auto left =
        timeout - std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    pollfd p{fd.get(), POLLIN, 0};
    if (left.count() <= 0 || poll(&p, 1, static_cast<int>(left.count())) <= 0) {
      return {false, MillisSince(start),
              StrCat("no HTTP answer from ", target, " within ", timeout.count(), " ms")};
    }
    ssize_t n = recv(fd.get(), buf, sizeof(buf), 0);
    if (n <= 0) break;
    answer.append(buf, static_cast<size_t>(n));
  }
  int code = 0;
  if (answer.rfind("HTTP/1.", 0) != 0 || sscanf(answer.c_str(), "HTTP/1.%*d %d", &code) != 1) {
    return {false, MillisSince(start), StrCat(target, " does not answer HTTP")};
  }
  double ms = MillisSince(start);
  std::string said = StrCat("HTTP ", code, " for GET ", path, " from ", target, " in ",
                            fmt::format("{:.3f}", ms), " ms");
  return {code < 500, ms, said};
}

ProbeResult ProbeUdp(const std::string& netns, const std::string& source, Ipv4Address destination,
                     int port, std::chrono::milliseconds timeout) {
  std::string error;
  netlink::UniqueFd fd = OpenIn(netns, SOCK_DGRAM, 0, &error);
  if (fd.get() < 0) return {false, 0, error};
  sockaddr_in to = SockaddrOf(destination, port);
  std::string target = Endpoint(destination, port);
  auto start = Clock::now();
  // A connected UDP socket reports an ICMP port unreachable as ECONNREFUSED.
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&to), sizeof(to)) < 0 ||
      send(fd.get(), "pharos connectivity test", 24, 0) < 0) {
    return {false, 0, UnreachableText(errno, source, target)};
  }
  pollfd p{fd.get(), POLLIN, 0};
  if (poll(&p, 1, static_cast<int>(timeout.count())) <= 0) {
    return {false, 0,
            StrCat("no UDP reply from ", target, " to ", source, " within ", timeout.count(),
                   " ms (the service stays silent, or a filter drops it)")};
  }
  char buffer[512];
  ssize_t n = recv(fd.get(), buffer, sizeof(buffer), 0);
  double ms = MillisSince(start);
  if (n >= 0) {
    return {true, ms,
            StrCat("UDP reply from ", target, " to ", source, " in ", fmt::format("{:.3f}", ms),
                   " ms")};
  }
  if (errno == ECONNREFUSED) {
    return {false, ms, StrCat("port unreachable: nothing listens on ", target, "/udp")};
  }
  return {false, ms, UnreachableText(errno, source, target)};
}

}  // namespace pharos::diagnostics
