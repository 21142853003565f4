#include "model/config_merge.h"

#include <yaml-cpp/yaml.h>

#include "common/strings.h"
#include "model/yaml_reader.h"

namespace pharos::model {
namespace {

constexpr char kRemoveKey[] = "remove";

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

YAML::Node Merge(const YAML::Node& base, const YAML::Node& update, const std::string& path,
                 Findings& f);

YAML::Node MergeSequence(const YAML::Node& base, const YAML::Node& update, const std::string& path,
                         Findings& f) {
  for (const auto& item : update) {
    if (ItemKey(item).empty()) return YAML::Clone(update);  // plain list: replace
  }
  YAML::Node out(YAML::NodeType::Sequence);
  std::vector<YAML::Node> items;
  for (const auto& item : base) items.push_back(YAML::Clone(item));
  for (size_t i = 0; i < update.size(); ++i) {
    const YAML::Node& u = update[i];
    std::string key = ItemKey(u);
    std::string item_path = StrCat(path, "[", i, "]");
    auto match = std::find_if(items.begin(), items.end(),
                              [&](const YAML::Node& b) { return ItemKey(b) == key; });
    if (IsRemoval(u)) {
      if (match == items.end()) {
        f.Warning(item_path, MarkOf(u), StrCat("nothing to remove: no current entry with ", key));
      } else {
        items.erase(match);
      }
      continue;
    }
    if (match == items.end()) {
      items.push_back(YAML::Clone(u));
    } else {
      *match = Merge(*match, u, item_path, f);
    }
  }
  for (auto& item : items) out.push_back(item);
  return out;
}

YAML::Node Merge(const YAML::Node& base, const YAML::Node& update, const std::string& path,
                 Findings& f) {
  if (base.IsMap() && update.IsMap()) {
    YAML::Node out = YAML::Clone(base);
    for (auto it = update.begin(); it != update.end(); ++it) {
      std::string key = it->first.Scalar();
      std::string child = path.empty() ? key : StrCat(path, ".", key);
      const YAML::Node& const_out = out;
      if (const_out[key].IsDefined()) {
        out[key] = Merge(const_out[key], it->second, child, f);
      } else {
        out[key] = YAML::Clone(it->second);
      }
    }
    return out;
  }
  if (base.IsSequence() && update.IsSequence()) {
    return MergeSequence(base, update, path, f);
  }
  return YAML::Clone(update);
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
    result.yaml = EmitYaml(Merge(base, update, "", result.findings));
    result.ok = true;
  } catch (const YAML::Exception& e) {
    result.findings.Error("", Mark{e.mark.line + 1, e.mark.column + 1},
                          StrCat("not valid YAML: ", e.msg));
  } catch (const std::exception& e) {
    result.findings.Error("", {}, StrCat("could not merge: ", e.what()));
  }
  return result;
}

}  // namespace pharos::model
