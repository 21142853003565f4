// A real mosquitto (Debian's) of a test's own on a free loopback port,
// optionally with TLS, persistence (so a restart keeps the sessions of
// persistent subscribers) and in a network namespace; stopped (and
// restartable, for outages) by the test.
#pragma once

#include <sys/types.h>

#include <string>

#include "e2e/daemon_process.h"

namespace pharos::e2e {

int FreePort();
// Whether something accepts TCP connections on host:port.
bool Accepts(int port, const std::string& host = "127.0.0.1");

struct MosquittoOptions {
  std::string host = "127.0.0.1";
  std::string netns;  // "" : this namespace
  // TLS: the listener presents cert/key; with `require_certificate` the
  // clients must present one signed by `cafile`.
  std::string cafile, certfile, keyfile;
  bool require_certificate = false;
  bool persistence = false;
};

class Mosquitto {
 public:
  explicit Mosquitto(MosquittoOptions options = {});
  ~Mosquitto();
  bool Start();  // (again, after Stop: same port, same persistence)
  void Stop();   // SIGTERM: sessions are saved when persistent
  int port() const { return port_; }
  bool started() const { return pid_ > 0; }
  const std::string& host() const { return options_.host; }
  std::string url() const;  // mqtt(s)://host:port
  std::string Log() const;

 private:
  MosquittoOptions options_;
  TempDir dir_;
  int port_;
  pid_t pid_ = -1;
};

}  // namespace pharos::e2e
