#include "model/yaml_reader.h"

#include <algorithm>
#include <cctype>

#include "common/strings.h"
#include "common/text.h"

namespace pharos::model {
namespace {

bool ScalarText(const YAML::Node& node, std::string* out) {
  if (!node.IsScalar()) return false;
  *out = node.Scalar();
  return true;
}

}  // namespace

std::string EmitYaml(const YAML::Node& node) {
  YAML::Emitter out;
  out << node;
  return std::string(out.c_str()) + "\n";
}

Mark MarkOf(const YAML::Node& node) {
  if (!node.IsDefined()) return {};
  YAML::Mark m = node.Mark();
  if (m.line < 0) return {};
  return Mark{m.line + 1, m.column + 1};
}

std::string_view NodeTypeName(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
      return "nothing (null)";
    case YAML::NodeType::Scalar:
      return "a single value";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Undefined:
      return "undefined";
  }
  return "unknown";
}

bool ExpectMap(const YAML::Node& node, const std::string& path, Findings& findings) {
  if (node.IsMap()) return true;
  findings.Error(path, MarkOf(node),
                 StrCat(path.empty() ? "the document" : path,
                        " must be a mapping (key: value), but it is ", NodeTypeName(node)),
                 "write it as indented 'key: value' lines");
  return false;
}

MapReader::MapReader(const YAML::Node& node, std::string path, Findings& findings)
    : node_(node), path_(std::move(path)), findings_(findings) {}

std::string MapReader::Child(std::string_view key) const {
  return path_.empty() ? std::string(key) : StrCat(path_, ".", key);
}

YAML::Node MapReader::Lookup(const std::string& key, Need need) {
  known_.insert(key);
  // const lookup: a non-const operator[] may insert the key.
  YAML::Node child = static_cast<const YAML::Node&>(node_)[key];
  if ((!child.IsDefined() || child.IsNull()) && need == Need::kRequired) {
    findings_.Error(
        Child(key), mark(),
        StrCat("required field '", key, "' is missing in ", path_.empty() ? "the document" : path_),
        StrCat("add '", key, ": ...'"));
  }
  return child;
}

YAML::Node MapReader::Raw(const std::string& key) {
  known_.insert(key);
  return static_cast<const YAML::Node&>(node_)[key];
}

TextField MapReader::Text(const std::string& key, Need need) {
  TextField field;
  field.path = Child(key);
  YAML::Node child = Lookup(key, need);
  if (!child.IsDefined() || child.IsNull()) return field;
  field.mark = MarkOf(child);
  if (!ScalarText(child, &field.value)) {
    findings_.Error(field.path, field.mark,
                    StrCat(field.path, " must be a single value, but it is ", NodeTypeName(child)));
    return field;
  }
  field.present = true;
  return field;
}

TextField MapReader::Name(const std::string& key, Need need) {
  TextField field = Text(key, need);
  if (!field.present) return field;
  const YAML::Node& node = node_;
  std::string lower = field.value;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  static const std::set<std::string> kBooleans = {"true", "false", "yes", "no", "on", "off"};
  if (node[key].Tag() == "?" && kBooleans.count(lower)) {
    findings_.Error(
        field.path, field.mark,
        StrCat(field.path, " must be a name, but '", field.value, "' reads as a boolean"),
        StrCat("quote it (\"", field.value, "\") if it is meant as a name"));
    field.present = false;
  }
  return field;
}

AddressField MapReader::Address(const std::string& key, Need need) {
  AddressField field;
  static_cast<TextField&>(field) = Text(key, need);
  if (!field.present) return field;
  std::string why;
  field.address = Ipv4Address::Parse(field.value, &why);
  if (!field.address) {
    findings_.Error(field.path, field.mark, StrCat("malformed IPv4 address: ", why),
                    "write a dotted quad such as 10.2.0.10");
  }
  return field;
}

PrefixField MapReader::Prefix(const std::string& key, Need need) {
  PrefixField field;
  static_cast<TextField&>(field) = Text(key, need);
  if (!field.present) return field;
  std::string why;
  field.prefix = Ipv4Prefix::Parse(field.value, &why);
  if (!field.prefix) {
    findings_.Error(field.path, field.mark, StrCat("malformed CIDR: ", why),
                    "write an IPv4 prefix such as 10.2.1.0/24");
  } else if (field.prefix->HasHostBits()) {
    findings_.Warning(field.path, field.mark,
                      StrCat("CIDR ", field.value, " has host bits set; Pharos uses ",
                             field.prefix->Normalized().ToString()),
                      StrCat("write ", field.prefix->Normalized().ToString()));
    field.prefix = field.prefix->Normalized();
  }
  return field;
}

IntField MapReader::Int(const std::string& key, int64_t min, int64_t max, Need need) {
  IntField field;
  static_cast<TextField&>(field) = Text(key, need);
  if (!field.present) return field;
  int64_t value = 0;
  const std::string& s = field.value;
  bool ok = !s.empty();
  size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
  if (i == s.size()) ok = false;
  for (; ok && i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9' || value > 1'000'000'000'000LL)
      ok = false;
    else
      value = value * 10 + (s[i] - '0');
  }
  if (ok && s[0] == '-') value = -value;
  if (!ok) {
    findings_.Error(field.path, field.mark,
                    StrCat(field.path, " must be a whole number, got '", s, "'"));
  } else if (value < min || value > max) {
    findings_.Error(field.path, field.mark,
                    StrCat(field.path, " = ", value, " is out of range [", min, ", ", max, "]"));
  } else {
    field.number = value;
  }
  return field;
}

std::optional<bool> MapReader::Bool(const std::string& key) {
  YAML::Node child = Lookup(key, Need::kOptional);
  if (!child.IsDefined() || child.IsNull()) return std::nullopt;
  std::string text;
  if (ScalarText(child, &text)) {
    if (text == "true" || text == "True" || text == "yes") return true;
    if (text == "false" || text == "False" || text == "no") return false;
  }
  findings_.Error(Child(key), MarkOf(child), StrCat(Child(key), " must be true or false"));
  return std::nullopt;
}

void MapReader::List(const std::string& key, Need need,
                     const std::function<void(const YAML::Node&, const std::string&)>& each) {
  YAML::Node child = Lookup(key, need);
  if (!child.IsDefined() || child.IsNull()) return;
  std::string path = Child(key);
  if (!child.IsSequence()) {
    findings_.Error(path, MarkOf(child),
                    StrCat(path, " must be a list, but it is ", NodeTypeName(child)),
                    "write each entry on its own line starting with '- '");
    return;
  }
  for (size_t i = 0; i < child.size(); ++i) {
    each(child[i], StrCat(path, "[", i, "]"));
  }
}

YAML::Node MapReader::Map(const std::string& key, Need need) {
  YAML::Node child = Lookup(key, need);
  if (!child.IsDefined() || child.IsNull()) return YAML::Node(YAML::NodeType::Undefined);
  if (!ExpectMap(child, Child(key), findings_)) {
    return YAML::Node(YAML::NodeType::Undefined);
  }
  return child;
}

void MapReader::Allow(std::initializer_list<std::string> keys) {
  known_.insert(keys.begin(), keys.end());
}

void MapReader::Finish(Unknown unknown) {
  std::set<std::string> seen;
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    std::string key;
    if (!ScalarText(it->first, &key)) {
      findings_.Warning(path_, MarkOf(it->first), "a key that is not a plain word is ignored");
      continue;
    }
    if (!seen.insert(key).second) {
      findings_.Error(
          Child(key), MarkOf(it->first),
          StrCat("key '", key, "' appears twice in ", path_.empty() ? "the document" : path_),
          "keep one of them; YAML readers disagree on which wins");
      continue;
    }
    if (known_.count(key)) continue;
    std::string best;
    size_t best_distance = 3;
    for (const std::string& k : known_) {
      size_t d = EditDistance(key, k);
      if (d < best_distance) {
        best_distance = d;
        best = k;
      }
    }
    std::string shown = Shown(key);
    std::string hint = best.empty() ? "remove it, or check docs/configuration.md"
                                    : StrCat("did you mean '", best, "'?");
    if (unknown == Unknown::kRefuse) {
      findings_.Error(
          Child(shown), MarkOf(it->first),
          StrCat("unknown key '", shown, "' in ", path_.empty() ? "the document" : path_), hint);
    } else {
      findings_.Warning(Child(shown), MarkOf(it->first),
                        StrCat("unknown key '", shown, "' is ignored"), hint);
    }
  }
}

}  // namespace pharos::model
