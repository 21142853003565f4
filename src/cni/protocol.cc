#include "cni/protocol.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "common/strings.h"

namespace pharos::cni {
namespace {

ExchangeResult Errno(std::string_view what) {
  return {false, StrCat(what, ": ", std::strerror(errno)), {}};
}

// Waits until `fd` is ready for `events`; an error result when the
// deadline passes first.
std::optional<ExchangeResult> WaitFor(int fd, short events,
                                      std::chrono::steady_clock::time_point deadline) {
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return ExchangeResult{false, "pharosd did not answer in time", {}};
    pollfd p{fd, events, 0};
    int n = poll(&p, 1, static_cast<int>(left.count()));
    if (n > 0) return std::nullopt;
    if (n < 0 && errno != EINTR) return Errno("poll");
  }
}

}  // namespace

const std::vector<std::string>& SupportedVersions() {
  static const std::vector<std::string> versions = {"0.3.0", "0.3.1", "0.4.0", "1.0.0"};
  return versions;
}

bool IsSupportedVersion(std::string_view version) {
  for (const auto& v : SupportedVersions()) {
    if (v == version) return true;
  }
  return false;
}

std::map<std::string, std::string> ParseCniArgs(std::string_view args) {
  std::map<std::string, std::string> out;
  while (!args.empty()) {
    size_t end = args.find(';');
    std::string_view pair = args.substr(0, end);
    size_t eq = pair.find('=');
    if (eq != std::string_view::npos && eq > 0) {
      out[std::string(pair.substr(0, eq))] = std::string(pair.substr(eq + 1));
    }
    if (end == std::string_view::npos) break;
    args.remove_prefix(end + 1);
  }
  return out;
}

nlohmann::json ErrorAnswer(int code, std::string_view msg, std::string_view details) {
  nlohmann::json j = {{"code", code}, {"msg", msg}};
  if (!details.empty()) j["details"] = details;
  return j;
}

nlohmann::json ErrorObject(std::string_view cni_version, int code, std::string_view msg,
                           std::string_view details) {
  nlohmann::json j = {{"cniVersion", cni_version}, {"code", code}, {"msg", msg}};
  if (!details.empty()) j["details"] = details;
  return j;
}

ExchangeResult Exchange(const std::string& socket_path, const nlohmann::json& request,
                        std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof(addr.sun_path)) {
    return {false, StrCat("socket path too long: ", socket_path), {}};
  }
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Errno("socket");
  struct Closer {
    int fd;
    ~Closer() { close(fd); }
  } closer{fd};
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) < 0) {
    return Errno(StrCat("cannot reach pharosd at ", socket_path));
  }
  std::string out = request.dump();
  for (size_t sent = 0; sent < out.size();) {
    if (auto late = WaitFor(fd, POLLOUT, deadline)) return *late;
    ssize_t n = send(fd, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("send to pharosd");
    sent += static_cast<size_t>(n);
  }
  shutdown(fd, SHUT_WR);
  std::string in;
  char buf[8192];
  while (true) {
    if (auto late = WaitFor(fd, POLLIN, deadline)) return *late;
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("receive from pharosd");
    if (n == 0) break;
    in.append(buf, static_cast<size_t>(n));
  }
  nlohmann::json answer = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (answer.is_discarded() || !answer.is_object() || !answer.contains("code")) {
    return {false, "pharosd closed the connection without an answer", {}};
  }
  return {true, "", std::move(answer)};
}

}  // namespace pharos::cni
