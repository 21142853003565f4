#include "catalog_fixture.h"

#include <gtest/gtest.h>

#include "broker/vss/vss_loader.h"

namespace pharos::broker::testing {

Catalog SmallCatalog(const std::map<std::string, SignalId>& known) {
  auto specs = vss::LoadCatalog({{"small.json", kSmallCatalog}});
  EXPECT_TRUE(specs.ok()) << specs.status();
  auto catalog = Catalog::Build(*std::move(specs), known);
  EXPECT_TRUE(catalog.ok()) << catalog.status();
  return *std::move(catalog);
}

}  // namespace pharos::broker::testing
