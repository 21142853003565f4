// The HTTP(S) transport (libcurl): each batch is one POST to the
// endpoint's URL, its receipt a 2xx answer. One request at a time, so a
// stream's batches arrive in order; any other answer (or no answer) fails
// the batch and the connector backs off and sends it again. Headers:
// Content-Type application/json, Content-Encoding zstd when compressed,
// X-Pharos-Stream <stream>, Idempotency-Key <first item id>..<last>.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "cloud/transport.h"

typedef void CURLM;
typedef void CURL;
struct curl_slist;

namespace pharos::cloud {

class HttpsTransport final : public Transport {
 public:
  HttpsTransport(Endpoint endpoint, TransportOptions options);
  ~HttpsTransport() override;

  absl::StatusOr<bool> Connect() override;
  bool connected() const override { return connected_; }
  absl::Status Send(const OutgoingMessage& message, uint64_t token) override;
  Progress Poll(std::chrono::milliseconds wait) override;
  int window() const override { return 1; }
  std::string Describe() const override { return endpoint_.url; }

 private:
  void Finish(Progress& progress);

  const Endpoint endpoint_;
  const TransportOptions options_;
  const std::string url_;
  CURLM* multi_ = nullptr;
  CURL* easy_ = nullptr;  // reused: keeps the connection alive between batches
  bool connected_ = false;
  struct InFlight {
    uint64_t token = 0;
    std::string body;
    struct curl_slist* headers = nullptr;
    std::string answer;
  };
  std::optional<InFlight> in_flight_;
};

}  // namespace pharos::cloud
