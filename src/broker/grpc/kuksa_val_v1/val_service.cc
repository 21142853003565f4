#include "broker/grpc/kuksa_val_v1/val_service.h"

#include <algorithm>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "broker/core/limits.h"
#include "broker/grpc/kuksa_val_v1/conversions.h"
#include "broker/grpc/subscription_pump.h"

namespace pharos::broker::kuksa_val_v1 {
namespace {

// What one entry of a request asks for: value, target, metadata.
struct Wanted {
  bool value = false;
  bool target = false;
  bool metadata = false;
  std::vector<v1::Field> metadata_fields;  // empty: all of it
};

Wanted WantedOf(v1::View view, const google::protobuf::RepeatedField<int>& fields) {
  Wanted w;
  if (view == v1::VIEW_UNSPECIFIED && !fields.empty()) view = v1::VIEW_FIELDS;
  switch (view) {
    case v1::VIEW_UNSPECIFIED:
    case v1::VIEW_CURRENT_VALUE:
      w.value = true;
      break;
    case v1::VIEW_TARGET_VALUE:
      w.target = true;
      break;
    case v1::VIEW_METADATA:
      w.metadata = true;
      break;
    case v1::VIEW_ALL:
      w.value = w.target = w.metadata = true;
      break;
    case v1::VIEW_FIELDS:
      for (int f : fields) {
        auto field = static_cast<v1::Field>(f);
        if (field == v1::FIELD_UNSPECIFIED) w.value = w.target = w.metadata = true;
        if (field == v1::FIELD_VALUE) w.value = true;
        if (field == v1::FIELD_ACTUATOR_TARGET) w.target = true;
        if (field >= v1::FIELD_METADATA) {
          w.metadata = true;
          if (field != v1::FIELD_METADATA) w.metadata_fields.push_back(field);
        }
      }
      break;
    default:
      w.value = true;
      break;
  }
  return w;
}

void AddError(const std::string& path, const absl::Status& status,
              google::protobuf::RepeatedPtrField<v1::DataEntryError>* errors, v1::Error* first) {
  v1::DataEntryError* e = errors->Add();
  e->set_path(path);
  ToWire(status, e->mutable_error());
  if (first && first->code() == 0) *first = e->error();
}

// Checks every update of a Set (or StreamedUpdate) and applies them only
// if all pass: current values are published, actuator targets actuated
// (through the provider when one claimed it, stored otherwise).
void ApplyUpdates(AuthorizedBroker& broker,
                  const google::protobuf::RepeatedPtrField<v1::EntryUpdate>& updates,
                  google::protobuf::RepeatedPtrField<v1::DataEntryError>* errors,
                  v1::Error* error) {
  std::vector<std::pair<const Signal*, Datapoint>> values;
  std::vector<std::pair<const Signal*, Value>> targets;
  for (const v1::EntryUpdate& u : updates) {
    const std::string& path = u.entry().path();
    auto signal = broker.Find(path);
    if (!signal.ok()) {
      AddError(path, signal.status(), errors, error);
      continue;
    }
    auto has = [&](v1::Field f) {
      return std::find(u.fields().begin(), u.fields().end(), f) != u.fields().end();
    };
    // The fields say what to set; without any, what the entry carries.
    bool set_value = has(v1::FIELD_VALUE) || (u.fields().empty() && u.entry().has_value());
    bool set_target =
        has(v1::FIELD_ACTUATOR_TARGET) || (u.fields().empty() && u.entry().has_actuator_target());
    if (!set_value && !set_target) {
      AddError(path, absl::InvalidArgumentError(path + ": neither a value nor a target to set"),
               errors, error);
      continue;
    }
    if (set_value) {
      Datapoint dp = DatapointFromWire(u.entry().value());
      if (absl::Status s = broker.CheckPublish(**signal, dp.value); !s.ok()) {
        AddError(path, s, errors, error);
        continue;
      }
      values.emplace_back(*signal, std::move(dp));
    }
    if (set_target) {
      const Signal& s = **signal;
      absl::Status check = s.spec.entry_type != EntryType::kActuator
                               ? absl::InvalidArgumentError(path + " is not an actuator")
                               : broker.access().Require(Action::kActuate, path);
      Value target = FromWire(u.entry().actuator_target());
      if (check.ok()) check = CheckValue(s, target);
      if (check.ok() && !HasValue(target))
        check = absl::InvalidArgumentError(path + ": no target given");
      if (!check.ok()) {
        AddError(path, check, errors, error);
        continue;
      }
      targets.emplace_back(&s, std::move(target));
    }
  }
  if (!errors->empty()) return;  // all or nothing
  if (!values.empty()) {
    if (absl::Status s = broker.Publish(values); !s.ok()) AddError("", s, errors, error);
  }
  if (!targets.empty()) {
    if (absl::Status s = broker.Actuate(targets, /*require_provider=*/false); !s.ok()) {
      AddError(targets.front().first->spec.path, s, errors, error);
    }
  }
}

}  // namespace

ValService::ValService(Broker& broker, const TokenAuthority& tokens, ServerInfo info)
    : broker_(broker), tokens_(tokens), info_(std::move(info)) {}

grpc::Status ValService::Get(grpc::ServerContext* ctx, const v1::GetRequest* req,
                             v1::GetResponse* resp) {
  auto access = CallerAccess(*ctx, tokens_);
  if (!access.ok()) return ToGrpc(access.status());
  AuthorizedBroker broker = broker_.Authorized(*access);
  for (const v1::EntryRequest& entry : req->entries()) {
    auto signals = broker.List(entry.path());
    if (!signals.ok()) {
      AddError(entry.path(), signals.status(), resp->mutable_errors(), resp->mutable_error());
      continue;
    }
    Wanted w = WantedOf(entry.view(), entry.fields());
    for (const Signal* signal : *signals) {
      absl::StatusOr<Datapoint> value = Datapoint{}, target = Datapoint{};
      if (w.value) value = broker.Get(*signal);
      if (w.target) target = broker.Get(*signal, ValueKind::kTarget);
      absl::Status denied = !value.ok()    ? value.status()
                            : !target.ok() ? target.status()
                                           : absl::OkStatus();
      if (!denied.ok()) {
        AddError(signal->spec.path, denied, resp->mutable_errors(), resp->mutable_error());
        continue;
      }
      v1::DataEntry* out = resp->add_entries();
      out->set_path(signal->spec.path);
      if (w.value && HasValue(value->value)) ToWire(*value, out->mutable_value());
      if (w.target && signal->spec.entry_type == EntryType::kActuator && HasValue(target->value)) {
        ToWire(*target, out->mutable_actuator_target());
      }
      if (w.metadata) ToWire(*signal, w.metadata_fields, out->mutable_metadata());
    }
  }
  return grpc::Status::OK;
}

grpc::Status ValService::Set(grpc::ServerContext* ctx, const v1::SetRequest* req,
                             v1::SetResponse* resp) {
  auto access = CallerAccess(*ctx, tokens_);
  if (!access.ok()) return ToGrpc(access.status());
  AuthorizedBroker broker = broker_.Authorized(*access);
  ApplyUpdates(broker, req->updates(), resp->mutable_errors(), resp->mutable_error());
  return grpc::Status::OK;
}

grpc::Status ValService::Subscribe(grpc::ServerContext* ctx, const v1::SubscribeRequest* req,
                                   grpc::ServerWriter<v1::SubscribeResponse>* writer) {
  auto access = CallerAccess(*ctx, tokens_);
  if (!access.ok()) return ToGrpc(access.status());
  AuthorizedBroker broker = broker_.Authorized(*access);
  if (req->entries().empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no entries to subscribe to");
  }
  std::vector<const Signal*> current, target;
  std::unordered_map<SignalId, const std::string*> paths;
  for (const v1::SubscribeEntry& entry : req->entries()) {
    auto signals = broker.List(entry.path());
    if (!signals.ok()) return ToGrpc(signals.status());
    Wanted w = WantedOf(entry.view(), entry.fields());
    for (const Signal* s : *signals) {
      paths[s->id] = &s->spec.path;
      if (w.value || w.metadata) current.push_back(s);
      if (w.target && s->spec.entry_type == EntryType::kActuator) target.push_back(s);
    }
  }
  std::mutex write_mu;  // the target pump writes from its own thread
  auto writer_for = [&](ValueKind kind) {
    return [&, kind](const Update& update) {
      v1::SubscribeResponse message;
      for (const auto& [id, datapoint] : update.entries) {
        v1::EntryUpdate* u = message.add_updates();
        u->mutable_entry()->set_path(*paths[id]);
        if (kind == ValueKind::kCurrent) {
          if (HasValue(datapoint.value)) ToWire(datapoint, u->mutable_entry()->mutable_value());
          u->add_fields(v1::FIELD_VALUE);
        } else {
          if (HasValue(datapoint.value))
            ToWire(datapoint, u->mutable_entry()->mutable_actuator_target());
          u->add_fields(v1::FIELD_ACTUATOR_TARGET);
        }
      }
      std::lock_guard lock(write_mu);
      return writer->Write(message);
    };
  };
  std::shared_ptr<Subscription> current_sub, target_sub;
  if (!current.empty()) {
    auto s = broker.Subscribe(current, {.buffer_size = kMaxBufferSize});
    if (!s.ok()) return ToGrpc(s.status());
    current_sub = *s;
  }
  if (!target.empty()) {
    auto s = broker.Subscribe(target, {.buffer_size = kMaxBufferSize, .kind = ValueKind::kTarget});
    if (!s.ok()) {
      if (current_sub) broker.Unsubscribe(current_sub);
      return ToGrpc(s.status());
    }
    target_sub = *s;
  }
  std::thread target_pump;
  if (target_sub && current_sub) {
    target_pump = std::thread([&] {
      PumpSubscription(*ctx, broker, target_sub, std::chrono::milliseconds(0),
                       writer_for(ValueKind::kTarget));
      current_sub->Close();  // one ends, both end
    });
  }
  grpc::Status status =
      current_sub ? PumpSubscription(*ctx, broker, current_sub, std::chrono::milliseconds(0),
                                     writer_for(ValueKind::kCurrent))
                  : PumpSubscription(*ctx, broker, target_sub, std::chrono::milliseconds(0),
                                     writer_for(ValueKind::kTarget));
  if (target_pump.joinable()) {
    target_sub->Close();
    target_pump.join();
  }
  return status;
}

grpc::Status ValService::StreamedUpdate(
    grpc::ServerContext* ctx,
    grpc::ServerReaderWriter<v1::StreamedUpdateResponse, v1::StreamedUpdateRequest>* stream) {
  auto access = CallerAccess(*ctx, tokens_);
  if (!access.ok()) return ToGrpc(access.status());
  AuthorizedBroker broker = broker_.Authorized(*access);
  v1::StreamedUpdateRequest req;
  v1::StreamedUpdateResponse resp;
  while (stream->Read(&req)) {
    resp.Clear();
    ApplyUpdates(broker, req.updates(), resp.mutable_errors(), resp.mutable_error());
    if (resp.errors().empty()) continue;  // an answer only when something was refused
    if (!stream->Write(resp)) break;
  }
  return grpc::Status::OK;
}

grpc::Status ValService::GetServerInfo(grpc::ServerContext* ctx, const v1::GetServerInfoRequest*,
                                       v1::GetServerInfoResponse* resp) {
  auto access = CallerAccess(*ctx, tokens_);
  if (!access.ok()) return ToGrpc(access.status());
  resp->set_name(info_.name);
  resp->set_version(info_.version);
  return grpc::Status::OK;
}

}  // namespace pharos::broker::kuksa_val_v1
