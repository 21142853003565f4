// The signal tree: every branch, sensor, actuator and attribute of the
// loaded VSS catalogs with its metadata and its stable id. Immutable once
// built; lookups by path and by id are O(1), pattern matches walk the tree
// in catalog order.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "absl/status/statusor.h"
#include "broker/core/glob.h"
#include "broker/core/types.h"

namespace pharos::broker {

// One catalog entry as VSS describes it.
struct SignalSpec {
  std::string path;  // "Vehicle.Cabin.DoorCount"
  EntryType entry_type = EntryType::kBranch;
  std::optional<DataType> data_type;  // none for branches
  std::string description;
  std::string comment;
  std::string deprecation;
  std::string unit;
  std::string uuid;
  Value min;  // std::monostate when the catalog gives none
  Value max;
  Value allowed;        // an array of the signal's element type, or none
  Value default_value;  // attributes' default, served until something else is published
};

struct Signal {
  SignalId id = 0;
  size_t index = 0;  // position in Catalog::entries()
  SignalSpec spec;
  bool is_branch() const { return spec.entry_type == EntryType::kBranch; }
};

class Catalog {
 public:
  // Builds the tree from `entries` (parents before children; the VSS
  // loader produces them so). Ids: `known` (persisted from earlier runs)
  // wins; a new path gets a hash of its path (31 bits), probed forward on
  // a collision, so the same catalog gives the same ids on any machine.
  static absl::StatusOr<Catalog> Build(std::vector<SignalSpec> entries,
                                       const std::map<std::string, SignalId>& known = {});

  Catalog() = default;
  Catalog(Catalog&&) = default;  // the path index points into entries_' heap buffer
  Catalog& operator=(Catalog&&) = default;
  Catalog(const Catalog&) = delete;

  const Signal* Find(std::string_view path) const;
  const Signal* Find(SignalId id) const;
  // Every leaf (non-branch) matching `pattern`, in catalog order.
  std::vector<const Signal*> Leaves(const PathGlob& pattern) const;
  // Every entry, branches included, in catalog order.
  const std::deque<Signal>& entries() const { return entries_; }
  // Adds a leaf at run time (sdv.databroker.v1 RegisterDatapoints); its
  // parent branches are created as needed. INVALID_ARGUMENT when `spec`
  // is a branch, ALREADY_EXISTS when the path is taken. References to
  // existing entries stay valid (the entries live in a deque). Not
  // thread-safe: the broker serialises it with its readers.
  absl::StatusOr<const Signal*> Add(SignalSpec spec);
  // Index of an entry in entries(), for per-signal state kept beside it.
  size_t IndexOf(const Signal& signal) const { return signal.index; }
  size_t leaf_count() const { return leaf_count_; }
  // path -> id, for the store to persist.
  std::map<std::string, SignalId> Ids() const;

 private:
  absl::Status Index(size_t i);
  SignalId NextFreeId(std::string_view path);

  std::deque<Signal> entries_;
  std::unordered_map<std::string_view, size_t> by_path_;
  std::unordered_map<SignalId, size_t> by_id_;
  size_t leaf_count_ = 0;
  std::map<std::string, SignalId> known_;  // persisted ids, kept for paths added later
  std::unordered_set<SignalId> known_ids_;
};

// The id a path gets when nothing was persisted for it (before probing).
SignalId PathHashId(std::string_view path);

}  // namespace pharos::broker
