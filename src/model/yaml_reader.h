// Typed, position-aware access to a YAML mapping. Every accessor reports
// type errors as findings instead of throwing, and Finish() warns about
// keys nobody asked for, so a typo never disappears silently.
#pragma once

#include <yaml-cpp/yaml.h>

#include <functional>
#include <initializer_list>
#include <set>
#include <string>
#include <vector>

#include "model/findings.h"
#include "model/vehicle.h"

namespace pharos::model {

Mark MarkOf(const YAML::Node& node);
// The node re-emitted in yaml-cpp's canonical layout (no comments), with a
// final newline: what the content hash covers and what merges store.
std::string EmitYaml(const YAML::Node& node);
std::string_view NodeTypeName(const YAML::Node& node);

enum class Need { kOptional, kRequired };

class MapReader {
 public:
  // `node` must be a map (check with IsMap first); `path` is its YAML path.
  MapReader(const YAML::Node& node, std::string path, Findings& findings);

  const std::string& path() const { return path_; }
  Mark mark() const { return MarkOf(node_); }
  std::string Child(std::string_view key) const;

  TextField Text(const std::string& key, Need need = Need::kOptional);
  // A name: text, but a plain `true`, `no` or `off` (which YAML readers
  // take for booleans) is refused and must be quoted.
  TextField Name(const std::string& key, Need need = Need::kOptional);
  AddressField Address(const std::string& key, Need need = Need::kOptional);
  PrefixField Prefix(const std::string& key, Need need = Need::kOptional);
  IntField Int(const std::string& key, int64_t min, int64_t max, Need need = Need::kOptional);
  std::optional<bool> Bool(const std::string& key);

  // Calls `each(item_node, item_path)` for every element of a list at
  // `key`. A missing key is fine unless required; a non-list is an error.
  void List(const std::string& key, Need need,
            const std::function<void(const YAML::Node&, const std::string&)>& each);
  // A nested map at `key`; invalid node when missing or not a map (the
  // latter is reported).
  YAML::Node Map(const std::string& key, Need need = Need::kOptional);
  // The raw node at `key` (marks the key as known).
  YAML::Node Raw(const std::string& key);

  // Keys that are allowed but read elsewhere.
  void Allow(std::initializer_list<std::string> keys);
  // Warn about (or, with kRefuse, refuse) every key no accessor asked for.
  enum class Unknown { kWarn, kRefuse };
  void Finish(Unknown unknown = Unknown::kWarn);

 private:
  YAML::Node Lookup(const std::string& key, Need need);

  YAML::Node node_;
  std::string path_;
  Findings& findings_;
  std::set<std::string> known_;
};

// Checks that `node` is a map, reporting "<what> must be a mapping".
bool ExpectMap(const YAML::Node& node, const std::string& path, Findings& findings);

}  // namespace pharos::model
