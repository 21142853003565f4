#include "broker/vss/vss_loader.h"

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include "broker/core/limits.h"
#include "common/fmt_absl.h"
#include "fmt/format.h"
#include "nlohmann/json.hpp"

namespace pharos::broker::vss {

extern const char* const kDefaultCatalogJson;  // default_catalog_data.cc (generated)
extern const char* const kDefaultCatalogName;

namespace {

using nlohmann::json;

absl::Status Malformed(std::string_view file, std::string_view where, std::string_view what) {
  return absl::InvalidArgumentError(fmt::format("{}: {}: {}", file, where, what));
}

// Later documents override the fields they name and add nodes.
void Merge(json& base, const json& overlay, const std::string& vss_path, const std::string& file,
           std::map<std::string, std::string>& origin) {
  origin[vss_path] = file;
  for (auto it = overlay.begin(); it != overlay.end(); ++it) {
    if (it.key() != "children" || !it.value().is_object() || !base.contains("children") ||
        !base["children"].is_object()) {
      base[it.key()] = it.value();
      continue;
    }
    json& children = base["children"];
    for (auto child = it.value().begin(); child != it.value().end(); ++child) {
      std::string child_path = vss_path + "." + child.key();
      if (children.contains(child.key()) && children[child.key()].is_object() &&
          child.value().is_object()) {
        Merge(children[child.key()], child.value(), child_path, file, origin);
      } else {
        children[child.key()] = child.value();
        origin[child_path] = file;
      }
    }
  }
}

DataType ArrayOf(DataType element) {
  return static_cast<DataType>(static_cast<int>(element) +
                               static_cast<int>(DataType::kStringArray));
}

// One JSON scalar as the wire alternative of `element`.
absl::StatusOr<Value> Scalar(const json& j, DataType element) {
  auto integer = [&](int64_t lo, uint64_t hi) -> absl::StatusOr<int64_t> {
    if (!j.is_number_integer()) return absl::InvalidArgumentError("an integer is expected");
    if (j.is_number_unsigned()) {
      if (j.get<uint64_t>() > hi) return absl::InvalidArgumentError("out of the type's range");
      return static_cast<int64_t>(j.get<uint64_t>());
    }
    int64_t v = j.get<int64_t>();
    if (v < lo || (v > 0 && static_cast<uint64_t>(v) > hi)) {
      return absl::InvalidArgumentError("out of the type's range");
    }
    return v;
  };
  switch (element) {
    case DataType::kString:
    case DataType::kTimestamp:
      if (!j.is_string()) return absl::InvalidArgumentError("a string is expected");
      return Value(j.get<std::string>());
    case DataType::kBoolean:
      if (!j.is_boolean()) return absl::InvalidArgumentError("true or false is expected");
      return Value(j.get<bool>());
    case DataType::kInt8: {
      auto v = integer(-128, 127);
      if (!v.ok()) return v.status();
      return Value(static_cast<int32_t>(*v));
    }
    case DataType::kInt16: {
      auto v = integer(-32768, 32767);
      if (!v.ok()) return v.status();
      return Value(static_cast<int32_t>(*v));
    }
    case DataType::kInt32: {
      auto v = integer(INT32_MIN, INT32_MAX);
      if (!v.ok()) return v.status();
      return Value(static_cast<int32_t>(*v));
    }
    case DataType::kInt64: {
      auto v = integer(INT64_MIN, INT64_MAX);
      if (!v.ok()) return v.status();
      return Value(*v);
    }
    case DataType::kUint8:
    case DataType::kUint16:
    case DataType::kUint32: {
      uint64_t hi = element == DataType::kUint8    ? 255
                    : element == DataType::kUint16 ? 65535
                                                   : UINT32_MAX;
      auto v = integer(0, hi);
      if (!v.ok()) return v.status();
      return Value(static_cast<uint32_t>(*v));
    }
    case DataType::kUint64:
      if (!j.is_number_unsigned() && !(j.is_number_integer() && j.get<int64_t>() >= 0)) {
        return absl::InvalidArgumentError("a non-negative integer is expected");
      }
      return Value(j.get<uint64_t>());
    case DataType::kFloat:
      if (!j.is_number()) return absl::InvalidArgumentError("a number is expected");
      return Value(j.get<float>());
    case DataType::kDouble:
      if (!j.is_number()) return absl::InvalidArgumentError("a number is expected");
      return Value(j.get<double>());
    default:
      return absl::InternalError("not a scalar type");
  }
}

template <typename T>
void Append(Value& array, const Value& scalar) {
  std::get<std::vector<T>>(array).push_back(std::get<T>(scalar));
}

// A JSON value as a Value of `type` (scalar, or an array of its elements).
absl::StatusOr<Value> FromJson(const json& j, DataType type) {
  if (!IsArray(type)) return Scalar(j, type);
  if (!j.is_array()) return absl::InvalidArgumentError("an array is expected");
  DataType element = ElementType(type);
  Value array;
  switch (WireIndexOf(type)) {
    case 9:
      array = std::vector<std::string>{};
      break;
    case 10:
      array = std::vector<bool>{};
      break;
    case 11:
      array = std::vector<int32_t>{};
      break;
    case 12:
      array = std::vector<int64_t>{};
      break;
    case 13:
      array = std::vector<uint32_t>{};
      break;
    case 14:
      array = std::vector<uint64_t>{};
      break;
    case 15:
      array = std::vector<float>{};
      break;
    case 16:
      array = std::vector<double>{};
      break;
    default:
      return absl::InternalError("not an array type");
  }
  for (size_t i = 0; i < j.size(); ++i) {
    auto scalar = Scalar(j[i], element);
    if (!scalar.ok()) {
      return absl::InvalidArgumentError(fmt::format("[{}]: {}", i, scalar.status().message()));
    }
    std::visit(
        [&](auto& vec) {
          using V = std::decay_t<decltype(vec)>;
          if constexpr (requires { typename V::value_type; } && !std::is_same_v<V, std::string>) {
            Append<typename V::value_type>(array, *scalar);
          }
        },
        array);
  }
  return array;
}

class Flattener {
 public:
  Flattener(const std::map<std::string, std::string>& origin) : origin_(origin) {}

  absl::Status Node(const json& node, const std::string& path, const std::string& where) {
    const std::string& file = FileOf(path);
    if (!node.is_object()) return Malformed(file, where, "a VSS node must be a JSON object");
    SignalSpec spec;
    spec.path = path;
    if (!node.contains("type") || !node["type"].is_string()) {
      return Malformed(file, where + ".type",
                       "missing: every node needs branch, sensor, actuator or attribute");
    }
    auto type = ParseEntryType(node["type"].get<std::string>());
    if (!type) {
      return Malformed(file, where + ".type",
                       fmt::format("'{}' is not branch, sensor, actuator or attribute",
                                   node["type"].get<std::string>()));
    }
    spec.entry_type = *type;
    for (auto [key, field] : {std::pair{"description", &spec.description},
                              {"comment", &spec.comment},
                              {"deprecation", &spec.deprecation},
                              {"unit", &spec.unit},
                              {"uuid", &spec.uuid}}) {
      if (!node.contains(key)) continue;
      if (!node[key].is_string()) return Malformed(file, where + "." + key, "a string is expected");
      *field = node[key].get<std::string>();
    }
    if (spec.entry_type == EntryType::kBranch) {
      out_.push_back(std::move(spec));
      if (!node.contains("children")) return absl::OkStatus();
      const json& children = node["children"];
      if (!children.is_object()) {
        return Malformed(file, where + ".children", "an object of child nodes is expected");
      }
      for (auto it = children.begin(); it != children.end(); ++it) {
        if (it.key().empty() || it.key().find('.') != std::string::npos) {
          return Malformed(file, where + ".children",
                           fmt::format("'{}' is not a valid node name", it.key()));
        }
        if (absl::Status s =
                Node(it.value(), path + "." + it.key(), where + ".children." + it.key());
            !s.ok()) {
          return s;
        }
      }
      return absl::OkStatus();
    }
    if (node.contains("children")) {
      return Malformed(file, where + ".children", "only a branch has children");
    }
    if (!node.contains("datatype") || !node["datatype"].is_string()) {
      return Malformed(file, where + ".datatype", "missing: every signal needs a data type");
    }
    auto data_type = ParseDataType(node["datatype"].get<std::string>());
    if (!data_type) {
      return Malformed(
          file, where + ".datatype",
          fmt::format("'{}' is not a VSS data type", node["datatype"].get<std::string>()));
    }
    spec.data_type = *data_type;
    DataType element = ElementType(*data_type);
    for (auto [key, target, as] : {std::tuple{"min", &spec.min, element},
                                   {"max", &spec.max, element},
                                   {"allowed", &spec.allowed, ArrayOf(element)},
                                   {"default", &spec.default_value, *data_type}}) {
      if (!node.contains(key)) continue;
      auto value = FromJson(node[key], as);
      if (!value.ok()) {
        return Malformed(file, where + "." + key,
                         fmt::format("{} (the signal is {})", value.status().message(),
                                     DataTypeName(*data_type)));
      }
      *target = *std::move(value);
    }
    if (HasValue(spec.default_value)) {
      Signal probe{0, 0, spec};
      if (absl::Status s = CheckValue(probe, spec.default_value); !s.ok()) {
        return Malformed(file, where + ".default", std::string(s.message()));
      }
    }
    out_.push_back(std::move(spec));
    return absl::OkStatus();
  }

  std::vector<SignalSpec> take() { return std::move(out_); }

 private:
  const std::string& FileOf(const std::string& path) {
    // The file that last touched this node or its nearest ancestor.
    std::string p = path;
    while (true) {
      auto it = origin_.find(p);
      if (it != origin_.end()) return it->second;
      size_t dot = p.rfind('.');
      if (dot == std::string::npos) return unknown_;
      p.resize(dot);
    }
  }

  const std::map<std::string, std::string>& origin_;
  std::string unknown_ = "catalog";
  std::vector<SignalSpec> out_;
};

}  // namespace

absl::StatusOr<std::vector<SignalSpec>> LoadCatalog(const std::vector<CatalogSource>& sources) {
  if (sources.empty()) return absl::InvalidArgumentError("no VSS catalog given");
  json tree = json::object();
  std::map<std::string, std::string> origin;
  for (const CatalogSource& source : sources) {
    json doc = json::parse(source.json, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) {
      // Find where: parse again with exceptions for nlohmann's byte offset.
      std::string why = "not valid JSON";
      try {
        (void)json::parse(source.json);
      } catch (const json::parse_error& e) {
        why = fmt::format("not valid JSON (at byte {})", e.byte);
      }
      return absl::InvalidArgumentError(fmt::format("{}: {}", source.name, why));
    }
    if (!doc.is_object() || doc.empty()) {
      return Malformed(source.name, "$",
                       "a catalog is an object of root branches, e.g. {\"Vehicle\": {...}}");
    }
    for (auto it = doc.begin(); it != doc.end(); ++it) {
      if (!it.value().is_object()) {
        return Malformed(source.name, "$." + it.key(), "a VSS node must be a JSON object");
      }
      if (tree.contains(it.key())) {
        Merge(tree[it.key()], it.value(), it.key(), source.name, origin);
      } else {
        tree[it.key()] = it.value();
        Merge(tree[it.key()], json::object(), it.key(), source.name, origin);
      }
    }
  }
  Flattener flattener(origin);
  for (auto it = tree.begin(); it != tree.end(); ++it) {
    if (absl::Status s = flattener.Node(it.value(), it.key(), "$." + it.key()); !s.ok()) return s;
  }
  return flattener.take();
}

CatalogSource DefaultCatalog() { return {kDefaultCatalogName, kDefaultCatalogJson}; }

absl::StatusOr<CatalogSource> ReadCatalogFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(fmt::format("cannot read the VSS catalog {}", path));
  std::ostringstream text;
  text << in.rdbuf();
  return CatalogSource{path, text.str()};
}

}  // namespace pharos::broker::vss
