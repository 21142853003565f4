// Bounded logs: a table keeps its newest `keep` rows by id.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "store/sqlite_db.h"

namespace pharos::store {

// Deletes what falls out of the newest `keep` rows of `table`, now that
// row `newest` is in (keep <= 0: keep all).
inline absl::Status PruneToNewest(Database& db, const char* table, int64_t newest, int64_t keep) {
  if (keep <= 0 || newest <= keep) return absl::OkStatus();
  absl::StatusOr<Statement> st =
      db.Prepare(std::string("DELETE FROM ") + table + " WHERE id <= ?;");
  if (!st.ok()) return st.status();
  return st->Bind(1, newest - keep).Run();
}

}  // namespace pharos::store
