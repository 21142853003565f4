#include "security/nflog_reader.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <netinet/ip.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "common/strings.h"
#include "netlink/netns.h"
#include "security/nft_policy.h"

namespace pharos::security {
namespace {

absl::Status SendConfig(mnl_socket* nl, int group, const void* attr, uint16_t attr_type,
                        size_t attr_len) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  nlh->nlmsg_seq = 1;
  auto* nfg = static_cast<nfgenmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(nfgenmsg)));
  nfg->nfgen_family = AF_UNSPEC;
  nfg->version = NFNETLINK_V0;
  nfg->res_id = htons(static_cast<uint16_t>(group));
  mnl_attr_put(nlh, attr_type, attr_len, attr);
  if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
    return absl::InternalError(StrCat("nflog config send: ", strerror(errno)));
  }
  int n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
  if (n < 0) return absl::InternalError(StrCat("nflog config: ", strerror(errno)));
  const auto* reply = reinterpret_cast<const nlmsghdr*>(buf);
  if (reply->nlmsg_type == NLMSG_ERROR) {
    const auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(reply));
    if (err->error != 0) {
      return err->error == -EBUSY
                 ? absl::AlreadyExistsError(StrCat("NFLOG group ", group, " is taken"))
                 : absl::InternalError(StrCat("nflog config: ", strerror(-err->error)));
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::optional<DeniedPacket> ParseNflogMessage(const void* data, size_t length) {
  const auto* nlh = static_cast<const nlmsghdr*>(data);
  if (length < sizeof(nlmsghdr) || nlh->nlmsg_len > length) return std::nullopt;
  if (nlh->nlmsg_type != ((NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET)) return std::nullopt;
  const nlattr* attrs[NFULA_MAX + 1] = {};
  auto collect = [](const nlattr* attr, void* out) -> int {
    int type = mnl_attr_get_type(attr);
    if (type <= NFULA_MAX) static_cast<const nlattr**>(out)[type] = attr;
    return MNL_CB_OK;
  };
  if (mnl_attr_parse(nlh, sizeof(nfgenmsg), collect, attrs) < 0) return std::nullopt;
  if (!attrs[NFULA_PREFIX] || !attrs[NFULA_PAYLOAD]) return std::nullopt;
  const char* prefix = static_cast<const char*>(mnl_attr_get_payload(attrs[NFULA_PREFIX]));
  std::string rule = RuleFromLogPrefix(
      std::string(prefix, strnlen(prefix, mnl_attr_get_payload_len(attrs[NFULA_PREFIX]))));
  if (rule.empty()) return std::nullopt;
  const auto* bytes = static_cast<const uint8_t*>(mnl_attr_get_payload(attrs[NFULA_PAYLOAD]));
  size_t len = mnl_attr_get_payload_len(attrs[NFULA_PAYLOAD]);
  if (len < 20 || (bytes[0] >> 4) != 4) return std::nullopt;
  size_t ihl = (bytes[0] & 0x0f) * 4u;
  if (ihl < 20 || len < ihl) return std::nullopt;
  DeniedPacket p;
  p.protocol = bytes[9];
  uint32_t src, dst;
  memcpy(&src, bytes + 12, 4);
  memcpy(&dst, bytes + 16, 4);
  p.source = Ipv4Address(ntohl(src));
  p.destination = Ipv4Address(ntohl(dst));
  bool first_fragment = ((bytes[6] & 0x1f) | bytes[7]) == 0;
  if ((p.protocol == 6 || p.protocol == 17) && first_fragment && len >= ihl + 4) {
    p.port = (bytes[ihl + 2] << 8) | bytes[ihl + 3];
  }
  p.rule = std::move(rule);
  return p;
}

absl::StatusOr<std::unique_ptr<NflogReader>> NflogReader::Open(const std::string& netns,
                                                               int group) {
  absl::StatusOr<netlink::ScopedNetns> inside = netlink::ScopedNetns::Enter(netns);
  if (!inside.ok()) return inside.status();
  mnl_socket* nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (!nl) return absl::InternalError(StrCat("netfilter socket: ", strerror(errno)));
  std::unique_ptr<NflogReader> reader(new NflogReader(nl, netns));
  if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
    return absl::InternalError(StrCat("bind: ", strerror(errno)));
  }
  // Blocking for the two config round trips, then non-blocking again.
  int fd = mnl_socket_get_fd(nl);
  int flags = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  nfulnl_msg_config_cmd bind{NFULNL_CFG_CMD_BIND};
  if (absl::Status s = SendConfig(nl, group, &bind, NFULA_CFG_CMD, sizeof(bind)); !s.ok()) {
    return s;
  }
  nfulnl_msg_config_mode mode{};
  mode.copy_range = htonl(64);  // headers are enough
  mode.copy_mode = NFULNL_COPY_PACKET;
  if (absl::Status s = SendConfig(nl, group, &mode, NFULA_CFG_MODE, sizeof(mode)); !s.ok()) {
    return s;
  }
  fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  // A burst of drops must not overflow the socket: give it room.
  int size = 1 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
  return reader;
}

NflogReader::~NflogReader() {
  if (socket_) mnl_socket_close(socket_);
}

int NflogReader::fd() const { return mnl_socket_get_fd(socket_); }

std::vector<DeniedPacket> NflogReader::Drain() {
  std::vector<DeniedPacket> out;
  char buf[MNL_SOCKET_BUFFER_SIZE];
  for (;;) {
    int n = mnl_socket_recvfrom(socket_, buf, sizeof(buf));
    if (n <= 0) break;  // EAGAIN: drained; ENOBUFS: lost some, keep going next time
    const auto* nlh = reinterpret_cast<const nlmsghdr*>(buf);
    int remaining = n;
    while (mnl_nlmsg_ok(nlh, remaining)) {
      if (auto p = ParseNflogMessage(nlh, nlh->nlmsg_len)) {
        p->netns = netns_;
        out.push_back(std::move(*p));
      }
      nlh = mnl_nlmsg_next(nlh, &remaining);
    }
  }
  return out;
}

}  // namespace pharos::security
