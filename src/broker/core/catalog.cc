#include "broker/core/catalog.h"

#include "common/fmt_absl.h"
#include "fmt/format.h"

namespace pharos::broker {

SignalId PathHashId(std::string_view path) {
  // FNV-1a 32, folded to a positive int32 (0 is kept free: proto3's default).
  uint32_t h = 2166136261u;
  for (unsigned char c : path) {
    h ^= c;
    h *= 16777619u;
  }
  SignalId id = static_cast<SignalId>(h & 0x7fffffffu);
  return id == 0 ? 1 : id;
}

SignalId Catalog::NextFreeId(std::string_view path) {
  auto persisted = known_.find(std::string(path));
  if (persisted != known_.end()) return persisted->second;
  SignalId id = PathHashId(path);
  while (by_id_.count(id) || known_ids_.count(id)) id = id == 0x7fffffff ? 1 : id + 1;
  return id;
}

absl::Status Catalog::Index(size_t i) {
  Signal& s = entries_[i];
  s.index = i;
  if (!by_path_.emplace(s.spec.path, i).second) {
    return absl::AlreadyExistsError(fmt::format("'{}' appears twice in the catalog", s.spec.path));
  }
  if (!by_id_.emplace(s.id, i).second) {
    return absl::InternalError(
        fmt::format("signal id {} is given to two paths (the id store is inconsistent)", s.id));
  }
  if (!s.is_branch()) ++leaf_count_;
  return absl::OkStatus();
}

absl::StatusOr<Catalog> Catalog::Build(std::vector<SignalSpec> entries,
                                       const std::map<std::string, SignalId>& known) {
  Catalog catalog;
  catalog.known_ = known;
  for (const auto& [path, id] : known) catalog.known_ids_.insert(id);
  for (SignalSpec& spec : entries) {
    Signal signal;
    signal.id = catalog.NextFreeId(spec.path);
    signal.spec = std::move(spec);
    catalog.entries_.push_back(std::move(signal));
    if (absl::Status s = catalog.Index(catalog.entries_.size() - 1); !s.ok()) return s;
  }
  return catalog;
}

absl::StatusOr<const Signal*> Catalog::Add(SignalSpec spec) {
  if (spec.entry_type == EntryType::kBranch || !spec.data_type) {
    return absl::InvalidArgumentError(
        fmt::format("{}: a new entry needs a type and a data type", spec.path));
  }
  if (Find(spec.path)) return absl::AlreadyExistsError(fmt::format("{} exists already", spec.path));
  // Parents first, as Build expects them.
  std::vector<std::string_view> segments = PathSegments(spec.path);
  std::string parent;
  for (size_t i = 0; i + 1 < segments.size(); ++i) {
    parent += (i ? "." : "") + std::string(segments[i]);
    const Signal* existing = Find(parent);
    if (existing && !existing->is_branch()) {
      return absl::InvalidArgumentError(
          fmt::format("{}: its parent {} is a signal, not a branch", spec.path, parent));
    }
    if (!existing) {
      Signal branch;
      branch.spec.path = parent;
      branch.id = NextFreeId(parent);
      entries_.push_back(std::move(branch));
      if (absl::Status s = Index(entries_.size() - 1); !s.ok()) return s;
    }
  }
  Signal signal;
  signal.id = NextFreeId(spec.path);
  signal.spec = std::move(spec);
  entries_.push_back(std::move(signal));
  if (absl::Status s = Index(entries_.size() - 1); !s.ok()) return s;
  return &entries_.back();
}

const Signal* Catalog::Find(std::string_view path) const {
  auto it = by_path_.find(path);
  return it == by_path_.end() ? nullptr : &entries_[it->second];
}

const Signal* Catalog::Find(SignalId id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &entries_[it->second];
}

std::vector<const Signal*> Catalog::Leaves(const PathGlob& pattern) const {
  std::vector<const Signal*> out;
  if (pattern.literal()) {
    const Signal* exact = Find(pattern.text());
    if (exact && !exact->is_branch()) return {exact};
  }
  for (const Signal& s : entries_) {
    if (!s.is_branch() && pattern.Matches(s.spec.path)) out.push_back(&s);
  }
  return out;
}

std::map<std::string, SignalId> Catalog::Ids() const {
  std::map<std::string, SignalId> out;
  for (const Signal& s : entries_) out.emplace(s.spec.path, s.id);
  return out;
}

}  // namespace pharos::broker
