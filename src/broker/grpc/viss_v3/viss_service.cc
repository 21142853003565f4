#include "broker/grpc/viss_v3/viss_service.h"

#include <boost/asio/post.hpp>
#include <condition_variable>
#include <deque>
#include <future>
#include <random>

#include "broker/grpc/viss_v3/conversions.h"
#include "broker/viss/viss_values.h"
#include "common/fmt_absl.h"
#include "fmt/format.h"

namespace pharos::broker::viss_v3 {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

// The call's "authorization: Bearer <token>", for messages without Authorization.
std::optional<std::string> TokenOf(const grpc::ServerContext& ctx) {
  auto it = ctx.client_metadata().find("authorization");
  if (it == ctx.client_metadata().end()) return std::nullopt;
  std::string value(it->second.data(), it->second.size());
  if (value.rfind("Bearer ", 0) == 0) value.erase(0, 7);
  return value;
}

// Subscription ids name a stream to UnsubscribeRequest, which any caller
// may send: not guessable, so one client cannot end another's.
std::string NewSubscriptionId() {
  static std::mutex mu;
  static std::mt19937_64 random{std::random_device{}()};
  std::lock_guard lock(mu);
  return fmt::format("{:016x}", random());
}

}  // namespace

// One SubscribeRequest call: its channel and the messages the channel sent.
struct VissService::Stream {
  std::shared_ptr<viss::VissChannel> channel;
  std::string local_id;  // the channel's own subscription id
  std::mutex mu;
  std::condition_variable cv;
  std::deque<json> queue;  // guarded by mu
  bool ended = false;      // guarded by mu

  void Push(json m) {
    std::lock_guard lock(mu);
    queue.push_back(std::move(m));
    cv.notify_one();
  }
  void End() {
    std::lock_guard lock(mu);
    ended = true;
    cv.notify_one();
  }
};

VissService::VissService(Broker& broker, const TokenAuthority& tokens, const Clock& clock,
                         viss::ChannelOptions channel)
    : broker_(broker), tokens_(tokens), clock_(clock), channel_options_(channel) {
  io_ = std::thread([this] { ioc_.run(); });
}

VissService::~VissService() {
  std::map<std::string, std::shared_ptr<Stream>> streams;
  {
    std::lock_guard lock(mu_);
    streams.swap(streams_);
  }
  for (auto& [id, stream] : streams) {
    stream->End();
    boost::asio::post(stream->channel->strand(), [c = stream->channel] { c->Close(); });
  }
  actuations_.join();
  work_.reset();
  io_.join();
}

std::shared_ptr<viss::VissChannel> VissService::NewChannel(std::function<void(std::string)> send) {
  viss::ChannelOptions options = channel_options_;
  options.keep_tokens = false;  // a call stands alone
  options.dialect = &viss::V2Dialect();
  return std::make_shared<viss::VissChannel>(broker_, tokens_, clock_,
                                             boost::asio::make_strand(ioc_), std::move(send),
                                             options, &actuations_);
}

json VissService::Execute(const std::shared_ptr<viss::VissChannel>& channel,
                          const viss::VissRequest& r) {
  auto answer = std::make_shared<std::promise<json>>();
  std::future<json> got = answer->get_future();
  boost::asio::post(channel->strand(), [channel, r, answer] {
    channel->Execute(r, [answer](json a) { answer->set_value(std::move(a)); });
  });
  if (got.wait_for(30s) != std::future_status::ready) {
    return {{"error",
             {{"number", 503},
              {"reason", "service_unavailable"},
              {"message", "the request was not answered in 30 s"}}}};
  }
  return got.get();
}

grpc::Status VissService::GetRequest(grpc::ServerContext* ctx, const pb::GetRequestMessage* req,
                                     pb::GetResponseMessage* resp) {
  resp->set_requestid(req->requestid());
  resp->set_ts(viss::VissTimestamp(clock_.Now()));
  auto request = GetRequestOf(*req, TokenOf(*ctx));
  if (auto* e = std::get_if<viss::VissError>(&request)) {
    resp->set_status(pb::ERROR);
    SetError(*e, resp->mutable_errorresponse());
    return grpc::Status::OK;
  }
  json answer = Execute(NewChannel([](std::string) {}), std::get<viss::VissRequest>(request));
  if (answer.contains("error")) {
    resp->set_status(pb::ERROR);
    SetError(answer["error"], resp->mutable_errorresponse());
  } else if (answer.contains("metadata")) {
    resp->set_status(pb::SUCCESS);
    resp->mutable_successresponse()->set_metadata(answer["metadata"].dump());
  } else {
    resp->set_status(pb::SUCCESS);
    SetData(answer["data"], resp->mutable_successresponse()->mutable_datapack());
  }
  return grpc::Status::OK;
}

grpc::Status VissService::SetRequest(grpc::ServerContext* ctx, const pb::SetRequestMessage* req,
                                     pb::SetResponseMessage* resp) {
  resp->set_requestid(req->requestid());
  auto request = SetRequestOf(*req, TokenOf(*ctx));
  json answer;
  if (auto* e = std::get_if<viss::VissError>(&request)) {
    answer = {{"error", e->ToJson()}};
  } else {
    answer = Execute(NewChannel([](std::string) {}), std::get<viss::VissRequest>(request));
  }
  resp->set_ts(viss::VissTimestamp(clock_.Now()));
  resp->set_status(answer.contains("error") ? pb::ERROR : pb::SUCCESS);
  if (answer.contains("error")) SetError(answer["error"], resp->mutable_errorresponse());
  return grpc::Status::OK;
}

grpc::Status VissService::SubscribeRequest(grpc::ServerContext* ctx,
                                           const pb::SubscribeRequestMessage* req,
                                           grpc::ServerWriter<pb::SubscribeStreamMessage>* writer) {
  auto refuse = [&](const json& error) {
    pb::SubscribeStreamMessage m;
    m.set_mtype(pb::RESPONSE);
    m.set_status(pb::ERROR);
    auto* r = m.mutable_response();
    SetError(error, r->mutable_errorresponse());
    r->set_requestid(req->requestid());
    r->set_ts(viss::VissTimestamp(clock_.Now()));
    writer->Write(m);
    return grpc::Status::OK;
  };
  auto request = SubscribeRequestOf(*req, TokenOf(*ctx));
  if (auto* e = std::get_if<viss::VissError>(&request)) {
    return refuse(e->ToJson());
  }
  auto stream = std::make_shared<Stream>();
  std::weak_ptr<Stream> weak = stream;
  stream->channel = NewChannel([weak](std::string text) {
    if (auto s = weak.lock()) s->Push(json::parse(text, nullptr, /*allow_exceptions=*/false));
  });
  json answer = Execute(stream->channel, std::get<viss::VissRequest>(request));
  if (answer.contains("error")) return refuse(answer["error"]);
  stream->local_id = answer.value("subscriptionId", "");
  std::string id = NewSubscriptionId();
  {
    std::lock_guard lock(mu_);
    streams_[id] = stream;
  }
  pb::SubscribeStreamMessage first;
  first.set_mtype(pb::RESPONSE);
  first.set_status(pb::SUCCESS);
  first.mutable_response()->set_subscriptionid(id);
  first.mutable_response()->set_requestid(req->requestid());
  first.mutable_response()->set_ts(answer.value("ts", ""));
  bool open = writer->Write(first);
  while (open && !ctx->IsCancelled()) {
    std::unique_lock lock(stream->mu);
    stream->cv.wait_for(lock, 200ms, [&] { return !stream->queue.empty() || stream->ended; });
    if (stream->queue.empty()) {
      if (stream->ended) break;
      continue;
    }
    json m = std::move(stream->queue.front());
    stream->queue.pop_front();
    lock.unlock();
    if (!m.is_object() || m.value("action", "") != "subscription") continue;
    pb::SubscribeStreamMessage event;
    event.set_mtype(pb::EVENT);
    auto* e = event.mutable_event();
    e->set_subscriptionid(id);
    e->set_ts(m.value("ts", ""));
    if (m.contains("error")) {  // the subscription ended (its token expired)
      event.set_status(pb::ERROR);
      SetError(m["error"], e->mutable_errorresponse());
      writer->Write(event);
      break;
    }
    event.set_status(pb::SUCCESS);
    SetData(m["data"], e->mutable_successresponse()->mutable_datapack());
    open = writer->Write(event);
  }
  {
    std::lock_guard lock(mu_);
    streams_.erase(id);
  }
  boost::asio::post(stream->channel->strand(), [c = stream->channel] { c->Close(); });
  return grpc::Status::OK;
}

grpc::Status VissService::UnsubscribeRequest(grpc::ServerContext*,
                                             const pb::UnsubscribeRequestMessage* req,
                                             pb::UnsubscribeResponseMessage* resp) {
  resp->set_requestid(req->requestid());
  resp->set_ts(viss::VissTimestamp(clock_.Now()));
  std::shared_ptr<Stream> stream;
  {
    std::lock_guard lock(mu_);
    auto it = streams_.find(req->subscriptionid());
    if (it != streams_.end()) {
      stream = it->second;
      streams_.erase(it);
    }
  }
  if (!stream) {
    resp->set_status(pb::ERROR);
    SetError(viss::VissError::Unavailable(
                 fmt::format("no subscription {}", viss::Quoted(req->subscriptionid()))),
             resp->mutable_errorresponse());
    return grpc::Status::OK;
  }
  viss::VissRequest r;
  r.action = viss::VissAction::kUnsubscribe;
  r.subscription_id = stream->local_id;
  r.request_id = req->requestid();
  Execute(stream->channel, r);
  stream->End();  // the SubscribeRequest call finishes
  resp->set_status(pb::SUCCESS);
  return grpc::Status::OK;
}

}  // namespace pharos::broker::viss_v3
