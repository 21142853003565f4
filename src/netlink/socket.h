// A NETLINK_ROUTE socket. A netlink socket belongs to the network
// namespace it was opened in, for its whole life: open it inside a
// namespace (ScopedNetns) and it keeps talking to that namespace.
#pragma once

#include <functional>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "netlink/message.h"

struct mnl_socket;

namespace pharos::netlink {

class Socket {
 public:
  // Opens a socket in the calling thread's current network namespace.
  // `groups`: multicast groups to join (RTMGRP_* bits) for a monitor.
  static absl::StatusOr<std::unique_ptr<Socket>> Open(unsigned groups = 0,
                                                      int protocol = NETLINK_ROUTE);
  ~Socket();
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  // Sends `request` and waits for the kernel's acknowledgement; an error
  // answer becomes a Status naming the request and the errno.
  absl::Status Execute(Request& request);
  // Sends a dump request and calls `on_message` for each answer.
  absl::Status Dump(Request& request, const std::function<void(const nlmsghdr*)>& on_message);
  // Sends a request that has exactly one answer (RTM_GETROUTE lookups).
  absl::Status Query(Request& request, const std::function<void(const nlmsghdr*)>& on_message);

  // Monitor sockets: the descriptor to poll, and reading what arrived
  // (non-blocking; returns how many messages were seen).
  int fd() const;
  absl::StatusOr<int> ReadEvents(const std::function<void(const nlmsghdr*)>& on_message);

 private:
  explicit Socket(mnl_socket* socket) : socket_(socket) {}
  absl::Status Transact(Request& request,
                        const std::function<void(const nlmsghdr*)>* on_message);

  mnl_socket* socket_;
  unsigned port_id_ = 0;
  uint32_t next_sequence_ = 1;
};

// "RTM_NEWLINK" etc., for error messages.
const char* MessageTypeName(uint16_t type);

}  // namespace pharos::netlink
