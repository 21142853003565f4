#include "model/yaml_limits.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/parser.h>

#include <algorithm>
#include <map>
#include <sstream>
#include <vector>

#include "common/strings.h"

namespace pharos::model {
namespace {

struct TooLarge {};

// Counts the expanded nodes as the parser emits events: an alias counts
// as the whole tree of its anchor. Throws TooLarge at the first node over
// the limit, so a bomb costs no more than its own text.
class ExpansionCounter : public YAML::EventHandler {
 public:
  explicit ExpansionCounter(int64_t max) : max_(max) {}

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t anchor) override { Leaf(anchor); }
  void OnAlias(const YAML::Mark&, YAML::anchor_t anchor) override {
    auto it = sizes_.find(anchor);
    Add(it == sizes_.end() ? 1 : it->second);
  }
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t anchor,
                const std::string&) override {
    Leaf(anchor);
  }
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    Open(anchor);
  }
  void OnSequenceEnd() override { Close(); }
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    Open(anchor);
  }
  void OnMapEnd() override { Close(); }

 private:
  struct Frame {
    YAML::anchor_t anchor;
    int64_t nodes;  // of this collection's subtree, expanded
  };
  void Leaf(YAML::anchor_t anchor) {
    if (anchor != YAML::NullAnchor) sizes_[anchor] = 1;
    Add(1);
  }
  void Open(YAML::anchor_t anchor) {
    Count(1);  // the collection itself; its parent learns its size on Close
    stack_.push_back({anchor, 1});
  }
  void Close() {
    Frame done = stack_.back();
    stack_.pop_back();
    if (done.anchor != YAML::NullAnchor) sizes_[done.anchor] = done.nodes;
    if (!stack_.empty()) stack_.back().nodes = Saturated(stack_.back().nodes + done.nodes);
  }
  // `n` more nodes inside the innermost open collection.
  void Add(int64_t n) {
    Count(n);
    if (!stack_.empty()) stack_.back().nodes = Saturated(stack_.back().nodes + n);
  }
  void Count(int64_t n) {
    expanded_ = Saturated(expanded_ + n);
    if (expanded_ > max_) throw TooLarge{};
  }
  // Sizes of nested aliases multiply: keep them just above the limit.
  int64_t Saturated(int64_t n) const { return std::min(n, max_ + 1); }

  int64_t max_;
  int64_t expanded_ = 0;
  std::vector<Frame> stack_;
  std::map<YAML::anchor_t, int64_t> sizes_;
};

}  // namespace

absl::Status CheckYamlExpansion(std::string_view text, int64_t max_nodes) {
  std::istringstream in{std::string(text)};
  ExpansionCounter counter(max_nodes);
  try {
    YAML::Parser parser(in);
    parser.HandleNextDocument(counter);
  } catch (const TooLarge&) {
    return absl::InvalidArgumentError(
        StrCat("the document expands to more than ", max_nodes,
               " YAML nodes (aliases counted as the trees they stand for); write it out without "
               "nested aliases, or split it"));
  } catch (const YAML::Exception&) {
    // Not YAML: the loader says where.
  }
  return absl::OkStatus();
}

}  // namespace pharos::model
