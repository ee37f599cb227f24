// The admin token: `tender serve` keeps one in `<state dir>/admin.token`
// (mode 0600, made on the first start and kept across restarts) and
// accepts it for every namespace, so with no --token-file only whoever may
// read that file drives the server.
#pragma once

#include <string>

#include "base/status.h"

namespace tender {

// The principal the admin token is known by, in events and logs.
inline constexpr char kAdminPrincipal[] = "local-admin";

// The state directory's admin token, made when there is none. Invalid when
// the file may be read by other users (the server refuses to start on a
// token it cannot trust to be secret).
Result<std::string> ensureAdminToken(const std::string& stateDir);

}  // namespace tender
