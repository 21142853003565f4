// `pharos-broker token`: development keys and KUKSA-format tokens, so a
// secured broker can be tried without other tools:
//   pharos-broker token --new-key DIR            DIR/jwt.key + DIR/jwt.key.pub
//   pharos-broker token --key DIR/jwt.key --scope "read provide:Vehicle.Speed"
#pragma once

#include <CLI/CLI.hpp>

namespace pharos::broker {

struct TokenCommand {
  std::string new_key_dir;
  std::string key_kind = "rsa";
  std::string key;
  std::string scope = "read";
  std::string subject = "developer";
  int valid_seconds = 3600;

  void AddTo(CLI::App& token);
  // Prints the token (or where the keys went); returns the exit code.
  int Run() const;
};

}  // namespace pharos::broker
