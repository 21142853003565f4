// One VISS client channel (a WebSocket connection; later an MQTT client
// topic): executes its requests against the broker and keeps its
// subscriptions. It knows the VISS v2 message layer, not the transport: the
// transport hands it each payload on the channel's strand and gives it a
// `send` that queues a message for the client.
//
// Subscriptions do not hold a thread: change-driven ones are drained on
// the strand when the broker pushes (Subscription::SetReadyHandler),
// timebased ones sample on a timer of the strand.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "broker/auth/token_authority.h"
#include "broker/core/broker.h"
#include "broker/viss/dialect.h"
#include "broker/viss/viss_request.h"
#include "nlohmann/json.hpp"

namespace pharos::broker::viss {

struct ChannelOptions {
  const Dialect* dialect = nullptr;  // what Handle reads and every message is rendered in; null: v2
  size_t max_subscriptions = 100;    // per channel
  bool secure = false;             // served over TLS (what server_capabilities reports)
  // The channel keeps the tokens it is given and acts with their union
  // (a WebSocket connection; not HTTP, whose requests stand alone, nor
  // MQTT, whose client topic anyone may publish to).
  bool keep_tokens = false;
  size_t max_tokens = 16;  // kept per channel; beyond, the one expiring first is dropped
};

class VissChannel : public std::enable_shared_from_this<VissChannel> {
 public:
  using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;
  // `send` is called on the strand only.
  // `actuations`: where a set waits for its provider (null: on the strand,
  // which then holds every other request of the channel's I/O thread).
  VissChannel(Broker& broker, const TokenAuthority& tokens, const Clock& clock, Strand strand,
              std::function<void(std::string)> send, ChannelOptions limits = {},
              boost::asio::thread_pool* actuations = nullptr);
  ~VissChannel();

  // On the strand: one request payload in the channel's dialect; its
  // response (and, for subscribe, later its events) go to `send`.
  void Handle(std::string_view payload);
  // On the strand: one parsed request; `done` gets its answer on the strand,
  // WebSocket-shaped (the HTTP transport reshapes it, viss_http.h). A set
  // may answer after requests that came later.
  void Execute(const VissRequest& request, std::function<void(nlohmann::json)> done);
  // On the strand: ends every subscription (the transport closed).
  void Close();
  size_t subscription_count() const { return subscriptions_.size(); }
  const Strand& strand() const { return strand_; }

 private:
  struct Sub;
  using Json = nlohmann::json;

  // The caller's Access: the request's tokens, with those the channel
  // keeps; neither: the public access. An error is the VISS error to answer.
  std::variant<std::shared_ptr<const Access>, VissError> AccessFor(const VissRequest& r);
  // The union of the kept tokens that have not expired (those that have
  // are dropped); nullopt when none is left.
  std::optional<Access> KeptAccess();
  // A subscription's authority expired: it goes on if what the channel
  // holds now (kept tokens, public access) still reads all its signals,
  // else it ends with an expired_token event.
  void Reauthorize(const std::string& id);
  void ArmExpiry(Sub& sub, const Access& access);
  // The leaves a get or subscribe addresses (its path, or the paths filter
  // under it), each once.
  std::variant<std::vector<const Signal*>, VissError> Targets(AuthorizedBroker& b,
                                                              const VissRequest& r) const;
  Json Get(const VissRequest& r, const Access& access);
  Json Set(const VissRequest& r, const Access& access);
  Json History(const VissRequest& r, AuthorizedBroker& b, std::chrono::milliseconds period);
  Json Subscribe(const VissRequest& r, std::shared_ptr<const Access> access);
  Json Unsubscribe(const VissRequest& r);

  void Drain(const std::string& id);
  void DrainUnfiltered(Sub& sub, AuthorizedBroker& b);
  void Sample(const std::string& id);
  void SendEvent(const Sub& sub, Json data);
  // A v2-shaped message to the client, in the channel's dialect.
  void Emit(Json message);
  void End(Sub& sub);
  Json ErrorResponse(std::string_view action, const std::string& request_id,
                     const VissError& e) const;
  std::string Now() const;

  Broker& broker_;
  const TokenAuthority& tokens_;
  const Clock& clock_;
  Strand strand_;
  std::function<void(std::string)> send_;
  const ChannelOptions limits_;
  const Dialect& dialect_;
  boost::asio::thread_pool* actuations_;
  std::map<std::string, std::unique_ptr<Sub>> subscriptions_;
  std::map<std::string, Access> kept_tokens_;  // keep_tokens: token → its access
  uint64_t next_subscription_ = 1;
};

}  // namespace pharos::broker::viss
