#include "common/ready_file.h"

#include <filesystem>
#include <fstream>

namespace pharos {

bool WriteReadyFile(const std::string& path, const std::vector<std::string>& lines) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    for (const std::string& line : lines) out << line << "\n";
    if (!out) return false;
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  return !ec;
}

}  // namespace pharos
