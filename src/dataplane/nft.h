// libnftables inside a network namespace: one buffer, one transaction.
#pragma once

#include <string>

#include "absl/status/status.h"

namespace pharos::dataplane {

enum class NftSyntax { kJson, kText };

// Runs `commands` (nft JSON or nft's own syntax) in namespace `ns` ("" for
// our own) as one atomic transaction; `output` (optional) receives what nft
// prints (JSON when `syntax` is kJson).
absl::Status RunNftInNamespace(const std::string& ns, const std::string& commands,
                               NftSyntax syntax, std::string* output = nullptr);

}  // namespace pharos::dataplane
