// Where a sample's values come from: the core's port. pharosd's own data
// (daemon/cloud_fields) and pharos-broker's signals (cloud/kuksa_fields)
// implement it; unit tests use a fake.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "cloud/fields.h"

namespace pharos::cloud {

// No value (a signal never set), or one scalar.
using FieldValue = std::variant<std::monostate, bool, int64_t, double, std::string>;

struct FieldSample {
  std::string path;  // "Vehicle.Speed", "pharos.network.status.soc1"
  FieldValue value;
  Priority priority = Priority::kTelemetry;
};

class FieldSource {
 public:
  virtual ~FieldSource() = default;
  // The current values of `fields` (the sampled ones of this source's
  // kind; globs expanded). An error means none could be read; a field
  // that could not be read while others were adds its reason to
  // `problems`; a field that names nothing reads as no samples.
  virtual absl::StatusOr<std::vector<FieldSample>> Read(const std::vector<Field>& fields,
                                                        std::vector<std::string>& problems) = 0;
};

}  // namespace pharos::cloud
