#include "broker/grpc/kuksa_val_v2/val_service.h"

#include <mutex>
#include <unordered_map>

#include "broker/grpc/kuksa_val_v2/conversions.h"
#include "broker/grpc/subscription_pump.h"
#include "common/fmt_absl.h"
#include "fmt/format.h"

namespace pharos::broker::kuksa_val_v2 {
namespace {

absl::StatusOr<const Signal*> Resolve(const AuthorizedBroker& broker, const v2::SignalID& id) {
  switch (id.signal_case()) {
    case v2::SignalID::kId:
      return broker.Find(id.id());
    case v2::SignalID::kPath:
      return broker.Find(id.path());
    case v2::SignalID::SIGNAL_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError("the signal_id names neither an id nor a path");
}

SubscribeOptions OptionsOf(uint32_t buffer_size, const v2::Filter& filter) {
  SubscribeOptions options;
  options.buffer_size = buffer_size;
  options.min_interval = std::chrono::milliseconds(filter.min_sample_interval().interval_ms());
  return options;
}

// The provider's side of OpenProviderStream, as the core sees it.
class StreamLink final : public ProviderLink {
 public:
  using Stream =
      grpc::ServerReaderWriter<v2::OpenProviderStreamResponse, v2::OpenProviderStreamRequest>;
  explicit StreamLink(Stream& stream) : stream_(stream) {}

  void SendActuation(const std::vector<std::pair<SignalId, Value>>& batch) override {
    v2::OpenProviderStreamResponse message;
    auto* request = message.mutable_batch_actuate_stream_request();
    for (const auto& [id, value] : batch) {
      auto* actuate = request->add_actuate_requests();
      actuate->mutable_signal_id()->set_id(id);
      ToWire(value, actuate->mutable_value());
    }
    Write(message);
  }

  bool Write(const v2::OpenProviderStreamResponse& message) {
    std::lock_guard lock(write_mu_);
    return stream_.Write(message);
  }

 private:
  Stream& stream_;
  std::mutex write_mu_;  // the core's actuations and the stream's own answers
};

}  // namespace

ValService::ValService(Broker& broker, const TokenAuthority& tokens, ServerInfo info)
    : broker_(broker), tokens_(tokens), info_(std::move(info)) {}

grpc::Status ValService::GetValue(grpc::ServerContext* ctx, const v2::GetValueRequest* req,
                                  v2::GetValueResponse* resp) {
  auto access = CallerAccess(*ctx, tokens_);
  if (!access.ok()) return ToGrpc(access.status());
  AuthorizedBroker broker = broker_.Authorized(*access);
  auto signal = Resolve(broker, req->signal_id());
  if (!signal.ok()) return ToGrpc(signal.status());
  auto datapoint = broker.Get(**signal);
  if (!datapoint.ok()) return ToGrpc(datapoint.status());
  ToWire(*datapoint, resp->mutable_data_point());
  return grpc::Status::OK;
}

grpc::Status ValService::GetValues(grpc::ServerContext* ctx, const v2::GetValuesRequest* req,
                                   v2::GetValuesResponse* resp) {
  auto access = CallerAccess(*ctx, tokens_);
  if (!access.ok()) return ToGrpc(access.status());
  if (req->signal_ids().empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no signal_ids given");
  }
  AuthorizedBroker broker = broker_.Authorized(*access);
  for (const v2::SignalID& id : req->signal_ids()) {
    auto signal = Resolve(broker, id);
    if (!signal.ok()) return ToGrpc(signal.status());
    auto datapoint = broker.Get(**signal);
    if (!datapoint.ok()) return ToGrpc(datapoint.status());
    ToWire(*datapoint, resp->add_data_points());
  }
  return grpc::Status::OK;
}

namespace {

// Subscribe and SubscribeById differ only in how a signal is named: by
// path or by id, in the request and in the answer's map.
template <typename Keys, typename Response>
grpc::Status SubscribeAndStream(grpc::ServerContext& ctx, AuthorizedBroker& broker,
                                const char* field, const Keys& keys, uint32_t buffer_size,
                                const v2::Filter& filter, grpc::ServerWriter<Response>* writer) {
  if (keys.empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, fmt::format("no {} given", field));
  }
  std::vector<const Signal*> signals;
  std::unordered_map<SignalId, typename Keys::value_type> key_of;
  for (const auto& key : keys) {
    auto signal = broker.Find(key);
    if (!signal.ok()) return ToGrpc(signal.status());
    signals.push_back(*signal);
    key_of[(*signal)->id] = key;
  }
  auto subscription = broker.Subscribe(signals, OptionsOf(buffer_size, filter));
  if (!subscription.ok()) return ToGrpc(subscription.status());
  Response message;
  return PumpSubscription(ctx, broker, *subscription,
                          std::chrono::milliseconds(filter.duration_ms()),
                          [&](const Update& update) {
                            message.Clear();
                            auto& entries = *message.mutable_entries();
                            for (const auto& [id, datapoint] : update.entries) {
                              ToWire(datapoint, &entries[key_of[id]]);
                            }
                            return writer->Write(message);
                          });
}

}  // namespace

grpc::Status ValService::Subscribe(grpc::ServerContext* ctx, const v2::SubscribeRequest* req,
                                   grpc::ServerWriter<v2::SubscribeResponse>* writer) {
  auto access = CallerAccess(*ctx, tokens_);
  if (!access.ok()) return ToGrpc(access.status());
  AuthorizedBroker broker = broker_.Authorized(*access);
  return SubscribeAndStream(*ctx, broker, "signal_paths", req->signal_paths(), req->buffer_size(),
                            req->filter(), writer);
}

grpc::Status ValService::SubscribeById(grpc::ServerContext* ctx,
                                       const v2::SubscribeByIdRequest* req,
                                       grpc::ServerWriter<v2::SubscribeByIdResponse>* writer) {
  auto access = CallerAccess(*ctx, tokens_);
  if (!access.ok()) return ToGrpc(access.status());
  AuthorizedBroker broker = broker_.Authorized(*access);
  return SubscribeAndStream(*ctx, broker, "signal_ids", req->signal_ids(), req->buffer_size(),
                            req->filter(), writer);
}

grpc::Status ValService::Actuate(grpc::ServerContext* ctx, const v2::ActuateRequest* req,
                                 v2::ActuateResponse*) {
  auto access = CallerAccess(*ctx, tokens_);
  if (!access.ok()) return ToGrpc(access.status());
  AuthorizedBroker broker = broker_.Authorized(*access);
  auto signal = Resolve(broker, req->signal_id());
  if (!signal.ok()) return ToGrpc(signal.status());
  return ToGrpc(broker.Actuate({{*signal, FromWire(req->value())}}));
}

grpc::Status ValService::ActuateStream(grpc::ServerContext* ctx,
                                       grpc::ServerReader<v2::ActuateRequest>* reader,
                                       v2::ActuateResponse*) {
  auto access = CallerAccess(*ctx, tokens_);
  if (!access.ok()) return ToGrpc(access.status());
  AuthorizedBroker broker = broker_.Authorized(*access);
  v2::ActuateRequest req;
  while (reader->Read(&req)) {
    auto signal = Resolve(broker, req.signal_id());
    if (!signal.ok()) return ToGrpc(signal.status());
    if (absl::Status s = broker.Actuate({{*signal, FromWire(req.value())}}); !s.ok()) {
      return ToGrpc(s);
    }
  }
  return grpc::Status::OK;
}

grpc::Status ValService::BatchActuate(grpc::ServerContext* ctx, const v2::BatchActuateRequest* req,
                                      v2::BatchActuateResponse*) {
  auto access = CallerAccess(*ctx, tokens_);
  if (!access.ok()) return ToGrpc(access.status());
  AuthorizedBroker broker = broker_.Authorized(*access);
  std::vector<std::pair<const Signal*, Value>> requests;
  for (const v2::ActuateRequest& r : req->actuate_requests()) {
    auto signal = Resolve(broker, r.signal_id());
    if (!signal.ok()) return ToGrpc(signal.status());
    requests.emplace_back(*signal, FromWire(r.value()));
  }
  return ToGrpc(broker.Actuate(requests));
}

grpc::Status ValService::ListMetadata(grpc::ServerContext* ctx, const v2::ListMetadataRequest* req,
                                      v2::ListMetadataResponse* resp) {
  auto access = CallerAccess(*ctx, tokens_);
  if (!access.ok()) return ToGrpc(access.status());
  AuthorizedBroker broker = broker_.Authorized(*access);
  auto signals = broker.List(req->root().empty() ? "**" : req->root());
  if (!signals.ok()) return ToGrpc(signals.status());
  for (const Signal* signal : *signals) ToWire(*signal, resp->add_metadata());
  return grpc::Status::OK;
}

grpc::Status ValService::PublishValue(grpc::ServerContext* ctx, const v2::PublishValueRequest* req,
                                      v2::PublishValueResponse*) {
  auto access = CallerAccess(*ctx, tokens_);
  if (!access.ok()) return ToGrpc(access.status());
  AuthorizedBroker broker = broker_.Authorized(*access);
  auto signal = Resolve(broker, req->signal_id());
  if (!signal.ok()) return ToGrpc(signal.status());
  return ToGrpc(broker.Publish({{*signal, FromWire(req->data_point())}}));
}

grpc::Status ValService::OpenProviderStream(
    grpc::ServerContext* ctx,
    grpc::ServerReaderWriter<v2::OpenProviderStreamResponse, v2::OpenProviderStreamRequest>*
        stream) {
  auto access = CallerAccess(*ctx, tokens_);
  if (!access.ok()) return ToGrpc(access.status());
  AuthorizedBroker broker = broker_.Authorized(*access);
  StreamLink link(*stream);
  // Declared after the link: released (claims dropped, waiters failed)
  // before the link goes away.
  std::unique_ptr<Provider> provider = broker.OpenProvider(link);
  v2::OpenProviderStreamRequest req;
  v2::OpenProviderStreamResponse answer;
  std::vector<std::pair<SignalId, Datapoint>> datapoints;
  while (stream->Read(&req)) {
    answer.Clear();
    switch (req.action_case()) {
      case v2::OpenProviderStreamRequest::kProvideActuationRequest: {
        std::vector<const Signal*> signals;
        for (const v2::SignalID& id : req.provide_actuation_request().actuator_identifiers()) {
          auto signal = Resolve(broker, id);
          if (!signal.ok()) return ToGrpc(signal.status());
          signals.push_back(*signal);
        }
        if (absl::Status s = provider->ClaimActuators(signals); !s.ok()) return ToGrpc(s);
        answer.mutable_provide_actuation_response();
        if (!link.Write(answer)) return grpc::Status::OK;
        break;
      }
      case v2::OpenProviderStreamRequest::kProvideSignalRequest: {
        std::vector<const Signal*> signals;
        for (const auto& [id, interval] : req.provide_signal_request().signals_sample_intervals()) {
          auto signal = broker.Find(id);
          if (!signal.ok()) return ToGrpc(signal.status());
          signals.push_back(*signal);
        }
        if (absl::Status s = provider->ClaimSignals(signals); !s.ok()) return ToGrpc(s);
        answer.mutable_provide_signal_response();
        if (!link.Write(answer)) return grpc::Status::OK;
        break;
      }
      case v2::OpenProviderStreamRequest::kPublishValuesRequest: {
        const v2::PublishValuesRequest& publish = req.publish_values_request();
        datapoints.clear();
        for (const auto& [id, datapoint] : publish.data_points()) {
          datapoints.emplace_back(id, FromWire(datapoint));
        }
        auto refused = provider->Publish(datapoints);
        if (!refused.ok()) return ToGrpc(refused.status());
        if (refused->empty()) break;  // nothing is sent on success
        auto* response = answer.mutable_publish_values_response();
        response->set_request_id(publish.request_id());
        for (const auto& [id, status] : *refused)
          ToWire(status, &(*response->mutable_status())[id]);
        if (!link.Write(answer)) return grpc::Status::OK;
        break;
      }
      case v2::OpenProviderStreamRequest::kBatchActuateStreamResponse: {
        const auto& ack = req.batch_actuate_stream_response();
        auto signal = Resolve(broker, ack.signal_id());
        if (!signal.ok()) break;  // an answer about nothing we asked
        absl::Status result;
        if (ack.has_error() && ack.error().code() != v2::ERROR_CODE_OK &&
            ack.error().code() != v2::ERROR_CODE_UNSPECIFIED) {
          result = absl::Status(ack.error().code() == v2::ERROR_CODE_NOT_FOUND
                                    ? absl::StatusCode::kNotFound
                                : ack.error().code() == v2::ERROR_CODE_PERMISSION_DENIED
                                    ? absl::StatusCode::kPermissionDenied
                                    : absl::StatusCode::kInvalidArgument,
                                fmt::format("the provider refused the actuation of {}: {}",
                                            (*signal)->spec.path, ack.error().message()));
        }
        provider->Acknowledge((*signal)->id, result);
        break;
      }
      case v2::OpenProviderStreamRequest::kUpdateFilterResponse:
      case v2::OpenProviderStreamRequest::kGetProviderValueResponse:
        break;  // answers to requests this broker does not send
      case v2::OpenProviderStreamRequest::kProviderErrorIndication:
        break;  // KUKSA only logs it; the provider keeps its claims
      case v2::OpenProviderStreamRequest::ACTION_NOT_SET:
        return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                            "an OpenProviderStreamRequest without an action");
    }
  }
  return grpc::Status::OK;
}

grpc::Status ValService::GetServerInfo(grpc::ServerContext* ctx, const v2::GetServerInfoRequest*,
                                       v2::GetServerInfoResponse* resp) {
  auto access = CallerAccess(*ctx, tokens_);
  if (!access.ok()) return ToGrpc(access.status());
  resp->set_name(info_.name);
  resp->set_version(info_.version);
  resp->set_commit_hash(info_.commit_hash);
  return grpc::Status::OK;
}

}  // namespace pharos::broker::kuksa_val_v2
