// The schema of pharos.db, as an append-only list of migrations. Later
// modules (IPAM, callback outbox, registry) append their tables here.
#pragma once

#include <vector>

#include "store/sqlite_db.h"

namespace pharos::store {

const std::vector<Migration>& PharosMigrations();

}  // namespace pharos::store
