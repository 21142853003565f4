// A Pharos process (pharos-broker, pharos-sovd) registers itself in
// pharosd's service registry through pharosd's public API
// (RegisterService), so pods find it (`pharosctl services env POD`) and the
// security policy can name it (`to: {service: vehicledatabroker}`). It
// retries until pharosd answers and deregisters on shutdown.
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"

namespace pharos {

struct RegistrationOptions {
  std::string pharosd;  // pharosd's API: host:port or unix:PATH; "" = do not register
  std::string name;
  std::string host;  // what pods connect to
  int port = 0;
  std::string protocol = "grpc";
  std::map<std::string, std::string> metadata;  // what clients read: api, env, scheme
  std::string token;                            // pharosd bearer token (operator), "" for none
};

// The --register-* flags every registering process takes.
struct RegistrationFlags {
  std::string pharosd;     // --register-with
  std::string name;        // --register-name
  std::string endpoint;    // --register-endpoint host:port; "" = the bound address
  std::string token_file;  // --register-token-file; "" = env PHAROS_TOKEN
};
// The flags made concrete; NOT_FOUND when the token file cannot be read.
absl::StatusOr<RegistrationOptions> ResolveRegistration(const RegistrationFlags& flags,
                                                        const std::string& bound_host,
                                                        int bound_port);

class PharosdRegistration;
// Starts registering (nullptr when flags.pharosd is empty).
absl::StatusOr<std::unique_ptr<PharosdRegistration>> RegisterWithPharosd(
    const RegistrationFlags& flags, const std::string& bound_host, int bound_port,
    std::map<std::string, std::string> metadata);

class PharosdRegistration {
 public:
  explicit PharosdRegistration(RegistrationOptions options);
  ~PharosdRegistration();  // deregisters (best effort) and stops retrying
  PharosdRegistration(const PharosdRegistration&) = delete;

 private:
  void Run();
  bool TryRegister();
  void Deregister();

  const RegistrationOptions options_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::string service_id_;
  std::thread thread_;
};

}  // namespace pharos
