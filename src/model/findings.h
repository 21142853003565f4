// Validation findings: what the parser and validator tell a person about
// their YAML. Every finding has a YAML path; errors also have a position.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace pharos::model {

enum class Severity { kError, kWarning, kInfo };

std::string_view SeverityName(Severity s);  // "ERROR", "WARNING", "INFO"

// 1-based position in the YAML text; 0 means unknown.
struct Mark {
  int line = 0;
  int column = 0;
};

struct Finding {
  Severity severity = Severity::kError;
  std::string path;  // "vehicle.socs[0].vms[0].ip"
  Mark mark;
  std::string description;
  std::string recommendation;
};

class Findings {
 public:
  void Add(Severity severity, std::string path, Mark mark, std::string description,
           std::string recommendation = {});
  void Error(std::string path, Mark mark, std::string description,
             std::string recommendation = {}) {
    Add(Severity::kError, std::move(path), mark, std::move(description), std::move(recommendation));
  }
  void Warning(std::string path, Mark mark, std::string description,
               std::string recommendation = {}) {
    Add(Severity::kWarning, std::move(path), mark, std::move(description),
        std::move(recommendation));
  }
  void Info(std::string path, Mark mark, std::string description, std::string recommendation = {}) {
    Add(Severity::kInfo, std::move(path), mark, std::move(description), std::move(recommendation));
  }

  bool HasErrors() const;
  size_t Count(Severity s) const;
  // "2 error(s): line 5, a.b: what; c: what": the first `max` errors, for
  // status messages (the full list goes into the response).
  std::string ErrorSummary(size_t max = 3) const;
  // "path: what" of the first error ("invalid" when there is none): the
  // one-line reason a request's text is refused.
  std::string FirstError() const;
  const std::vector<Finding>& items() const { return items_; }
  void Append(const Findings& other);
  // Stable order: by position in the document, then path.
  void SortByPosition();

 private:
  std::vector<Finding> items_;
};

}  // namespace pharos::model
