// Named network namespaces, the way iproute2 keeps them (a bind mount
// under /run/netns), so `ip netns` and other tools see what Pharos made.
// Entering one is setns() on the network namespace only: no remount of
// /sys, unlike `ip netns exec`, so bpffs and the rest stay visible.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace pharos::netlink {

inline constexpr char kNetnsDirectory[] = "/run/netns";

// An owned file descriptor.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  ~UniqueFd();
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_ = -1;
};

// Creates a namespace and names it. `prepare` runs inside the new
// namespace before it gets its name, so a named namespace is never seen
// half-prepared (Pharos marks its own there).
absl::Status CreateNamedNetns(const std::string& name,
                              const std::function<absl::Status()>& prepare = nullptr);
// Names an existing namespace (a container runtime's, e.g.
// /proc/<pid>/ns/net or /run/netns/cni-...) like `ip netns attach`: the
// name keeps it alive until DeleteNamedNetns. `prepare` runs inside it.
absl::Status AttachNamedNetns(const std::string& name, const std::string& source,
                              const std::function<absl::Status()>& prepare = nullptr);
// Removes the name; the namespace itself dies when nothing uses it.
absl::Status DeleteNamedNetns(const std::string& name);
// True when the name is bound to a namespace (not a file left over by an
// interrupted creation).
bool NamedNetnsExists(const std::string& name);
// True when `path` is a namespace file (/proc/<pid>/ns/net, a bind mount).
bool IsNetworkNamespacePath(const std::string& path);
absl::StatusOr<std::vector<std::string>> ListNamedNetns();
// Why a container runtime's namespace at `path` must not be handed to the
// pod whose own namespace is named `own_name`: not a network namespace,
// the host's (PID 1's) or this process's own, or one that a name starting
// with `owned_prefix` already stands for (a SoC, VM or another pod). ""
// when it may be attached. Compared by inode, so any path to the same
// namespace is recognised.
std::string NetnsAttachRefusal(const std::string& path, const std::string& owned_prefix,
                               const std::string& own_name);
// Tells namespaces of the same name apart (deleted and created again):
// the inode of the namespace behind the name, 0 when there is none.
uint64_t NetnsIdentity(const std::string& name);
// "" is the namespace the process started in.
absl::StatusOr<UniqueFd> OpenNetns(const std::string& name);

// Moves the calling thread into a network namespace and back when it goes
// out of scope. Everything opened meanwhile (sockets, /proc/sys/net files,
// nftables contexts) belongs to that namespace for its lifetime.
class ScopedNetns {
 public:
  static absl::StatusOr<ScopedNetns> Enter(const std::string& name);
  ScopedNetns(ScopedNetns&& other) noexcept : original_(std::move(other.original_)) {}
  ScopedNetns& operator=(ScopedNetns&&) = delete;
  ~ScopedNetns();  // aborts if the thread cannot go back: it must never stay

 private:
  explicit ScopedNetns(UniqueFd original) : original_(std::move(original)) {}
  UniqueFd original_;
};

}  // namespace pharos::netlink
