// Starts the real pharosd binary on a free port with a temporary state
// directory, as a user would, and stops it (SIGTERM or kill -9).
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace pharos::e2e {

// Which program a DaemonProcess runs and how it is told where to listen,
// where its state lives and which file to write once serving.
struct DaemonProgram {
  std::string binary;
  std::string name;  // in messages and the log's file name
  std::function<std::vector<std::string>(const std::string& state_dir, const std::string& ready)>
      base_args;
};
DaemonProgram Pharosd();
#ifdef PHAROS_BROKER_BINARY
// pharos-broker; with `netns`, inside that network namespace (ip netns exec).
DaemonProgram PharosBroker(const std::string& netns = "");
#endif

#ifdef PHAROS_SOVD_BINARY
// pharos-sovd (give --config); pharos-ecu-sim (give --config; its control
// socket is <state_dir>/control.sock). With `netns`, inside it.
DaemonProgram PharosSovd(const std::string& netns = "");
DaemonProgram PharosEcuSim(const std::string& netns = "");
#endif

class DaemonProcess {
 public:
  // `args`: extra pharosd flags; the default runs the `plan` dataplane,
  // which needs no privileges. Twin tests pass --dataplane=emulated and a
  // unique --interface-prefix.
  // Notifications stay queued unless a test names a receiver.
  explicit DaemonProcess(std::string state_dir,
                         std::vector<std::string> args = {"--dataplane=plan",
                                                          "--callback-endpoint=none"},
                         DaemonProgram program = Pharosd());
  ~DaemonProcess();  // SIGTERM + wait, if still running

  // Starts pharosd and waits until it serves; false (with the log on
  // stderr) when it does not come up in 10 s.
  bool Start();
  // SIGTERM and wait; returns the exit status.
  int Stop();
  void Kill9();
  const std::string& address() const { return address_; }
  pid_t pid() const { return pid_; }
  // Start pharosd as this user instead (the test runs as root): the
  // state directory and its parent are handed to it first.
  void RunAs(uid_t uid, gid_t gid) {
    run_as_ = {uid, gid};
  }
  const std::string& state_dir() const { return state_dir_; }
  std::string Log() const;

 private:
  std::string state_dir_;
  std::vector<std::string> args_;
  DaemonProgram program_;
  std::string address_;
  pid_t pid_ = -1;
  std::optional<std::pair<uid_t, gid_t>> run_as_;
};

// A fresh directory under /tmp, removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Runs a command, capturing stdout+stderr; returns the exit code.
int RunCommand(const std::string& command, std::string* output);
std::string ReadFile(const std::string& path);

}  // namespace pharos::e2e
