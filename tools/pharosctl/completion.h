// Shell completion, generated from the command tree itself so it cannot
// drift from what pharosctl accepts.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace pharosctl {

// Prints the completion script for `shell` (bash); kUsage for another.
int PrintCompletion(const CLI::App& app, const std::string& shell);

}  // namespace pharosctl
