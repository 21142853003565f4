#include "cloud/https_transport.h"

#include <curl/curl.h>

#include <mutex>

#include "common/fmt_absl.h"
#include "fmt/format.h"
#include "netlink/netns.h"

namespace pharos::cloud {
namespace {

std::once_flag library;

size_t Collect(char* data, size_t size, size_t n, void* into) {
  auto* answer = static_cast<std::string*>(into);
  if (answer->size() < 4096) answer->append(data, std::min(size * n, 4096 - answer->size()));
  return size * n;
}

std::string UrlOf(const Endpoint& e) {
  return fmt::format("{}://{}:{}{}", e.tls() ? "https" : "http", e.host, e.port, e.path);
}

}  // namespace

HttpsTransport::HttpsTransport(Endpoint endpoint, TransportOptions options)
    : endpoint_(std::move(endpoint)), options_(std::move(options)), url_(UrlOf(endpoint_)) {
  std::call_once(library, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  multi_ = curl_multi_init();
  easy_ = curl_easy_init();
}

HttpsTransport::~HttpsTransport() {
  if (in_flight_) {
    curl_multi_remove_handle(multi_, easy_);
    curl_slist_free_all(in_flight_->headers);
  }
  curl_easy_cleanup(easy_);
  curl_multi_cleanup(multi_);
}

absl::StatusOr<bool> HttpsTransport::Connect() {
  // HTTP has no session: the next request is the attempt.
  if (multi_ == nullptr || easy_ == nullptr) {
    return absl::ResourceExhaustedError("libcurl could not be initialised");
  }
  connected_ = true;
  return true;
}

absl::Status HttpsTransport::Send(const OutgoingMessage& m, uint64_t token) {
  if (in_flight_) return absl::FailedPreconditionError("a request is already in flight");
  InFlight f;
  f.token = token;
  f.body = m.payload;
  f.headers = curl_slist_append(f.headers, "Content-Type: application/json");
  if (m.compressed) f.headers = curl_slist_append(f.headers, "Content-Encoding: zstd");
  f.headers = curl_slist_append(f.headers, fmt::format("X-Pharos-Stream: {}", m.stream).c_str());
  if (!m.key.empty()) {
    f.headers = curl_slist_append(f.headers, fmt::format("Idempotency-Key: {}", m.key).c_str());
  }
  f.headers = curl_slist_append(f.headers, "Expect:");  // no 100-continue round trip
  in_flight_ = std::move(f);
  InFlight& r = *in_flight_;
  curl_easy_reset(easy_);
  curl_easy_setopt(easy_, CURLOPT_URL, url_.c_str());
  curl_easy_setopt(easy_, CURLOPT_POST, 1L);
  curl_easy_setopt(easy_, CURLOPT_POSTFIELDS, r.body.data());
  curl_easy_setopt(easy_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
  curl_easy_setopt(easy_, CURLOPT_HTTPHEADER, r.headers);
  curl_easy_setopt(easy_, CURLOPT_WRITEFUNCTION, &Collect);
  curl_easy_setopt(easy_, CURLOPT_WRITEDATA, &r.answer);
  curl_easy_setopt(easy_, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(easy_, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.receipt_timeout.count()));
  curl_easy_setopt(easy_, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy_, CURLOPT_PROTOCOLS_STR, "http,https");
  if (!options_.ca_file.empty()) curl_easy_setopt(easy_, CURLOPT_CAINFO, options_.ca_file.c_str());
  if (!options_.cert_file.empty()) {
    curl_easy_setopt(easy_, CURLOPT_SSLCERT, options_.cert_file.c_str());
    curl_easy_setopt(easy_, CURLOPT_SSLKEY, options_.key_file.c_str());
  }
  if (!options_.bind_address.empty()) {
    curl_easy_setopt(easy_, CURLOPT_INTERFACE, ("host!" + options_.bind_address).c_str());
  }
  CURLMcode rc = curl_multi_add_handle(multi_, easy_);
  if (rc != CURLM_OK) {
    curl_slist_free_all(r.headers);
    in_flight_.reset();
    return absl::InternalError(fmt::format("libcurl: {}", curl_multi_strerror(rc)));
  }
  return absl::OkStatus();
}

Progress HttpsTransport::Poll(std::chrono::milliseconds wait) {
  Progress progress;
  if (!in_flight_) return progress;
  // libcurl opens its sockets while it performs: in the connection's namespace.
  std::optional<netlink::ScopedNetns> in_netns;
  if (!options_.netns.empty()) {
    auto entered = netlink::ScopedNetns::Enter(options_.netns);
    if (!entered.ok()) {
      curl_multi_remove_handle(multi_, easy_);
      curl_slist_free_all(in_flight_->headers);
      progress.failed.emplace_back(
          in_flight_->token, absl::UnavailableError(fmt::format("namespace {}: {}", options_.netns,
                                                                entered.status().message())));
      in_flight_.reset();
      progress.connection_lost = true;
      connected_ = false;
      return progress;
    }
    in_netns.emplace(std::move(*entered));
  }
  int running = 0;
  curl_multi_perform(multi_, &running);
  if (running > 0) {
    curl_multi_poll(multi_, nullptr, 0, static_cast<int>(wait.count()), nullptr);
    curl_multi_perform(multi_, &running);
  }
  if (running == 0) Finish(progress);
  return progress;
}

void HttpsTransport::Finish(Progress& progress) {
  int left = 0;
  CURLcode result = CURLE_OK;
  bool done = false;
  while (CURLMsg* msg = curl_multi_info_read(multi_, &left)) {
    if (msg->msg == CURLMSG_DONE) {
      result = msg->data.result;
      done = true;
    }
  }
  if (!done) return;
  long code = 0;
  curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &code);
  curl_multi_remove_handle(multi_, easy_);
  InFlight r = std::move(*in_flight_);
  in_flight_.reset();
  curl_slist_free_all(r.headers);
  if (result == CURLE_OK && code >= 200 && code < 300) {
    progress.delivered.push_back(r.token);
    return;
  }
  std::string why = result != CURLE_OK
                        ? fmt::format("{}: {}", url_, curl_easy_strerror(result))
                        : fmt::format("{} answered HTTP {}{}{}", url_, code,
                                      r.answer.empty() ? "" : ": ", r.answer.substr(0, 200));
  progress.failed.emplace_back(r.token, absl::UnavailableError(why));
  // Not taken: back off before the next attempt, as for a lost connection.
  progress.connection_lost = true;
  connected_ = false;
}

}  // namespace pharos::cloud
