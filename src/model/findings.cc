#include "model/findings.h"

#include <algorithm>
#include <tuple>

#include "common/strings.h"
#include "common/text.h"

namespace pharos::model {

std::string_view SeverityName(Severity s) {
  switch (s) {
    case Severity::kError:
      return "ERROR";
    case Severity::kWarning:
      return "WARNING";
    case Severity::kInfo:
      return "INFO";
  }
  return "ERROR";
}

namespace {

// Findings quote the document (keys, values, the YAML library's own
// messages): whatever it holds, a finding is one printable line.
std::string Printable(std::string text) {
  return NeedsEscape(text) ? EscapeControl(text) : std::move(text);
}

}  // namespace

void Findings::Add(Severity severity, std::string path, Mark mark, std::string description,
                   std::string recommendation) {
  items_.push_back(Finding{severity, Printable(std::move(path)), mark,
                           Printable(std::move(description)),
                           Printable(std::move(recommendation))});
}

bool Findings::HasErrors() const { return Count(Severity::kError) > 0; }

size_t Findings::Count(Severity s) const {
  return std::count_if(items_.begin(), items_.end(),
                       [s](const Finding& f) { return f.severity == s; });
}

std::string Findings::ErrorSummary(size_t max) const {
  std::vector<std::string> parts;
  size_t errors = 0;
  for (const auto& f : items_) {
    if (f.severity != Severity::kError) continue;
    if (++errors > max) continue;
    std::string where = f.path.empty() ? "" : f.path + ": ";
    if (f.mark.line) where = StrCat("line ", f.mark.line, ", ", where);
    parts.push_back(where + f.description);
  }
  std::string msg = StrCat(errors, " error(s): ", StrJoin(parts, "; "));
  if (errors > max) StrAppend(&msg, "; and ", errors - max, " more");
  return msg;
}

std::string Findings::FirstError() const {
  for (const auto& f : items_) {
    if (f.severity == Severity::kError) {
      return f.path.empty() ? f.description : StrCat(f.path, ": ", f.description);
    }
  }
  return "invalid";
}

void Findings::Append(const Findings& other) {
  items_.insert(items_.end(), other.items_.begin(), other.items_.end());
}

void Findings::SortByPosition() {
  std::stable_sort(items_.begin(), items_.end(), [](const Finding& a, const Finding& b) {
    // Findings without a position go last.
    int la = a.mark.line ? a.mark.line : 1 << 30;
    int lb = b.mark.line ? b.mark.line : 1 << 30;
    return std::tie(la, a.mark.column) < std::tie(lb, b.mark.column);
  });
}

}  // namespace pharos::model
