#include "e2e/daemon_process.h"

#include <grp.h>
#include <unistd.h>

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace pharos::e2e {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TempDir::TempDir() {
  char templ[] = "/tmp/pharos-e2e-XXXXXX";
  path_ = mkdtemp(templ);
}
TempDir::~TempDir() { std::filesystem::remove_all(path_); }

DaemonProgram Pharosd() {
  return {PHAROSD_BINARY, "pharosd", [](const std::string& state_dir, const std::string& ready) {
            return std::vector<std::string>{
                "--listen", "127.0.0.1:0", "--state-dir", state_dir, "--ready-file", ready,
                "--log-level", "debug",
                // Each daemon its own pharos-cni socket (a later --cni-socket wins).
                "--cni-socket", state_dir + "/cni.sock"};
          }};
}

#ifdef PHAROS_BROKER_BINARY
DaemonProgram PharosBroker(const std::string& netns) {
  auto args = [](const std::string& state_dir, const std::string& ready) {
    return std::vector<std::string>{"--port",       "0",   "--state-dir", state_dir,
                                    "--ready-file", ready, "--log-level", "debug"};
  };
  if (netns.empty()) return {PHAROS_BROKER_BINARY, "pharos-broker", args};
  return {"/usr/bin/env", "pharos-broker",
          [netns, args](const std::string& state_dir, const std::string& ready) {
            std::vector<std::string> out{"ip", "netns", "exec", netns, PHAROS_BROKER_BINARY};
            for (auto& a : args(state_dir, ready)) out.push_back(std::move(a));
            return out;
          }};
}
#endif

#ifdef PHAROS_SOVD_BINARY
namespace {
// The program run directly, or inside a namespace through ip netns exec.
DaemonProgram InNetns(
    const std::string& binary, const std::string& name, const std::string& netns,
    std::function<std::vector<std::string>(const std::string&, const std::string&)> args) {
  if (netns.empty()) return {binary, name, args};
  return {"/usr/bin/env", name,
          [binary, netns, args](const std::string& state_dir, const std::string& ready) {
            std::vector<std::string> out{"ip", "netns", "exec", netns, binary};
            for (auto& a : args(state_dir, ready)) out.push_back(std::move(a));
            return out;
          }};
}
}  // namespace

DaemonProgram PharosSovd(const std::string& netns) {
  return InNetns(PHAROS_SOVD_BINARY, "pharos-sovd", netns,
                 [](const std::string& state_dir, const std::string& ready) {
                   return std::vector<std::string>{"--port",       "0",
                                                   "--ready-file", ready,
                                                   "--audit-log",  state_dir + "/audit.log",
                                                   "--log-level",  "debug"};
                 });
}

DaemonProgram PharosEcuSim(const std::string& netns) {
  return InNetns(PHAROS_ECU_SIM_BINARY, "pharos-ecu-sim", netns,
                 [](const std::string& state_dir, const std::string& ready) {
                   return std::vector<std::string>{"--ready-file", ready,
                                                   "--control",    state_dir + "/control.sock",
                                                   "--log-level",  "debug"};
                 });
}
#endif

DaemonProcess::DaemonProcess(std::string state_dir, std::vector<std::string> args,
                             DaemonProgram program)
    : state_dir_(std::move(state_dir)), args_(std::move(args)), program_(std::move(program)) {}

DaemonProcess::~DaemonProcess() {
  if (pid_ > 0) Stop();
}

bool DaemonProcess::Start() {
  std::string ready = state_dir_ + "/ready";
  std::filesystem::remove(ready);
  std::string log = state_dir_ + "/" + program_.name + ".log";
  if (run_as_) {
    std::filesystem::create_directories(state_dir_);
    for (const std::string& path :
         {std::filesystem::path(state_dir_).parent_path().string(), state_dir_}) {
      if (chown(path.c_str(), run_as_->first, run_as_->second) != 0) return false;
    }
  }
  pid_ = fork();
  if (pid_ == 0) {
    // If the test process dies (a crash, a signal), pharosd goes too
    // instead of living on, holding the test's output pipe.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    FILE* out = freopen(log.c_str(), "a", stderr);
    out = freopen(log.c_str(), "a", stdout);
    (void)out;
    std::vector<std::string> argv{program_.binary};
    for (std::string& a : program_.base_args(state_dir_, ready)) argv.push_back(std::move(a));
    argv.insert(argv.end(), args_.begin(), args_.end());
    std::vector<char*> raw;
    for (auto& a : argv) raw.push_back(a.data());
    raw.push_back(nullptr);
    if (run_as_ && (setgroups(0, nullptr) != 0 || setgid(run_as_->second) != 0 ||
                    setuid(run_as_->first) != 0)) {
      _exit(126);
    }
    execv(program_.binary.c_str(), raw.data());
    _exit(127);
  }
  for (int i = 0; i < 200; ++i) {
    std::string text = ReadFile(ready);
    if (!text.empty()) {
      address_ = text.substr(0, text.find('\n'));
      return true;
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      fprintf(stderr, "%s exited early:\n%s\n", program_.name.c_str(), Log().c_str());
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  fprintf(stderr, "%s did not become ready:\n%s\n", program_.name.c_str(), Log().c_str());
  return false;
}

int DaemonProcess::Stop() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void DaemonProcess::Kill9() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

std::string DaemonProcess::Log() const {
  return ReadFile(state_dir_ + "/" + program_.name + ".log");
}

int RunCommand(const std::string& command, std::string* output) {
  output->clear();
  FILE* pipe = popen(("{ " + command + "; } 2>&1").c_str(), "r");
  if (!pipe) return -1;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) output->append(buf.data(), n);
  int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace pharos::e2e
