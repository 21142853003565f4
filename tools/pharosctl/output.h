// How pharosctl talks to people: aligned tables, coloured findings with
// the offending source line, and JSON for scripts.
#pragma once

#include <string>
#include <vector>

#include "pharos/api/v1/pharos_common.pb.h"

namespace pharosctl {

// Exit codes scripts can rely on (documented in docs/pharosctl.md).
enum ExitCode {
  kOk = 0,
  kFailed = 1,       // the operation failed or the configuration is invalid
  kUsage = 2,        // bad command line
  kUnreachable = 3,  // pharosd not reachable (or not answering in time)
  kNotFound = 4,     // unknown version or component
  kUnsupported = 5,  // pharosd does not implement this yet
  kDenied = 6,       // not authenticated, or the token's role may not do this
};

struct Style {
  bool color = false;
  std::string Red(const std::string& s) const { return Wrap("31;1", s); }
  std::string Yellow(const std::string& s) const { return Wrap("33;1", s); }
  std::string Green(const std::string& s) const { return Wrap("32;1", s); }
  std::string Dim(const std::string& s) const { return Wrap("2", s); }
  std::string Bold(const std::string& s) const { return Wrap("1", s); }

 private:
  std::string Wrap(const char* code, const std::string& s) const {
    return color ? "\033[" + std::string(code) + "m" + s + "\033[0m" : s;
  }
};

void PrintTable(const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows);

// Prints findings, each with the source line it points at (when `source`
// is the text that was validated) and a summary line. Returns the number
// of errors.
int PrintIssues(const std::vector<pharos::api::v1::ValidationIssue>& issues,
                const std::string& source, const std::string& file_name, const Style& style);

}  // namespace pharosctl
