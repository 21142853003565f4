// Reads the packets nftables logs to an NFLOG group (nfnetlink_log) in
// one network namespace: which rule denied what (the log prefix names the
// rule), decoded from the IPv4 header the kernel copies.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "security/security_events.h"

struct mnl_socket;

namespace pharos::security {

class NflogReader {
 public:
  // Opens a netlink socket inside `netns` bound to `group`.
  static absl::StatusOr<std::unique_ptr<NflogReader>> Open(const std::string& netns, int group);
  ~NflogReader();
  int fd() const;
  // Everything queued on the socket now (never blocks).
  std::vector<DeniedPacket> Drain();

 private:
  NflogReader(mnl_socket* socket, std::string netns) : socket_(socket), netns_(std::move(netns)) {}
  mnl_socket* socket_;
  std::string netns_;
};

// One NFULNL_MSG_PACKET message -> a denied packet (nullopt: not IPv4, or
// not one of Pharos's prefixes). Exposed for unit tests.
std::optional<DeniedPacket> ParseNflogMessage(const void* data, size_t length);

}  // namespace pharos::security
