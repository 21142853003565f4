// The --ready-file every Pharos process writes once it serves: the lines
// (the bound address first) written to PATH.tmp and renamed, so a reader
// never sees half a file.
#pragma once

#include <string>
#include <vector>

namespace pharos {

bool WriteReadyFile(const std::string& path, const std::vector<std::string>& lines);

}  // namespace pharos
