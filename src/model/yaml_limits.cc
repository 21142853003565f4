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

// Thrown by the checker at the first bound crossed: the parse stops there.
struct OutOfBounds {
  std::string why;
};

std::string AtLine(const YAML::Mark& mark) {
  return mark.line >= 0 ? StrCat("line ", mark.line + 1, ": ") : std::string();
}

// Counts the expanded nodes as the parser emits events: an alias counts
// as the whole tree of its anchor. Throws at the first node over the
// limit, so a bomb costs no more than its own text.
class BoundsChecker : public YAML::EventHandler {
 public:
  BoundsChecker(int64_t max, int max_depth) : max_(max), max_depth_(max_depth) {}

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t anchor) override { Leaf(anchor); }
  void OnAlias(const YAML::Mark&, YAML::anchor_t anchor) override {
    auto it = sizes_.find(anchor);
    Add(it == sizes_.end() ? 1 : it->second);
  }
  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string&) override {
    CheckTag(mark, tag);
    Leaf(anchor);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    CheckTag(mark, tag);
    Open(mark, anchor);
  }
  void OnSequenceEnd() override { Close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    CheckTag(mark, tag);
    Open(mark, anchor);
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
  // yaml-cpp reports "?" for a plain node and "!" for a quoted one; any
  // other tag was written by the author.
  static void CheckTag(const YAML::Mark& mark, const std::string& tag) {
    if (tag.empty() || tag == "?" || tag == "!") return;
    throw OutOfBounds{StrCat(AtLine(mark), "YAML tag '", tag,
                             "' is not accepted: Pharos reads plain values only; remove the tag")};
  }
  void Open(const YAML::Mark& mark, YAML::anchor_t anchor) {
    if (static_cast<int>(stack_.size()) >= max_depth_) {
      throw OutOfBounds{
          StrCat(AtLine(mark), "the document nests deeper than ", max_depth_, " levels")};
    }
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
    if (expanded_ > max_) {
      throw OutOfBounds{StrCat("the document expands to more than ", max_,
                               " YAML nodes (aliases counted as the trees they stand for); write "
                               "it out without nested aliases, or split it")};
    }
  }
  // Sizes of nested aliases multiply: keep them just above the limit.
  int64_t Saturated(int64_t n) const { return std::min(n, max_ + 1); }

  int64_t max_;
  int max_depth_;
  int64_t expanded_ = 0;
  std::vector<Frame> stack_;
  std::map<YAML::anchor_t, int64_t> sizes_;
};

}  // namespace

absl::Status CheckYamlBounds(std::string_view text, const YamlBounds& bounds) {
  if (text.size() > bounds.max_bytes) {
    return absl::InvalidArgumentError(StrCat("the document is ", text.size(),
                                             " bytes; the limit is ", bounds.max_bytes, " bytes"));
  }
  std::istringstream in{std::string(text)};
  BoundsChecker checker(bounds.max_nodes, bounds.max_depth);
  try {
    YAML::Parser parser(in);
    parser.HandleNextDocument(checker);
  } catch (const OutOfBounds& e) {
    return absl::InvalidArgumentError(e.why);
  } catch (const YAML::Exception&) {
    // Not YAML: the loader says where.
  }
  return absl::OkStatus();
}

}  // namespace pharos::model
