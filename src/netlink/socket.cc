#include "netlink/socket.h"

#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "common/strings.h"

namespace pharos::netlink {
namespace {

// Dumps of a namespace with hundreds of links need room: 64 KiB per read.
constexpr size_t kReceiveBufferSize = 65536;

absl::Status ErrnoStatus(int err, std::string_view what) {
  std::string message = StrCat(what, ": ", std::strerror(err));
  switch (err) {
    case EEXIST: return absl::AlreadyExistsError(message);
    case ENOENT: case ENODEV: case ESRCH: return absl::NotFoundError(message);
    case EPERM: case EACCES: return absl::PermissionDeniedError(message);
    case EINVAL: case ERANGE: return absl::InvalidArgumentError(message);
    case EOPNOTSUPP: return absl::UnimplementedError(message);
    case ENETUNREACH: case EHOSTUNREACH: return absl::FailedPreconditionError(message);
    default: return absl::InternalError(message);
  }
}

struct CallbackContext {
  const std::function<void(const nlmsghdr*)>* on_message;
};

int OnData(const nlmsghdr* message, void* data) {
  auto* ctx = static_cast<CallbackContext*>(data);
  if (ctx->on_message) (*ctx->on_message)(message);
  return MNL_CB_OK;
}

}  // namespace

const char* MessageTypeName(uint16_t type) {
  switch (type) {
    case RTM_NEWLINK: return "RTM_NEWLINK";
    case RTM_DELLINK: return "RTM_DELLINK";
    case RTM_GETLINK: return "RTM_GETLINK";
    case RTM_NEWADDR: return "RTM_NEWADDR";
    case RTM_DELADDR: return "RTM_DELADDR";
    case RTM_GETADDR: return "RTM_GETADDR";
    case RTM_NEWROUTE: return "RTM_NEWROUTE";
    case RTM_DELROUTE: return "RTM_DELROUTE";
    case RTM_GETROUTE: return "RTM_GETROUTE";
    case RTM_NEWRULE: return "RTM_NEWRULE";
    case RTM_DELRULE: return "RTM_DELRULE";
    case RTM_GETRULE: return "RTM_GETRULE";
    case RTM_GETNETCONF: return "RTM_GETNETCONF";
    default: return "netlink request";
  }
}

absl::StatusOr<std::unique_ptr<Socket>> Socket::Open(unsigned groups, int protocol) {
  mnl_socket* s = mnl_socket_open2(protocol, SOCK_CLOEXEC | (groups ? SOCK_NONBLOCK : 0));
  if (!s) return ErrnoStatus(errno, "cannot open a netlink socket");
  if (mnl_socket_bind(s, groups, MNL_SOCKET_AUTOPID) < 0) {
    int err = errno;
    mnl_socket_close(s);
    return ErrnoStatus(err, "cannot bind the netlink socket");
  }
  if (groups) {
    // A burst of events must not overflow the queue silently; the monitor
    // also resynchronises on ENOBUFS.
    int size = 4 << 20;
    setsockopt(mnl_socket_get_fd(s), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
  }
  auto socket = std::unique_ptr<Socket>(new Socket(s));
  socket->port_id_ = mnl_socket_get_portid(s);
  return socket;
}

Socket::~Socket() { mnl_socket_close(socket_); }

int Socket::fd() const { return mnl_socket_get_fd(socket_); }

absl::Status Socket::Transact(Request& request,
                              const std::function<void(const nlmsghdr*)>* on_message) {
  uint32_t seq = next_sequence_++;
  request.set_sequence(seq);
  std::span<const uint8_t> bytes = request.bytes();
  const char* what = MessageTypeName(request.type());
  if (mnl_socket_sendto(socket_, bytes.data(), bytes.size()) < 0) {
    return ErrnoStatus(errno, StrCat(what, " send"));
  }
  std::vector<uint8_t> buffer(kReceiveBufferSize);
  CallbackContext ctx{on_message};
  while (true) {
    ssize_t n = mnl_socket_recvfrom(socket_, buffer.data(), buffer.size());
    if (n < 0) return ErrnoStatus(errno, StrCat(what, " receive"));
    int rc = mnl_cb_run(buffer.data(), static_cast<size_t>(n), seq, port_id_, OnData, &ctx);
    if (rc == MNL_CB_ERROR) return ErrnoStatus(errno, what);
    if (rc == MNL_CB_STOP) return absl::OkStatus();
    // A plain request is answered by one ACK (MNL_CB_STOP); a dump or a
    // query by data then NLMSG_DONE (dump) or the data alone (query).
    if (request.header()->nlmsg_flags & NLM_F_DUMP) continue;
    if (!(request.header()->nlmsg_flags & NLM_F_ACK)) return absl::OkStatus();
  }
}

absl::Status Socket::Execute(Request& request) {
  request.header()->nlmsg_flags |= NLM_F_ACK;
  return Transact(request, nullptr);
}

absl::Status Socket::Dump(Request& request,
                          const std::function<void(const nlmsghdr*)>& on_message) {
  return Transact(request, &on_message);
}

absl::Status Socket::Query(Request& request,
                           const std::function<void(const nlmsghdr*)>& on_message) {
  return Transact(request, &on_message);
}

absl::StatusOr<int> Socket::ReadEvents(const std::function<void(const nlmsghdr*)>& on_message) {
  std::vector<uint8_t> buffer(kReceiveBufferSize);
  CallbackContext ctx{&on_message};
  int count = 0;
  while (true) {
    ssize_t n = mnl_socket_recvfrom(socket_, buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return count;
      return ErrnoStatus(errno, "netlink monitor receive");
    }
    mnl_cb_run(buffer.data(), static_cast<size_t>(n), 0, 0, OnData, &ctx);
    ++count;
  }
}

}  // namespace pharos::netlink
