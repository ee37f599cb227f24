// GET /api/v1/backup: a consistent copy of the store, taken while the
// server runs, for a token for all namespaces only.
#pragma once

#include <string>

#include "api/router.h"
#include "store/store.h"

namespace tender {

// The copy is written to a temporary file in `tempDir` (the state
// directory: the same file system, the same privacy), sent, and removed.
// `store` must outlive the router.
void registerBackupApi(Router& router, Store& store, std::string tempDir);

}  // namespace tender
