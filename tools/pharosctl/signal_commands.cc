// pharosctl signal ...: vehicle signals in pharos-broker, for people (what
// kuksa-client's interactive commands do): ls, get, set, subscribe.
// Talks kuksa.val.v2 (and v1 for actuator targets, which v2 cannot read).
#include <google/protobuf/util/json_util.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "kuksa/val/v1/val.grpc.pb.h"
#include "kuksa/val/v2/val.grpc.pb.h"

namespace pharosctl {
namespace v2 = kuksa::val::v2;
namespace kv1 = kuksa::val::v1;

namespace {

std::string g_broker_token;

std::unique_ptr<grpc::ClientContext> BrokerCall(bool stream = false) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  if (!stream) ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  if (!g_broker_token.empty()) ctx->AddMetadata("authorization", "Bearer " + g_broker_token);
  return ctx;
}

int ReportBrokerError(const SignalContext& sig, const Context& ctx, const grpc::Status& s) {
  // UNAVAILABLE and DEADLINE_EXCEEDED are also the broker's own answers about
  // an actuator's provider (missing, or silent): those are not "unreachable".
  bool about_provider = (s.error_code() == grpc::StatusCode::UNAVAILABLE &&
                         s.error_message().find("provider") != std::string::npos) ||
                        (s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED &&
                         s.error_message().find("acknowledge") != std::string::npos);
  switch (s.error_code()) {
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::PERMISSION_DENIED:
      std::cerr << ctx.style.Red(s.error_code() == grpc::StatusCode::UNAUTHENTICATED
                                     ? "not authenticated"
                                     : "permission denied")
                << ": " << s.error_message() << " (--broker-token or PHAROS_BROKER_TOKEN)\n";
      return kDenied;
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      if (about_provider) break;
      std::cerr << ctx.style.Red("error") << ": pharos-broker at " << sig.broker
                << " is not reachable (" << s.error_message()
                << "); set --broker or PHAROS_BROKER\n";
      return kUnreachable;
    case grpc::StatusCode::NOT_FOUND:
      std::cerr << ctx.style.Red("not found") << ": " << s.error_message() << "\n";
      return kNotFound;
    default:
      break;
  }
  std::cerr << ctx.style.Red("error") << ": " << s.error_message() << "\n";
  return kFailed;
}

std::shared_ptr<grpc::Channel> BrokerChannel(const SignalContext& sig) {
  if (sig.tls_ca.empty())
    return grpc::CreateChannel(sig.broker, grpc::InsecureChannelCredentials());
  grpc::SslCredentialsOptions ssl;
  std::string ca;
  ReadFile(sig.tls_ca, &ca);
  ssl.pem_root_certs = ca;
  return grpc::CreateChannel(sig.broker, grpc::SslCredentials(ssl));
}

std::string DataTypeName(v2::DataType t) {
  std::string name = v2::DataType_Name(t);
  name = name.substr(std::string("DATA_TYPE_").size());
  for (char& c : name) c = static_cast<char>(std::tolower(c));
  if (name.size() > 6 && name.substr(name.size() - 6) == "_array")
    name = name.substr(0, name.size() - 6) + "[]";
  return name;
}

std::string EntryTypeName(v2::EntryType t) {
  std::string name = v2::EntryType_Name(t).substr(std::string("ENTRY_TYPE_").size());
  for (char& c : name) c = static_cast<char>(std::tolower(c));
  return name;
}

// A value as a person reads it: 42, 3.5, "text", [1, 2], none.
std::string Text(const v2::Value& v) {
  auto list = [](const auto& values, auto show) {
    std::string out = "[";
    for (int i = 0; i < values.size(); ++i) out += (i ? ", " : "") + show(values[i]);
    return out + "]";
  };
  auto num = [](auto x) {
    std::ostringstream s;
    s << x;
    return s.str();
  };
  auto str = [](const std::string& s) { return nlohmann::json(s).dump(); };
  switch (v.typed_value_case()) {
    case v2::Value::kString:
      return str(v.string());
    case v2::Value::kBool:
      return v.bool_() ? "true" : "false";
    case v2::Value::kInt32:
      return num(v.int32());
    case v2::Value::kInt64:
      return num(v.int64());
    case v2::Value::kUint32:
      return num(v.uint32());
    case v2::Value::kUint64:
      return num(v.uint64());
    case v2::Value::kFloat:
      return num(v.float_());
    case v2::Value::kDouble:
      return num(v.double_());
    case v2::Value::kStringArray:
      return list(v.string_array().values(), str);
    case v2::Value::kBoolArray:
      return list(v.bool_array().values(),
                  [](bool b) { return std::string(b ? "true" : "false"); });
    case v2::Value::kInt32Array:
      return list(v.int32_array().values(), num);
    case v2::Value::kInt64Array:
      return list(v.int64_array().values(), num);
    case v2::Value::kUint32Array:
      return list(v.uint32_array().values(), num);
    case v2::Value::kUint64Array:
      return list(v.uint64_array().values(), num);
    case v2::Value::kFloatArray:
      return list(v.float_array().values(), num);
    case v2::Value::kDoubleArray:
      return list(v.double_array().values(), num);
    case v2::Value::TYPED_VALUE_NOT_SET:
      break;
  }
  return "none";
}

std::string When(const google::protobuf::Timestamp& ts) {
  if (ts.seconds() == 0 && ts.nanos() == 0) return "-";
  std::time_t t = ts.seconds();
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", std::gmtime(&t));
  char ms[8];
  std::snprintf(ms, sizeof(ms), ".%03dZ", ts.nanos() / 1'000'000);
  return std::string(buf) + ms;
}

// Parses `text` as the signal's data type (arrays as JSON lists).
bool ParseValue(const v2::Metadata& m, const std::string& text, v2::Value* out, std::string* why) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  std::string type = DataTypeName(m.data_type());
  bool array = type.size() > 2 && type.substr(type.size() - 2) == "[]";
  std::string element = array ? type.substr(0, type.size() - 2) : type;
  auto scalar = [&](const nlohmann::json& x, const std::string& raw, auto add) -> bool {
    try {
      if (element == "string" || element == "timestamp") {
        add(x.is_string() ? x.get<std::string>() : raw);
      } else if (element == "boolean") {
        if (!x.is_boolean()) return false;
        add(x.get<bool>());
      } else if (element == "float" || element == "double") {
        if (!x.is_number()) return false;
        add(x.get<double>());
      } else if (element.rfind("uint", 0) == 0) {
        if (!x.is_number_unsigned()) return false;
        add(x.get<uint64_t>());
      } else {
        if (!x.is_number_integer()) return false;
        add(x.get<int64_t>());
      }
      return true;
    } catch (...) {
      return false;
    }
  };
  bool ok = false;
  if (!array) {
    ok = scalar(j, text, [&](auto x) {
      using T = decltype(x);
      if constexpr (std::is_same_v<T, std::string>)
        out->set_string(x);
      else if constexpr (std::is_same_v<T, bool>)
        out->set_bool_(x);
      else if (element == "float")
        out->set_float_(static_cast<float>(x));
      else if (element == "double")
        out->set_double_(static_cast<double>(x));
      else if (element == "int64")
        out->set_int64(static_cast<int64_t>(x));
      else if (element == "uint64")
        out->set_uint64(static_cast<uint64_t>(x));
      else if (element.rfind("uint", 0) == 0)
        out->set_uint32(static_cast<uint32_t>(x));
      else
        out->set_int32(static_cast<int32_t>(x));
    });
  } else if (j.is_array()) {
    ok = true;
    for (const auto& x : j) {
      ok = ok && scalar(x, "", [&](auto v) {
             using T = decltype(v);
             if constexpr (std::is_same_v<T, std::string>)
               out->mutable_string_array()->add_values(v);
             else if constexpr (std::is_same_v<T, bool>)
               out->mutable_bool_array()->add_values(v);
             else if (element == "float")
               out->mutable_float_array()->add_values(static_cast<float>(v));
             else if (element == "double")
               out->mutable_double_array()->add_values(static_cast<double>(v));
             else if (element == "int64")
               out->mutable_int64_array()->add_values(static_cast<int64_t>(v));
             else if (element == "uint64")
               out->mutable_uint64_array()->add_values(static_cast<uint64_t>(v));
             else if (element.rfind("uint", 0) == 0)
               out->mutable_uint32_array()->add_values(static_cast<uint32_t>(v));
             else
               out->mutable_int32_array()->add_values(static_cast<int32_t>(v));
           });
    }
  }
  if (!ok)
    *why = "'" + text + "' is not a " + type + (array ? " (give a JSON list, e.g. [1, 2])" : "");
  return ok;
}

bool Lookup(v2::VAL::Stub& stub, const std::string& path, v2::Metadata* out, grpc::Status* status) {
  v2::ListMetadataRequest req;
  req.set_root(path);
  v2::ListMetadataResponse resp;
  *status = stub.ListMetadata(BrokerCall().get(), req, &resp);
  if (!status->ok()) return false;
  for (const auto& m : resp.metadata()) {
    if (m.path() == path) {
      *out = m;
      return true;
    }
  }
  *status = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, path + " is a branch, not a signal");
  return false;
}

}  // namespace

void SetBrokerToken(const std::string& token) { g_broker_token = token; }

int SignalList(const Context& ctx, const SignalContext& sig, const std::string& pattern) {
  auto stub = v2::VAL::NewStub(BrokerChannel(sig));
  v2::ListMetadataRequest req;
  req.set_root(pattern);
  v2::ListMetadataResponse resp;
  grpc::Status s = stub->ListMetadata(BrokerCall().get(), req, &resp);
  if (!s.ok()) return ReportBrokerError(sig, ctx, s);
  if (ctx.json) {
    std::cout << ToJson(resp);
    return kOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& m : resp.metadata()) {
    std::string limits;
    if (m.has_min()) limits += "min " + Text(m.min());
    if (m.has_max()) limits += (limits.empty() ? "" : ", ") + std::string("max ") + Text(m.max());
    if (m.has_allowed_values()) limits += (limits.empty() ? "" : ", ") + Text(m.allowed_values());
    rows.push_back({m.path(), EntryTypeName(m.entry_type()), DataTypeName(m.data_type()),
                    m.unit().empty() ? "-" : m.unit(), limits.empty() ? "-" : limits,
                    std::to_string(m.id())});
  }
  PrintTable({"PATH", "TYPE", "DATATYPE", "UNIT", "LIMITS", "ID"}, rows);
  return kOk;
}

int SignalGet(const Context& ctx, const SignalContext& sig, const std::vector<std::string>& paths,
              bool target) {
  auto channel = BrokerChannel(sig);
  std::vector<std::vector<std::string>> rows;
  nlohmann::json json = nlohmann::json::array();
  if (target) {
    // kuksa.val.v2 has no read of targets; kuksa.val.v1 does.
    auto stub = kv1::VAL::NewStub(channel);
    kv1::GetRequest req;
    for (const auto& p : paths) {
      auto* e = req.add_entries();
      e->set_path(p);
      e->set_view(kv1::VIEW_TARGET_VALUE);
    }
    kv1::GetResponse resp;
    grpc::Status s = stub->Get(BrokerCall().get(), req, &resp);
    if (!s.ok()) return ReportBrokerError(sig, ctx, s);
    if (!resp.errors().empty()) {
      for (const auto& e : resp.errors())
        std::cerr << ctx.style.Red("error") << ": " << e.error().message() << "\n";
      return resp.errors(0).error().code() == 404 ? kNotFound : kFailed;
    }
    if (ctx.json) {
      std::cout << ToJson(resp);
      return kOk;
    }
    for (const auto& e : resp.entries()) {
      v2::Value v;
      v.ParseFromString(e.actuator_target().SerializeAsString());  // the same oneof numbers
      rows.push_back({e.path(), e.has_actuator_target() ? Text(v) : "none",
                      When(e.actuator_target().timestamp())});
    }
    PrintTable({"PATH", "TARGET", "TIMESTAMP"}, rows);
    return kOk;
  }
  auto stub = v2::VAL::NewStub(channel);
  v2::GetValuesRequest req;
  for (const auto& p : paths) req.add_signal_ids()->set_path(p);
  v2::GetValuesResponse resp;
  grpc::Status s = stub->GetValues(BrokerCall().get(), req, &resp);
  if (!s.ok()) return ReportBrokerError(sig, ctx, s);
  for (int i = 0; i < resp.data_points_size(); ++i) {
    const auto& dp = resp.data_points(i);
    rows.push_back({paths[i], dp.has_value() ? Text(dp.value()) : "none", When(dp.timestamp())});
  }
  if (ctx.json) {
    std::cout << ToJson(resp);
    return kOk;
  }
  PrintTable({"PATH", "VALUE", "TIMESTAMP"}, rows);
  return kOk;
}

int SignalSet(const Context& ctx, const SignalContext& sig, const std::string& path,
              const std::string& text, bool target) {
  auto stub = v2::VAL::NewStub(BrokerChannel(sig));
  v2::Metadata meta;
  grpc::Status s;
  if (!Lookup(*stub, path, &meta, &s)) return ReportBrokerError(sig, ctx, s);
  v2::Value value;
  std::string why;
  if (!ParseValue(meta, text, &value, &why)) {
    std::cerr << ctx.style.Red("error") << ": " << path << ": " << why << "\n";
    return kUsage;
  }
  if (target) {
    v2::ActuateRequest req;
    req.mutable_signal_id()->set_path(path);
    *req.mutable_value() = value;
    v2::ActuateResponse resp;
    s = stub->Actuate(BrokerCall().get(), req, &resp);
  } else {
    v2::PublishValueRequest req;
    req.mutable_signal_id()->set_path(path);
    *req.mutable_data_point()->mutable_value() = value;
    v2::PublishValueResponse resp;
    s = stub->PublishValue(BrokerCall().get(), req, &resp);
  }
  if (!s.ok()) return ReportBrokerError(sig, ctx, s);
  if (!ctx.json) std::cout << path << (target ? " target " : " ") << "= " << Text(value) << "\n";
  return kOk;
}

int SignalSubscribe(const Context& ctx, const SignalContext& sig,
                    const std::vector<std::string>& paths, int count) {
  auto stub = v2::VAL::NewStub(BrokerChannel(sig));
  v2::SubscribeRequest req;
  for (const auto& p : paths) req.add_signal_paths(p);
  req.set_buffer_size(100);
  auto call = BrokerCall(true);
  auto reader = stub->Subscribe(call.get(), req);
  v2::SubscribeResponse msg;
  int changes = -1;  // the first message holds the current values
  while (reader->Read(&msg)) {
    for (const auto& path : paths) {
      auto it = msg.entries().find(path);
      if (it == msg.entries().end()) continue;
      if (ctx.json) {
        v2::SubscribeResponse one;
        (*one.mutable_entries())[path] = it->second;
        std::cout << ToJsonLine(one) << std::endl;
      } else {
        std::cout << When(it->second.timestamp()) << "  " << path << " = "
                  << (it->second.has_value() ? Text(it->second.value()) : "none") << std::endl;
      }
    }
    if (count > 0 && ++changes >= count) {
      call->TryCancel();
      return kOk;
    }
  }
  grpc::Status s = reader->Finish();
  if (!s.ok()) return ReportBrokerError(sig, ctx, s);
  return kOk;
}

}  // namespace pharosctl
