// Reads VSS catalogs in the JSON form vss-tools exports (the form KUKSA's
// --vss takes) into the core's SignalSpecs. Several documents are merged
// in order: a later one overrides the fields it names and adds nodes, so
// an overlay can add a signal or change one's limits. A malformed catalog
// is refused with its file and the JSON path of the problem.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "broker/core/catalog.h"

namespace pharos::broker::vss {

struct CatalogSource {
  std::string name;  // a file name, shown in errors
  std::string json;
};

absl::StatusOr<std::vector<SignalSpec>> LoadCatalog(const std::vector<CatalogSource>& sources);

// The catalog compiled into the binary (VSS 4.0, data/vss/).
CatalogSource DefaultCatalog();

// Reads a file into a CatalogSource (NOT_FOUND naming it when unreadable).
absl::StatusOr<CatalogSource> ReadCatalogFile(const std::string& path);

}  // namespace pharos::broker::vss
