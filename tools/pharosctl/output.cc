#include "output.h"

#include <algorithm>
#include <iostream>
#include <sstream>

namespace pharosctl {

void PrintTable(const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width(header.size());
  for (size_t i = 0; i < header.size(); ++i) width[i] = header[i].size();
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size() && i < width.size(); ++i) {
      width[i] = std::max(width[i], row[i].size());
    }
  }
  auto print_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
    }
    std::cout << line << "\n";
  };
  print_row(header);
  for (const auto& row : rows) print_row(row);
}

namespace {

std::string SourceLine(const std::string& source, int line) {
  std::istringstream in(source);
  std::string text;
  for (int i = 1; std::getline(in, text); ++i) {
    if (i == line) return text;
  }
  return "";
}

}  // namespace

int PrintIssues(const std::vector<pharos::api::v1::ValidationIssue>& issues,
                const std::string& source, const std::string& file_name, const Style& style) {
  int errors = 0, warnings = 0, infos = 0;
  for (const auto& issue : issues) {
    std::string sev = issue.severity();
    std::string label;
    if (sev == "ERROR") {
      ++errors;
      label = style.Red("error");
    } else if (sev == "WARNING") {
      ++warnings;
      label = style.Yellow("warning");
    } else {
      ++infos;
      label = style.Dim("info");
    }
    std::string where = file_name;
    if (issue.line() > 0) {
      where += ":" + std::to_string(issue.line()) + ":" + std::to_string(issue.column());
    }
    std::cout << style.Bold(where) << ": " << label << ": " << issue.description() << "\n";
    if (!issue.path().empty()) std::cout << "    at " << issue.path() << "\n";
    std::string text = issue.line() > 0 ? SourceLine(source, issue.line()) : "";
    if (!text.empty()) {
      std::cout << "    " << std::to_string(issue.line()) << " | " << text << "\n";
      std::string gutter(std::to_string(issue.line()).size(), ' ');
      int col = std::max(1, issue.column());
      std::cout << "    " << gutter << " | " << std::string(col - 1, ' ') << style.Green("^")
                << "\n";
    }
    if (!issue.recommendation().empty()) {
      std::cout << "    " << style.Green("fix:") << " " << issue.recommendation() << "\n";
    }
  }
  if (errors) {
    std::cout << style.Red("invalid") << ": " << errors << " error(s), " << warnings
              << " warning(s), " << infos << " note(s)\n";
  } else {
    std::cout << style.Green("valid") << ": " << warnings << " warning(s), " << infos
              << " note(s)\n";
  }
  return errors;
}

}  // namespace pharosctl
