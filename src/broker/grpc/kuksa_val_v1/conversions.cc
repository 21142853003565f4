#include "broker/grpc/kuksa_val_v1/conversions.h"

#include <algorithm>

#include "broker/core/limits.h"
#include "broker/grpc/typed_value.h"

namespace pharos::broker::kuksa_val_v1 {
namespace {

bool Wants(const std::vector<wire::Field>& fields, wire::Field field) {
  return fields.empty() || std::any_of(fields.begin(), fields.end(), [&](wire::Field f) {
           return f == field || f == wire::FIELD_METADATA || f == wire::FIELD_UNSPECIFIED;
         });
}

template <typename T>
void SetRestriction(const SignalSpec& spec, T* r) {
  using V = std::decay_t<decltype(r->min())>;
  auto number = [](const Value& v) -> std::optional<V> {
    return std::visit(
        [](const auto& x) -> std::optional<V> {
          using X = std::decay_t<decltype(x)>;
          if constexpr (std::is_arithmetic_v<X> && !std::is_same_v<X, bool>)
            return static_cast<V>(x);
          return std::nullopt;
        },
        v);
  };
  if (auto lo = number(spec.min)) r->set_min(*lo);
  if (auto hi = number(spec.max)) r->set_max(*hi);
  std::visit(
      [&](const auto& a) {
        using A = std::decay_t<decltype(a)>;
        if constexpr (!std::is_same_v<A, std::monostate> && !std::is_same_v<A, std::string> &&
                      requires { typename A::value_type; }) {
          if constexpr (std::is_arithmetic_v<typename A::value_type> &&
                        !std::is_same_v<typename A::value_type, bool>) {
            for (const auto& x : a) r->add_allowed_values(static_cast<V>(x));
          }
        }
      },
      spec.allowed);
}

}  // namespace

Value FromWire(const wire::Datapoint& d) {
  return wire_common::FromTypedOneof(d, [](const wire::Datapoint& m) { return m.value_case(); });
}

Datapoint DatapointFromWire(const wire::Datapoint& d) {
  Datapoint out{FromWire(d), {}};
  if (d.has_timestamp()) out.timestamp = wire_common::FromWire(d.timestamp());
  return out;
}

void ToWire(const Datapoint& datapoint, wire::Datapoint* out) {
  if (datapoint.timestamp != Timestamp{})
    wire_common::ToWire(datapoint.timestamp, out->mutable_timestamp());
  wire_common::ToTypedOneof(datapoint.value, out);
}

void ToWire(const Signal& signal, const std::vector<wire::Field>& fields, wire::Metadata* out) {
  const SignalSpec& spec = signal.spec;
  // v1's DataType numbers are v2's: the VSS order, arrays from 20.
  static constexpr int kNumbers[] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13,
                                     20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
  if (Wants(fields, wire::FIELD_METADATA_DATA_TYPE) && spec.data_type) {
    out->set_data_type(static_cast<wire::DataType>(kNumbers[static_cast<int>(*spec.data_type)]));
  }
  if (Wants(fields, wire::FIELD_METADATA_ENTRY_TYPE)) {
    out->set_entry_type(spec.entry_type == EntryType::kSensor      ? wire::ENTRY_TYPE_SENSOR
                        : spec.entry_type == EntryType::kActuator  ? wire::ENTRY_TYPE_ACTUATOR
                        : spec.entry_type == EntryType::kAttribute ? wire::ENTRY_TYPE_ATTRIBUTE
                                                                   : wire::ENTRY_TYPE_UNSPECIFIED);
  }
  if (Wants(fields, wire::FIELD_METADATA_DESCRIPTION)) out->set_description(spec.description);
  if (Wants(fields, wire::FIELD_METADATA_COMMENT) && !spec.comment.empty())
    out->set_comment(spec.comment);
  if (Wants(fields, wire::FIELD_METADATA_DEPRECATION) && !spec.deprecation.empty()) {
    out->set_deprecation(spec.deprecation);
  }
  if (Wants(fields, wire::FIELD_METADATA_UNIT) && !spec.unit.empty()) out->set_unit(spec.unit);
  if (Wants(fields, wire::FIELD_METADATA_VALUE_RESTRICTION) && spec.data_type &&
      (HasValue(spec.min) || HasValue(spec.max) || HasValue(spec.allowed))) {
    auto* r = out->mutable_value_restriction();
    switch (WireIndexOf(ElementType(*spec.data_type))) {
      case 1:  // string
        if (auto* a = std::get_if<std::vector<std::string>>(&spec.allowed)) {
          for (const auto& s : *a) r->mutable_string()->add_allowed_values(s);
        }
        break;
      case 3:
      case 4:
        SetRestriction(spec, r->mutable_signed_());
        break;
      case 5:
      case 6:
        SetRestriction(spec, r->mutable_unsigned_());
        break;
      case 7:
      case 8:
        SetRestriction(spec, r->mutable_floating_point());
        break;
      default:
        break;
    }
  }
  if (spec.entry_type == EntryType::kActuator && Wants(fields, wire::FIELD_METADATA_ACTUATOR)) {
    out->mutable_actuator();
  } else if (spec.entry_type == EntryType::kSensor && Wants(fields, wire::FIELD_METADATA_SENSOR)) {
    out->mutable_sensor();
  } else if (spec.entry_type == EntryType::kAttribute &&
             Wants(fields, wire::FIELD_METADATA_ATTRIBUTE)) {
    out->mutable_attribute();
  }
}

void ToWire(const absl::Status& status, wire::Error* out) {
  auto set = [&](uint32_t code, const char* reason) {
    out->set_code(code);
    out->set_reason(reason);
    out->set_message(std::string(status.message()));
  };
  switch (status.code()) {
    case absl::StatusCode::kNotFound:
      return set(404, "not_found");
    case absl::StatusCode::kPermissionDenied:
      return set(403, "forbidden");
    case absl::StatusCode::kUnauthenticated:
      return set(401, "unauthorized");
    case absl::StatusCode::kUnavailable:
      return set(503, "unavailable");
    case absl::StatusCode::kDeadlineExceeded:
      return set(504, "timeout");
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange: {
      auto kind = ValueErrorOf(status);
      if (kind == ValueError::kTypeMismatch) return set(400, "type_mismatch");
      if (kind == ValueError::kOutOfBounds) return set(400, "out_of_bounds");
      return set(400, "bad_request");
    }
    default:
      return set(500, "internal_error");
  }
}

grpc::Status ToGrpc(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

}  // namespace pharos::broker::kuksa_val_v1
