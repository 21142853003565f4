#include "broker/grpc/sdv_databroker_v1/broker_service.h"

#include <unordered_map>

#include "broker/grpc/sdv_databroker_v1/conversions.h"
#include "broker/grpc/subscription_pump.h"
#include "broker/query/query.h"
#include "common/fmt_absl.h"
#include "fmt/format.h"

namespace pharos::broker::sdv_databroker_v1 {
namespace {

// Applies what can be applied, one batch, and reports the rest per key:
// this API's writes are permissive (SetDatapoints, UpdateDatapoints).
template <typename Key>
std::map<Key, absl::Status> PublishPermissive(
    AuthorizedBroker& broker,
    const std::vector<std::pair<Key, absl::StatusOr<const Signal*>>>& targets,
    const std::vector<Datapoint>& datapoints) {
  std::map<Key, absl::Status> refused;
  std::vector<std::pair<const Signal*, Datapoint>> batch;
  for (size_t i = 0; i < targets.size(); ++i) {
    const auto& [key, signal] = targets[i];
    if (!signal.ok()) {
      refused[key] = signal.status();
      continue;
    }
    if (absl::Status s = broker.CheckPublish(**signal, datapoints[i].value); !s.ok()) {
      refused[key] = s;
      continue;
    }
    batch.emplace_back(*signal, datapoints[i]);
  }
  if (!batch.empty()) {
    if (absl::Status s = broker.Publish(batch); !s.ok()) {
      for (const auto& [key, signal] : targets) {
        if (!refused.count(key)) refused[key] = s;
      }
    }
  }
  return refused;
}

}  // namespace

grpc::Status BrokerService::GetDatapoints(grpc::ServerContext* ctx,
                                          const sdv::GetDatapointsRequest* req,
                                          sdv::GetDatapointsReply* resp) {
  auto access = CallerAccess(*ctx, tokens_);
  if (!access.ok()) return ToGrpc(access.status());
  AuthorizedBroker broker = broker_.Authorized(*access);
  auto& out = *resp->mutable_datapoints();
  for (const std::string& name : req->datapoints()) {
    auto signal = broker.Find(name);
    if (!signal.ok()) {
      FailureToWire(FailureOf(signal.status()), &out[name]);
      continue;
    }
    auto datapoint = broker.Get(**signal);
    if (!datapoint.ok()) {
      FailureToWire(FailureOf(datapoint.status()), &out[name]);
      continue;
    }
    ToWire(*datapoint, &out[name]);
  }
  return grpc::Status::OK;
}

grpc::Status BrokerService::SetDatapoints(grpc::ServerContext* ctx,
                                          const sdv::SetDatapointsRequest* req,
                                          sdv::SetDatapointsReply* resp) {
  auto access = CallerAccess(*ctx, tokens_);
  if (!access.ok()) return ToGrpc(access.status());
  AuthorizedBroker broker = broker_.Authorized(*access);
  std::vector<std::pair<std::string, absl::StatusOr<const Signal*>>> targets;
  std::vector<Datapoint> datapoints;
  for (const auto& [name, datapoint] : req->datapoints()) {
    targets.emplace_back(name, broker.Find(name));
    datapoints.push_back(DatapointFromWire(datapoint));
  }
  for (const auto& [name, status] : PublishPermissive(broker, targets, datapoints)) {
    (*resp->mutable_errors())[name] = ErrorOf(status);
  }
  return grpc::Status::OK;
}

grpc::Status BrokerService::Subscribe(grpc::ServerContext* ctx, const sdv::SubscribeRequest* req,
                                      grpc::ServerWriter<sdv::SubscribeReply>* writer) {
  auto access = CallerAccess(*ctx, tokens_);
  if (!access.ok()) return ToGrpc(access.status());
  AuthorizedBroker broker = broker_.Authorized(*access);
  auto query = query::Query::Parse(req->query());
  if (!query.ok()) return ToGrpc(query.status());
  std::vector<const Signal*> signals;
  std::unordered_map<SignalId, std::string> path_of;
  for (const std::string& path : query->paths()) {
    auto signal = broker.Find(path);
    if (!signal.ok()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          fmt::format("the query reads {}: {}", path, signal.status().message()));
    }
    signals.push_back(*signal);
    path_of[(*signal)->id] = path;
  }
  auto subscription = broker.Subscribe(signals, {.buffer_size = kMaxBufferSize});
  if (!subscription.ok()) return ToGrpc(subscription.status());

  // The latest datapoint of every signal the query reads: a change of one
  // is evaluated together with the others' current values.
  std::unordered_map<std::string, Datapoint> latest;
  auto lookup = [&](std::string_view path) -> Value {
    auto it = latest.find(std::string(path));
    return it == latest.end() ? Value() : it->second.value;
  };
  sdv::SubscribeReply reply;
  return PumpSubscription(*ctx, broker, *subscription, std::chrono::milliseconds(0),
                          [&](const Update& update) {
                            Timestamp newest{};
                            for (const auto& [id, datapoint] : update.entries) {
                              latest[path_of[id]] = datapoint;
                              newest = std::max(newest, datapoint.timestamp);
                            }
                            auto fields = query->Evaluate(lookup);
                            if (!fields) return true;  // WHERE does not hold: nothing to say
                            reply.Clear();
                            auto& out = *reply.mutable_fields();
                            for (const auto& [name, value] : *fields) {
                              auto it = latest.find(name);
                              Timestamp ts = it != latest.end() ? it->second.timestamp : newest;
                              ToWire(Datapoint{value, ts}, &out[name]);
                            }
                            return writer->Write(reply);
                          });
}

grpc::Status BrokerService::GetMetadata(grpc::ServerContext* ctx,
                                        const sdv::GetMetadataRequest* req,
                                        sdv::GetMetadataReply* resp) {
  auto access = CallerAccess(*ctx, tokens_);
  if (!access.ok()) return ToGrpc(access.status());
  AuthorizedBroker broker = broker_.Authorized(*access);
  if (req->names().empty()) {
    auto all = broker.List("**");
    if (all.ok()) {
      for (const Signal* signal : *all) ToWire(*signal, resp->add_list());
    }
    return grpc::Status::OK;
  }
  for (const std::string& name : req->names()) {
    auto signal = broker.Find(name);
    if (signal.ok() && !(*signal)->is_branch()) ToWire(**signal, resp->add_list());
  }
  return grpc::Status::OK;
}

// --------------------------------------------------------------- Collector

grpc::Status CollectorService::RegisterDatapoints(grpc::ServerContext* ctx,
                                                  const sdv::RegisterDatapointsRequest* req,
                                                  sdv::RegisterDatapointsReply* resp) {
  auto access = CallerAccess(*ctx, tokens_);
  if (!access.ok()) return ToGrpc(access.status());
  AuthorizedBroker broker = broker_.Authorized(*access);
  for (const sdv::RegistrationMetadata& m : req->list()) {
    std::optional<DataType> type = FromWire(m.data_type());
    if (!type) {
      return grpc::Status(
          grpc::StatusCode::INVALID_ARGUMENT,
          fmt::format("{}: data_type {} is not known", m.name(), int(m.data_type())));
    }
    // A known name answers its id when the type agrees (a feeder restarting).
    if (auto existing = broker.Find(m.name()); existing.ok()) {
      if ((*existing)->is_branch() || (*existing)->spec.data_type != type) {
        return grpc::Status(
            grpc::StatusCode::INVALID_ARGUMENT,
            fmt::format("{} exists with data type {}", m.name(),
                        (*existing)->is_branch() ? std::string_view("branch")
                                                 : DataTypeName(*(*existing)->spec.data_type)));
      }
      (*resp->mutable_results())[m.name()] = (*existing)->id;
      continue;
    }
    SignalSpec spec;
    spec.path = m.name();
    spec.entry_type = EntryType::kSensor;
    spec.data_type = type;
    spec.description = m.description();
    if (auto glob = PathGlob::Parse(spec.path); !glob.ok() || !glob->literal()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          fmt::format("'{}' is not a signal path", m.name()));
    }
    auto added = broker_.Register(*access, std::move(spec));
    if (!added.ok()) return ToGrpc(added.status());
    (*resp->mutable_results())[m.name()] = (*added)->id;
  }
  return grpc::Status::OK;
}

namespace {

template <typename Map>
std::map<int32_t, absl::Status> UpdateById(AuthorizedBroker& broker, const Map& datapoints) {
  std::vector<std::pair<int32_t, absl::StatusOr<const Signal*>>> targets;
  std::vector<Datapoint> values;
  for (const auto& [id, datapoint] : datapoints) {
    targets.emplace_back(id, broker.Find(id));
    values.push_back(DatapointFromWire(datapoint));
  }
  return PublishPermissive(broker, targets, values);
}

}  // namespace

grpc::Status CollectorService::UpdateDatapoints(grpc::ServerContext* ctx,
                                                const sdv::UpdateDatapointsRequest* req,
                                                sdv::UpdateDatapointsReply* resp) {
  auto access = CallerAccess(*ctx, tokens_);
  if (!access.ok()) return ToGrpc(access.status());
  AuthorizedBroker broker = broker_.Authorized(*access);
  for (const auto& [id, status] : UpdateById(broker, req->datapoints())) {
    (*resp->mutable_errors())[id] = ErrorOf(status);
  }
  return grpc::Status::OK;
}

grpc::Status CollectorService::StreamDatapoints(
    grpc::ServerContext* ctx,
    grpc::ServerReaderWriter<sdv::StreamDatapointsReply, sdv::StreamDatapointsRequest>* stream) {
  auto access = CallerAccess(*ctx, tokens_);
  if (!access.ok()) return ToGrpc(access.status());
  AuthorizedBroker broker = broker_.Authorized(*access);
  sdv::StreamDatapointsRequest req;
  sdv::StreamDatapointsReply reply;
  while (stream->Read(&req)) {
    auto refused = UpdateById(broker, req.datapoints());
    if (refused.empty()) continue;  // a reply only when something was refused
    reply.Clear();
    for (const auto& [id, status] : refused) (*reply.mutable_errors())[id] = ErrorOf(status);
    if (!stream->Write(reply)) break;
  }
  return grpc::Status::OK;
}

}  // namespace pharos::broker::sdv_databroker_v1
