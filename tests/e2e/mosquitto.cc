#include "e2e/mosquitto.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <thread>

namespace pharos::e2e {

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t len = sizeof(a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

bool Accepts(int port, const std::string& host) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  inet_pton(AF_INET, host.c_str(), &a.sin_addr);
  a.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  close(fd);
  return ok;
}

Mosquitto::Mosquitto(MosquittoOptions options) : options_(std::move(options)), port_(FreePort()) {
  Start();
}

Mosquitto::~Mosquitto() { Stop(); }

std::string Mosquitto::url() const {
  return (options_.certfile.empty() ? "mqtt://" : "mqtts://") + options_.host + ":" +
         std::to_string(port_);
}

std::string Mosquitto::Log() const { return ReadFile(dir_.path() + "/mosquitto.log"); }

bool Mosquitto::Start() {
  if (pid_ > 0) return true;
  std::string conf = dir_.path() + "/mosquitto.conf";
  {
    std::ofstream out(conf);
    // As root mosquitto would switch to its own user, who cannot write here.
    if (geteuid() == 0) out << "user root\n";
    out << "listener " << port_ << " " << options_.host << "\nallow_anonymous true\n"
        << "log_dest file " << dir_.path() << "/mosquitto.log\n";
    if (!options_.certfile.empty()) {
      out << "certfile " << options_.certfile << "\nkeyfile " << options_.keyfile << "\n";
      if (!options_.cafile.empty()) out << "cafile " << options_.cafile << "\n";
      if (options_.require_certificate) out << "require_certificate true\n";
    }
    if (options_.persistence) {
      out << "persistence true\npersistence_location " << dir_.path() << "/\n"
          << "autosave_interval 1\n";
    }
  }
  pid_ = fork();
  if (pid_ == 0) {
    if (!options_.netns.empty()) {
      execlp("ip", "ip", "netns", "exec", options_.netns.c_str(), "mosquitto", "-c", conf.c_str(),
             static_cast<char*>(nullptr));
    } else {
      execlp("mosquitto", "mosquitto", "-c", conf.c_str(), static_cast<char*>(nullptr));
    }
    _exit(127);
  }
  // Only a loopback listener can be probed from here; one in a namespace
  // is given a moment.
  if (!options_.netns.empty()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    return true;
  }
  for (int i = 0; i < 300 && !Accepts(port_, options_.host); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!Accepts(port_, options_.host)) {
    Stop();
    return false;
  }
  return true;
}

void Mosquitto::Stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

}  // namespace pharos::e2e
