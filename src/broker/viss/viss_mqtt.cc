#include "broker/viss/viss_mqtt.h"

#include <mosquitto.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <cstring>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include "broker/viss/viss_values.h"
#include "common/fmt_absl.h"
#include "common/loopback.h"
#include "fmt/format.h"
#include "spdlog/spdlog.h"

namespace pharos::broker::viss {
namespace {

namespace net = boost::asio;
using Json = nlohmann::json;

struct Url {
  bool tls = false;
  std::string host;
  int port = 0;
};

std::optional<Url> ParseUrl(std::string_view url) {
  Url u;
  if (url.rfind("mqtt://", 0) == 0) {
    url.remove_prefix(7);
    u.port = 1883;
  } else if (url.rfind("mqtts://", 0) == 0) {
    url.remove_prefix(8);
    u.tls = true;
    u.port = 8883;
  } else {
    return std::nullopt;
  }
  if (!url.empty() && url.back() == '/') url.remove_suffix(1);
  size_t colon = url.rfind(':');
  if (colon != std::string_view::npos && url.find(']') == std::string_view::npos) {
    std::string port(url.substr(colon + 1));
    char* end = nullptr;
    long p = std::strtol(port.c_str(), &end, 10);
    if (port.empty() || *end != '\0' || p < 1 || p > 65535) return std::nullopt;
    u.port = static_cast<int>(p);
    url = url.substr(0, colon);
  }
  if (url.empty() || url.find('/') != std::string_view::npos) return std::nullopt;
  u.host = std::string(url);
  return u;
}

// A topic the bridge may publish answers to: not empty, no wildcards, not
// a system topic, not the request topic itself (that would loop).
std::optional<std::string> BadClientTopic(const std::string& topic, const std::string& requests) {
  if (topic.empty()) return "\"topic\" is empty";
  if (topic.size() > 1024) return "\"topic\" is longer than 1024 bytes";
  if (topic.find_first_of("+#") != std::string::npos) return "\"topic\" has a wildcard";
  if (topic[0] == '$') return "\"topic\" is a system topic";
  if (topic == requests) return "\"topic\" is the vehicle's request topic";
  if (topic.find('\0') != std::string::npos) return "\"topic\" has a NUL byte";
  return std::nullopt;
}

std::once_flag library;

}  // namespace

absl::Status VissMqttOptions::Validate() const {
  std::optional<Url> url = ParseUrl(broker_url);
  if (!url) {
    return absl::InvalidArgumentError(fmt::format(
        "--viss-mqtt-broker {}: expected mqtt://host[:port] or mqtts://host[:port]", broker_url));
  }
  if (!url->tls && !IsLoopbackHost(url->host) && !allow_plaintext) {
    return absl::InvalidArgumentError(
        fmt::format("--viss-mqtt-broker {}: plain MQTT to an address that is not loopback; use "
                    "mqtts:// or allow it with --viss-allow-plaintext",
                    broker_url));
  }
  if (vehicle_id.empty() || vehicle_id.find_first_of("+#/") != std::string::npos) {
    return absl::InvalidArgumentError(
        "--viss-mqtt-vehicle-id must be a non-empty topic level (no +, #, /)");
  }
  if (cert_file.empty() != key_file.empty()) {
    return absl::InvalidArgumentError("--viss-mqtt-cert and --viss-mqtt-key go together");
  }
  if (!url->tls && (!ca_file.empty() || !cert_file.empty())) {
    return absl::InvalidArgumentError("--viss-mqtt-ca/-cert/-key need an mqtts:// broker");
  }
  if (qos < 0 || qos > 2) return absl::InvalidArgumentError("the MQTT QoS is 0, 1 or 2");
  return absl::OkStatus();
}

struct VissMqttBridge::State {
  State(Broker& b, const TokenAuthority& t, const Clock& c, VissMqttOptions o)
      : broker(b), tokens(t), clock(c), options(std::move(o)) {}

  // One client topic: its channel, on a strand of the bridge's thread.
  struct Client {
    std::shared_ptr<VissChannel> channel;
    int pending = 0;  // requests posted, not yet handled; guarded by State::mu
  };

  Broker& broker;
  const TokenAuthority& tokens;
  const Clock& clock;
  const VissMqttOptions options;
  std::string request_topic;
  mosquitto* mosq = nullptr;
  net::io_context ioc;
  net::executor_work_guard<net::io_context::executor_type> work{ioc.get_executor()};
  std::thread io;
  net::thread_pool actuations{2};  // where a set waits for its provider, off the I/O thread
  std::atomic<bool> connected = false;
  std::mutex mu;
  std::map<std::string, std::shared_ptr<Client>> clients;  // guarded by mu

  void Publish(const std::string& topic, const std::string& payload) {
    int rc = mosquitto_publish(mosq, nullptr, topic.c_str(), static_cast<int>(payload.size()),
                               payload.data(), options.qos, false);
    if (rc != MOSQ_ERR_SUCCESS) {
      spdlog::warn("VISS over MQTT: cannot publish to {}: {}", topic, mosquitto_strerror(rc));
    }
  }

  // An answer to no request in particular (the envelope was wrong).
  void PublishError(const std::string& topic, const VissError& e) {
    Json error = {{"error", e.ToJson()}, {"ts", VissTimestamp(clock.Now())}};
    Publish(topic, VissText(error));
  }

  void OnMessage(const mosquitto_message& m) {
    std::string_view payload(static_cast<const char*>(m.payload),
                             static_cast<size_t>(m.payloadlen));
    Json envelope = Json::parse(payload, nullptr, /*allow_exceptions=*/false);
    if (!envelope.is_object() || !envelope.contains("topic") || !envelope["topic"].is_string()) {
      // Nowhere to answer: the message cannot say where its client listens.
      spdlog::warn("VISS over MQTT: a message on {} without a \"topic\" to answer on, dropped",
                   request_topic);
      return;
    }
    std::string topic = envelope["topic"].get<std::string>();
    if (std::optional<std::string> bad = BadClientTopic(topic, request_topic)) {
      spdlog::warn("VISS over MQTT: {}, the message is dropped", *bad);
      return;
    }
    std::string request;
    if (envelope.contains("request") && envelope["request"].is_string()) {
      request = envelope["request"].get<std::string>();
    } else if (envelope.contains("request") && envelope["request"].is_object()) {
      request = envelope["request"].dump();  // some clients send the object itself
    } else {
      PublishError(topic, VissError::BadRequest("the message needs \"request\": a VISS request"));
      return;
    }
    std::shared_ptr<Client> client;
    {
      std::lock_guard lock(mu);
      auto it = clients.find(topic);
      if (it != clients.end()) {
        client = it->second;
      } else if (clients.size() >= options.max_clients) {
        PublishError(topic, {503, "service_unavailable",
                             fmt::format("{} client topics have subscriptions, the most this "
                                         "vehicle serves over MQTT",
                                         clients.size())});
        return;
      } else {
        client = std::make_shared<Client>();
        ChannelOptions channel = options.channel;
        channel.keep_tokens = false;  // anyone may publish with any client topic
        channel.dialect = &V2Dialect();
        client->channel = std::make_shared<VissChannel>(
            broker, tokens, clock, net::make_strand(ioc),
            [this, topic](std::string message) { Publish(topic, message); }, channel, &actuations);
        clients.emplace(topic, client);
      }
      ++client->pending;
    }
    // The channel's strand is the executor its timers were made on.
    net::post(client->channel->strand(), [this, client, topic, request = std::move(request)] {
      client->channel->Handle(request);
      // A client topic without subscriptions keeps no state (MQTT channels
      // keep no tokens): forget it, so the map holds only live ones; not
      // while a later request of it waits on the strand (it may subscribe).
      std::lock_guard lock(mu);
      if (--client->pending == 0 && client->channel->subscription_count() == 0) {
        auto it = clients.find(topic);
        if (it != clients.end() && it->second == client) clients.erase(it);
      }
    });
  }
};

absl::StatusOr<std::unique_ptr<VissMqttBridge>> VissMqttBridge::Start(
    Broker& broker, const TokenAuthority& tokens, const Clock& clock,
    const VissMqttOptions& options) {
  if (absl::Status s = options.Validate(); !s.ok()) return s;
  std::call_once(library, [] { mosquitto_lib_init(); });
  Url url = *ParseUrl(options.broker_url);
  auto state = std::make_unique<State>(broker, tokens, clock, options);
  state->request_topic = options.vehicle_id + "/Vehicle";
  std::string client_id =
      options.client_id.empty() ? "pharos-broker-" + options.vehicle_id : options.client_id;
  state->mosq = mosquitto_new(client_id.c_str(), /*clean_session=*/true, state.get());
  if (!state->mosq) return absl::InternalError("VISS over MQTT: mosquitto_new failed");
  mosquitto_int_option(state->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
  if (url.tls) {
    int rc =
        mosquitto_tls_set(state->mosq, options.ca_file.empty() ? nullptr : options.ca_file.c_str(),
                          options.ca_file.empty() ? "/etc/ssl/certs" : nullptr,
                          options.cert_file.empty() ? nullptr : options.cert_file.c_str(),
                          options.key_file.empty() ? nullptr : options.key_file.c_str(), nullptr);
    if (rc == MOSQ_ERR_SUCCESS) rc = mosquitto_tls_opts_set(state->mosq, 1, "tlsv1.2", nullptr);
    if (rc != MOSQ_ERR_SUCCESS) {
      mosquitto_destroy(state->mosq);
      return absl::InvalidArgumentError(
          fmt::format("VISS over MQTT: TLS settings: {}", mosquitto_strerror(rc)));
    }
  }
  mosquitto_connect_callback_set(state->mosq, [](mosquitto* m, void* obj, int rc) {
    auto* s = static_cast<State*>(obj);
    if (rc != 0) {
      spdlog::warn("VISS over MQTT: the broker refused the connection: {}",
                   mosquitto_connack_string(rc));
      return;
    }
    mosquitto_subscribe(m, nullptr, s->request_topic.c_str(), 1);
    s->connected = true;
    spdlog::info("VISS over MQTT: connected to {}, requests on {}", s->options.broker_url,
                 s->request_topic);
  });
  mosquitto_disconnect_callback_set(state->mosq, [](mosquitto*, void* obj, int rc) {
    auto* s = static_cast<State*>(obj);
    if (s->connected.exchange(false) && rc != 0) {
      spdlog::warn("VISS over MQTT: lost {}; reconnecting", s->options.broker_url);
    }
  });
  mosquitto_message_callback_set(state->mosq,
                                 [](mosquitto*, void* obj, const mosquitto_message* m) {
                                   static_cast<State*>(obj)->OnMessage(*m);
                                 });
  mosquitto_reconnect_delay_set(state->mosq, 1, 30, true);
  int rc = mosquitto_connect_async(state->mosq, url.host.c_str(), url.port, 30);
  if (rc != MOSQ_ERR_SUCCESS) {  // the loop retries; the other front ends serve meanwhile
    spdlog::warn("VISS over MQTT: {} not reachable yet ({}); retrying", options.broker_url,
                 rc == MOSQ_ERR_ERRNO ? std::strerror(errno) : mosquitto_strerror(rc));
  }
  rc = mosquitto_loop_start(state->mosq);
  if (rc != MOSQ_ERR_SUCCESS) {
    mosquitto_destroy(state->mosq);
    return absl::InternalError(
        fmt::format("VISS over MQTT: cannot start its loop: {}", mosquitto_strerror(rc)));
  }
  state->io = std::thread([s = state.get()] { s->ioc.run(); });
  return std::unique_ptr<VissMqttBridge>(new VissMqttBridge(std::move(state)));
}

VissMqttBridge::VissMqttBridge(std::unique_ptr<State> state) : state_(std::move(state)) {}

VissMqttBridge::~VissMqttBridge() {
  mosquitto_disconnect(state_->mosq);
  mosquitto_loop_stop(state_->mosq, /*force=*/false);  // no more messages from here on
  std::map<std::string, std::shared_ptr<State::Client>> clients;
  {
    std::lock_guard lock(state_->mu);
    clients.swap(state_->clients);
  }
  std::vector<std::future<void>> closed;
  for (auto& [topic, client] : clients) {
    auto done = std::make_shared<std::promise<void>>();
    closed.push_back(done->get_future());
    net::post(client->channel->strand(), [client, done] {
      client->channel->Close();
      done->set_value();
    });
  }
  for (auto& f : closed) f.wait();
  state_->actuations.join();  // a set still waiting answers (into the void) first
  state_->work.reset();
  state_->ioc.stop();
  state_->io.join();
  mosquitto_destroy(state_->mosq);
}

const std::string& VissMqttBridge::request_topic() const { return state_->request_topic; }
bool VissMqttBridge::connected() const { return state_->connected.load(); }

}  // namespace pharos::broker::viss
