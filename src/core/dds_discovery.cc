#include "core/dds_discovery.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/strings.h"

extern char** environ;

namespace pharos::core {

DdsDiscovery::DdsDiscovery(ServiceRegistry& registry, ConfigController& controller,
                           DdsDiscoveryOptions options)
    : registry_(registry), controller_(controller), options_(std::move(options)) {}

DdsDiscovery::~DdsDiscovery() { Stop(); }

std::string DdsDiscovery::FindWatcher() {
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec).parent_path();
  for (const auto& candidate : {self / "pharos-dds-watch",
                                self / ".." / "tools" / "pharos-dds-watch" / "pharos-dds-watch"}) {
    if (access(candidate.c_str(), X_OK) == 0) return candidate.lexically_normal().string();
  }
  return "";
}

void DdsDiscovery::Start() {
  // Entries of an earlier run describe participants that may be gone.
  if (auto known = registry_.List(); known.ok()) {
    for (const auto& v : *known) {
      if (v.record.source == "dds") (void)registry_.Deregister(v.record.id, "pharosd restarted");
    }
  }
  supervisor_ = std::thread([this] { Supervise(); });
}

void DdsDiscovery::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (supervisor_.joinable()) supervisor_.join();
  for (auto& [key, w] : watchers_) StopWatcher(w);
  watchers_.clear();
}

void DdsDiscovery::TopologyChanged() {
  {
    std::lock_guard lock(mu_);
    dirty_ = true;
  }
  cv_.notify_all();
}

void DdsDiscovery::Supervise() {
  while (true) {
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, std::chrono::seconds(1), [&] { return stop_ || dirty_; });
      if (stop_) return;
    }
    Reconcile();
  }
}

void DdsDiscovery::Reconcile() {
  // Pod bridges: where pods (and so DDS applications) are.
  std::set<std::pair<std::string, std::string>> wanted;
  model::Topology topo = controller_.CurrentTopology();
  for (const auto& b : controller_.CurrentPlan().bridges) {
    std::string owner = b.component.substr(0, b.component.find('/'));
    const model::TopologyNode* node = topo.FindNode(owner);
    if (node && node->kind == model::NodeKind::kVm) wanted.insert({b.netns, b.name});
  }
  {
    std::lock_guard lock(mu_);
    dirty_ = false;
  }
  for (auto it = watchers_.begin(); it != watchers_.end();) {
    // Gone from the topology, or exited (restarted below).
    bool exited = waitpid(it->second.pid, nullptr, WNOHANG) == it->second.pid;
    if (!wanted.count(it->first) || exited) {
      if (exited) {
        spdlog::warn("pharos-dds-watch for {} exited; restarting", it->first.second);
        it->second.pid = -1;
      }
      StopWatcher(it->second);
      it = watchers_.erase(it);
      continue;
    }
    ++it;
  }
  for (const auto& [netns, bridge] : wanted) {
    if (!watchers_.count({netns, bridge})) Spawn(netns, bridge);
  }
}

void DdsDiscovery::Spawn(const std::string& netns, const std::string& bridge) {
  int out[2];
  if (pipe2(out, O_CLOEXEC) < 0) return;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  std::string domain = std::to_string(options_.domain);
  std::vector<std::string> args = {
      options_.watcher, "--interface",           bridge, "--domain", domain,
      "--parent",       std::to_string(getpid())};
  if (!netns.empty()) {
    args.push_back("--netns");
    args.push_back(netns);
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  // pharosd blocks SIGTERM/SIGINT in every thread (sigwait takes them);
  // the watcher must not inherit that, or it could never be stopped.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGTERM);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, options_.watcher.c_str(), &actions, &attr, argv.data(), environ);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  if (rc != 0) {
    close(out[0]);
    spdlog::error("cannot start {}: {}", options_.watcher, strerror(rc));
    return;
  }
  Watcher& w = watchers_[{netns, bridge}];
  w.pid = pid;
  w.fd = out[0];
  w.reader = std::thread([this, fd = out[0]] {
    std::string buffer;
    char chunk[4096];
    ssize_t n;
    while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
      buffer.append(chunk, static_cast<size_t>(n));
      for (size_t nl; (nl = buffer.find('\n')) != std::string::npos; buffer.erase(0, nl + 1)) {
        HandleLine(buffer.substr(0, nl));
      }
    }
  });
  spdlog::info("DDS discovery on {} in {} (domain {}, pid {})", bridge, netns, options_.domain,
               pid);
}

void DdsDiscovery::StopWatcher(Watcher& w) {
  if (w.pid > 0) {
    kill(w.pid, SIGTERM);
    waitpid(w.pid, nullptr, 0);
  }
  if (w.reader.joinable()) w.reader.join();  // the pipe closed with the process
  if (w.fd >= 0) close(w.fd);
  w.pid = -1;
  w.fd = -1;
}

void DdsDiscovery::HandleLine(const std::string& line) {
  nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
  if (!j.is_object()) return;
  std::string kind = j.value("kind", ""), guid = j.value("guid", "");
  bool alive = j.value("alive", false);
  std::vector<std::string> to_remove;
  std::vector<std::string> to_publish;
  {
    std::lock_guard lock(mu_);
    if (kind == "participant") {
      if (alive) {
        participants_[guid] = {j.value("address", ""), j.value("hostname", ""), j.value("port", 0)};
        for (const auto& [pub, p] : publications_) {
          if (p.participant == guid && p.service_id.empty()) to_publish.push_back(pub);
        }
      } else {
        participants_.erase(guid);
        for (auto it = publications_.begin(); it != publications_.end();) {
          if (it->second.participant != guid) {
            ++it;
            continue;
          }
          if (!it->second.service_id.empty()) to_remove.push_back(it->second.service_id);
          it = publications_.erase(it);
        }
      }
    } else if (kind == "publication") {
      if (alive) {
        publications_[guid] = {j.value("participant", ""), j.value("topic", ""),
                               j.value("type", ""), ""};
        to_publish.push_back(guid);
      } else if (auto it = publications_.find(guid); it != publications_.end()) {
        std::string id = it->second.service_id;
        publications_.erase(it);
        // Another publication of the same topic by the same participant
        // is the same service: it stays while one is left.
        bool shared = false;
        for (const auto& [g, p] : publications_) shared |= !id.empty() && p.service_id == id;
        if (!id.empty() && !shared) to_remove.push_back(id);
      }
    }
  }
  for (const auto& id : to_remove) {
    absl::Status s = registry_.Deregister(id, "DDS publication or participant gone");
    if (!s.ok() && !absl::IsNotFound(s)) spdlog::warn("DDS: {}", std::string(s.message()));
  }
  for (const auto& pub : to_publish) Publish(pub);
}

void DdsDiscovery::Publish(const std::string& publication) {
  Publication p;
  Participant who;
  {
    std::lock_guard lock(mu_);
    auto it = publications_.find(publication);
    if (it == publications_.end()) return;
    auto part = participants_.find(it->second.participant);
    if (part == participants_.end() || part->second.address.empty() || part->second.port <= 0) {
      return;  // registered when its participant shows up
    }
    p = it->second;
    who = part->second;
  }
  absl::StatusOr<std::string> id = registry_.Register(p.topic, who.address, who.port, "dds",
                                                      {{"type", p.type},
                                                       {"participant", p.participant},
                                                       {"domain", std::to_string(options_.domain)},
                                                       {"hostname", who.hostname}},
                                                      "dds");
  if (!id.ok()) {
    spdlog::warn("DDS topic {}: {}", p.topic, std::string(id.status().message()));
    return;
  }
  std::lock_guard lock(mu_);
  if (auto it = publications_.find(publication); it != publications_.end()) {
    it->second.service_id = *id;
  }
}

}  // namespace pharos::core
