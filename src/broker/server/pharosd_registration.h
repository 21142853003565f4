// pharos-broker registers itself in pharosd's service registry through
// pharosd's public API (RegisterService, protocol grpc), so pods find it
// (`pharosctl services env POD`) and the security policy can name it
// (`to: {service: vehicledatabroker}`). It retries until pharosd answers
// and deregisters on shutdown.
#pragma once

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace pharos::broker {

struct RegistrationOptions {
  std::string pharosd;  // pharosd's API: host:port or unix:PATH; "" = do not register
  std::string name = "vehicledatabroker";
  std::string host;  // what pods connect to
  int port = 0;
  std::string token;  // pharosd bearer token (operator), "" for none
};

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

}  // namespace pharos::broker
