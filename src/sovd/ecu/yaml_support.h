// What pharos-sovd's and pharos-ecu-sim's YAML files share: loading a file,
// reporting problems as "file:line: path: what" (one per line), numbers
// that may be written in hex, and the list of ECU description files an
// entity names.
#pragma once

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "model/findings.h"
#include "model/yaml_reader.h"
#include "sovd/ecu/ecu_description.h"

namespace pharos::sovd {

absl::Status FindingsError(const std::string& source, const model::Findings& findings);

// The parsed document, or INVALID_ARGUMENT "file:line: not YAML: …".
absl::StatusOr<YAML::Node> ParseYaml(const std::string& yaml, const std::string& source);
// NOT_FOUND naming the file.
absl::StatusOr<std::string> ReadYamlFile(const std::string& path);

// A number field ("0x10" or "16") within [min, max]; nullopt (reported)
// when malformed, nullopt (silent) when absent.
std::optional<uint64_t> NumberField(model::MapReader& reader, model::Findings& findings,
                                    const std::string& key, uint64_t min, uint64_t max,
                                    model::Need need = model::Need::kOptional);

// The ECU description files listed at `key`, relative to `folder`; each
// loaded one is handed to `add` with its YAML path and position. Problems
// in a description go to `ecu_errors` (they name their own file).
void ReadEcuFiles(
    model::MapReader& reader, model::Findings& findings, const std::string& key,
    const std::filesystem::path& folder, std::vector<std::string>& ecu_errors,
    const std::function<void(ecu::EcuDescription, const std::string& path, model::Mark mark)>& add);

// The findings and the descriptions' own errors as one INVALID_ARGUMENT;
// OK when there are none.
absl::Status AllErrors(const std::string& source, const model::Findings& findings,
                       const std::vector<std::string>& ecu_errors);

}  // namespace pharos::sovd
