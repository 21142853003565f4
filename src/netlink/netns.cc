#include "netlink/netns.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "common/strings.h"

namespace pharos::netlink {
namespace {

absl::Status Errno(std::string_view what) {
  int err = errno;
  std::string message = StrCat(what, ": ", std::strerror(err));
  if (err == EPERM || err == EACCES) return absl::PermissionDeniedError(message);
  if (err == ENOENT) return absl::NotFoundError(message);
  if (err == EEXIST) return absl::AlreadyExistsError(message);
  return absl::InternalError(message);
}

std::string PathOf(const std::string& name) { return StrCat(kNetnsDirectory, "/", name); }

// The namespace the process started in, opened once: "" always means it,
// whatever namespace the calling thread is in at the moment.
int InitialNetnsFd() {
  static int fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  return fd;
}

// /run/netns must be a shared mount so that bind mounts made in it
// propagate to every mount namespace (what iproute2 does too).
absl::Status PrepareNetnsDirectory() {
  if (mkdir(kNetnsDirectory, 0755) < 0 && errno != EEXIST) {
    return Errno(StrCat("mkdir ", kNetnsDirectory));
  }
  if (mount("", kNetnsDirectory, "none", MS_SHARED | MS_REC, nullptr) == 0) {
    return absl::OkStatus();
  }
  if (errno != EINVAL) return Errno(StrCat("mount --make-shared ", kNetnsDirectory));
  if (mount(kNetnsDirectory, kNetnsDirectory, "none", MS_BIND | MS_REC, nullptr) < 0) {
    return Errno(StrCat("mount --bind ", kNetnsDirectory));
  }
  if (mount("", kNetnsDirectory, "none", MS_SHARED | MS_REC, nullptr) < 0) {
    return Errno(StrCat("mount --make-shared ", kNetnsDirectory));
  }
  return absl::OkStatus();
}

}  // namespace

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = other.release();
  }
  return *this;
}

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) close(fd_);
}

namespace {

// Names the namespace `enter` moves the calling thread into: runs
// `prepare` inside it, then bind-mounts it at /run/netns/<name>.
absl::Status NameNetns(const std::string& name, const std::function<absl::Status()>& enter,
                       const std::function<absl::Status()>& prepare) {
  InitialNetnsFd();
  static const absl::Status prepared = PrepareNetnsDirectory();
  if (!prepared.ok()) return prepared;
  std::string path = PathOf(name);
  int marker = open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
  if (marker < 0 && errno == EEXIST && !NamedNetnsExists(name)) {
    // A file left by a creation that was interrupted before the mount.
    unlink(path.c_str());
    marker = open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
  }
  if (marker < 0) return Errno(StrCat("create ", path));
  close(marker);

  UniqueFd original(open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (original.get() < 0) return Errno("open /proc/thread-self/ns/net");
  if (absl::Status s = enter(); !s.ok()) {
    unlink(path.c_str());
    return s;
  }
  absl::Status result = prepare ? prepare() : absl::OkStatus();
  if (result.ok() &&
      mount("/proc/thread-self/ns/net", path.c_str(), "none", MS_BIND, nullptr) < 0) {
    result = Errno(StrCat("bind mount ", path));
  }
  if (!result.ok()) unlink(path.c_str());
  if (setns(original.get(), CLONE_NEWNET) < 0) {
    perror("pharos: cannot return to the original network namespace");
    std::abort();
  }
  return result;
}

}  // namespace

absl::Status CreateNamedNetns(const std::string& name,
                              const std::function<absl::Status()>& prepare) {
  auto fresh = [] {
    return unshare(CLONE_NEWNET) < 0 ? Errno("unshare(CLONE_NEWNET)") : absl::OkStatus();
  };
  return NameNetns(name, fresh, prepare);
}

absl::Status AttachNamedNetns(const std::string& name, const std::string& source,
                              const std::function<absl::Status()>& prepare) {
  UniqueFd fd(open(source.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return Errno(StrCat("network namespace ", source));
  struct statfs fs;
  if (fstatfs(fd.get(), &fs) < 0 || fs.f_type != NSFS_MAGIC ||
      ioctl(fd.get(), NS_GET_NSTYPE) != CLONE_NEWNET) {
    return absl::InvalidArgumentError(StrCat(source, " is not a network namespace"));
  }
  auto join = [&] {
    return setns(fd.get(), CLONE_NEWNET) < 0 ? Errno(StrCat("setns ", source)) : absl::OkStatus();
  };
  return NameNetns(name, join, prepare);
}

absl::Status DeleteNamedNetns(const std::string& name) {
  std::string path = PathOf(name);
  if (umount2(path.c_str(), MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT) {
    return Errno(StrCat("umount ", path));
  }
  if (unlink(path.c_str()) < 0 && errno != ENOENT) return Errno(StrCat("unlink ", path));
  return absl::OkStatus();
}

bool IsNetworkNamespacePath(const std::string& path) {
  struct statfs fs;
  return statfs(path.c_str(), &fs) == 0 && fs.f_type == NSFS_MAGIC;
}

uint64_t NetnsIdentity(const std::string& name) {
  struct stat st {};
  return stat(PathOf(name).c_str(), &st) == 0 ? st.st_ino : 0;
}

bool NamedNetnsExists(const std::string& name) { return IsNetworkNamespacePath(PathOf(name)); }

namespace {

struct FileId {
  dev_t dev = 0;
  ino_t ino = 0;
  bool operator==(const FileId&) const = default;
};

std::optional<FileId> FileIdOf(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return std::nullopt;
  return FileId{st.st_dev, st.st_ino};
}

}  // namespace

std::string NetnsAttachRefusal(const std::string& path, const std::string& owned_prefix,
                               const std::string& own_name) {
  std::optional<FileId> id = FileIdOf(path);
  if (!id) return StrCat("cannot be read (", std::strerror(errno), ")");
  if (!IsNetworkNamespacePath(path)) return "is not a network namespace";
  if (id == FileIdOf("/proc/1/ns/net")) return "is the host's own network namespace";
  if (id == FileIdOf("/proc/self/ns/net")) return "is pharosd's own network namespace";
  absl::StatusOr<std::vector<std::string>> names = ListNamedNetns();
  if (!names.ok()) return "";  // nothing named: nothing owned to collide with
  for (const std::string& name : *names) {
    if (name == own_name || !name.starts_with(owned_prefix)) continue;
    if (id == FileIdOf(PathOf(name))) {
      return StrCat("is the namespace of ", name.substr(owned_prefix.size()),
                    ", which Pharos owns (", PathOf(name), ")");
    }
  }
  return "";
}

absl::StatusOr<std::vector<std::string>> ListNamedNetns() {
  std::vector<std::string> names;
  DIR* dir = opendir(kNetnsDirectory);
  if (!dir) {
    if (errno == ENOENT) return names;
    return Errno(StrCat("opendir ", kNetnsDirectory));
  }
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] == '.') continue;
    names.emplace_back(e->d_name);
  }
  closedir(dir);
  return names;
}

absl::StatusOr<UniqueFd> OpenNetns(const std::string& name) {
  if (name.empty()) {
    int fd = fcntl(InitialNetnsFd(), F_DUPFD_CLOEXEC, 0);
    if (fd < 0) return Errno("dup initial namespace");
    return UniqueFd(fd);
  }
  std::string path = PathOf(name);
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Errno(StrCat("network namespace ", name));
  return UniqueFd(fd);
}

absl::StatusOr<ScopedNetns> ScopedNetns::Enter(const std::string& name) {
  UniqueFd original(open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (original.get() < 0) return Errno("open /proc/thread-self/ns/net");
  absl::StatusOr<UniqueFd> target = OpenNetns(name);
  if (!target.ok()) return target.status();
  if (setns(target->get(), CLONE_NEWNET) < 0) return Errno(StrCat("setns ", name));
  return ScopedNetns(std::move(original));
}

ScopedNetns::~ScopedNetns() {
  if (original_.get() < 0) return;  // moved from
  if (setns(original_.get(), CLONE_NEWNET) < 0) {
    perror("pharos: cannot return to the original network namespace");
    std::abort();
  }
}

}  // namespace pharos::netlink
