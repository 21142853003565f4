#include "model/config_merge.h"

#include <yaml-cpp/yaml.h>

#include <optional>
#include <unordered_map>
#include <vector>

#include "common/strings.h"
#include "model/yaml_reader.h"

namespace pharos::model {
namespace {

constexpr char kRemoveKey[] = "remove";
constexpr size_t kMaxKeyBytes = 1024;

// Identity of a list item for merging; empty when the item has none.
std::string ItemKey(const YAML::Node& item) {
  if (!item.IsMap()) return "";
  const YAML::Node& c = item;
  if (c["name"].IsDefined() && c["name"].IsScalar()) return "name=" + c["name"].Scalar();
  if (c["to"].IsDefined() && c["to"].IsScalar()) {
    auto scalar = [&](const char* k) {
      return c[k].IsDefined() && c[k].IsScalar() ? c[k].Scalar() : std::string();
    };
    return StrCat("route=", scalar("from"), ">", scalar("to"), "@", scalar("table"));
  }
  return "";
}

bool IsRemoval(const YAML::Node& item) {
  const YAML::Node& c = item;
  return item.IsMap() && c[kRemoveKey].IsDefined() && c[kRemoveKey].IsScalar() &&
         c[kRemoveKey].Scalar() == "true";
}

// `remove:` is true or false; `remove: yes` or `remove: 1` must not be
// kept as a key nobody reads (the item would stay).
bool HasBadRemoval(const YAML::Node& item, const std::string& path, Findings& f) {
  const YAML::Node& c = item;
  if (!item.IsMap() || !c[kRemoveKey].IsDefined()) return false;
  const YAML::Node r = c[kRemoveKey];
  // A plain `true` or `false`: "true" in quotes is a string.
  if (r.IsScalar() && r.Tag() == "?" && (r.Scalar() == "true" || r.Scalar() == "false")) {
    return false;
  }
  f.Error(StrCat(path, ".", kRemoveKey), MarkOf(r), "remove must be true or false");
  return true;
}

// The merged document is written straight to an emitter while both trees
// are walked: nothing is copied or rebuilt (yaml-cpp merges node memories
// on every insertion, which made building a merged tree quadratic).
void EmitMerged(YAML::Emitter& out, const YAML::Node& base, const YAML::Node& update,
                const std::string& path, Findings& f);

void EmitMergedSequence(YAML::Emitter& out, const YAML::Node& base, const YAML::Node& update,
                        const std::string& path, Findings& f) {
  for (const auto& item : update) {
    if (ItemKey(item).empty()) {  // plain list: replace
      out << update;
      return;
    }
  }
  // Items by key, in order: a base item, the update merged into it (or
  // the new item), or nothing once removed. One hash lookup per update
  // item (a search per item made 8,000 pods take 19 s).
  struct Slot {
    YAML::Node item;
    std::optional<YAML::Node> change;
    std::string path;
    bool removed = false;
  };
  std::vector<Slot> slots;
  std::unordered_map<std::string, size_t> index;
  for (const auto& item : base) {
    std::string key = ItemKey(item);
    if (!key.empty()) index.emplace(key, slots.size());
    slots.push_back({item, std::nullopt, "", false});
  }
  for (size_t i = 0; i < update.size(); ++i) {
    const YAML::Node& u = update[i];
    std::string key = ItemKey(u);
    std::string item_path = StrCat(path, "[", i, "]");
    if (HasBadRemoval(u, item_path, f)) continue;
    auto match = index.find(key);
    if (IsRemoval(u)) {
      if (match == index.end()) {
        f.Warning(item_path, MarkOf(u), StrCat("nothing to remove: no current entry with ", key));
      } else {
        slots[match->second].removed = true;
        index.erase(match);
      }
      continue;
    }
    if (match == index.end()) {
      index.emplace(key, slots.size());
      slots.push_back({u, std::nullopt, item_path, false});
    } else {
      slots[match->second].change = u;
      slots[match->second].path = item_path;
    }
  }
  out << YAML::BeginSeq;
  for (const Slot& slot : slots) {
    if (slot.removed) continue;
    if (slot.change) {
      EmitMerged(out, slot.item, *slot.change, slot.path, f);
    } else {
      out << slot.item;
    }
  }
  out << YAML::EndSeq;
}

void EmitMerged(YAML::Emitter& out, const YAML::Node& base, const YAML::Node& update,
                const std::string& path, Findings& f) {
  if (base.IsMap() && update.IsMap()) {
    // Base keys in their order, merged where the update has them, then
    // the update's new keys.
    std::unordered_map<std::string, YAML::Node> changes;
    std::vector<std::string> order;
    for (auto it = update.begin(); it != update.end(); ++it) {
      const std::string& key = it->first.Scalar();
      if (key.size() > kMaxKeyBytes) {
        // YAML allows implicit keys of at most 1,024 characters: written
        // back, such a key would not load again.
        f.Error(path, MarkOf(it->first),
                StrCat("a key of ", key.size(), " bytes; keys are at most ", kMaxKeyBytes));
        continue;
      }
      if (changes.emplace(key, it->second).second) order.push_back(key);
    }
    out << YAML::BeginMap;
    for (auto it = base.begin(); it != base.end(); ++it) {
      std::string key = it->first.Scalar();
      out << YAML::Key << key << YAML::Value;
      auto change = changes.find(key);
      if (change == changes.end()) {
        out << it->second;
        continue;
      }
      EmitMerged(out, it->second, change->second, path.empty() ? key : StrCat(path, ".", key), f);
      changes.erase(change);
    }
    for (const std::string& key : order) {
      if (auto it = changes.find(key); it != changes.end()) {
        out << YAML::Key << key << YAML::Value << it->second;
      }
    }
    out << YAML::EndMap;
    return;
  }
  if (base.IsSequence() && update.IsSequence()) {
    EmitMergedSequence(out, base, update, path, f);
    return;
  }
  out << update;
}

bool Reloads(const std::string& yaml) {
  try {
    (void)YAML::Load(yaml);
    return true;
  } catch (const YAML::Exception&) {
    return false;
  }
}

}  // namespace

MergeResult MergeConfigYaml(std::string_view base_yaml, std::string_view update_yaml) {
  MergeResult result;
  try {
    YAML::Node base =
        base_yaml.empty() ? YAML::Node(YAML::NodeType::Map) : YAML::Load(std::string(base_yaml));
    YAML::Node update = YAML::Load(std::string(update_yaml));
    if (!update.IsMap()) {
      result.findings.Error("", MarkOf(update),
                            "an update must be a mapping like the configuration it "
                            "changes (e.g. 'vehicle: socs: ...')");
      return result;
    }
    if (!base.IsMap()) base = YAML::Node(YAML::NodeType::Map);
    YAML::Emitter out;
    EmitMerged(out, base, update, "", result.findings);
    if (!out.good()) {
      result.findings.Error("", {},
                            StrCat("could not write the merged document: ", out.GetLastError()));
      return result;
    }
    result.yaml = StrCat(out.c_str(), "\n");
    result.ok = !result.findings.HasErrors();
    if (result.ok && !Reloads(result.yaml)) {
      // yaml-cpp's emitter cannot write every key it reads back (long or
      // binary keys): say so here rather than as a syntax error at a line
      // of a document the caller never wrote.
      result.findings.Error("", {},
                            "the merged document cannot be written as YAML that loads again (a "
                            "key with control characters or invalid UTF-8?)");
      result.ok = false;
    }
  } catch (const YAML::Exception& e) {
    result.findings.Error("", Mark{e.mark.line + 1, e.mark.column + 1},
                          StrCat("not valid YAML: ", e.msg));
  } catch (const std::exception& e) {
    result.findings.Error("", {}, StrCat("could not merge: ", e.what()));
  }
  return result;
}

}  // namespace pharos::model
