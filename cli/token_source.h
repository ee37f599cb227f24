// Which token the CLI sends. The first that is given wins: --token, then
// TENDER_TOKEN, then the file named by TENDER_TOKEN_FILE, then the default
// state directory's admin.token when this user may read it (so the admin
// of a local server needs no flag, and anyone else gets the server's 401).
#pragma once

#include <optional>
#include <string>

#include "base/status.h"

namespace tender {

struct TokenSources {
  std::string flagOrEnv;                 // --token, else TENDER_TOKEN (CLI11 merges them)
  std::optional<std::string> tokenFile;  // TENDER_TOKEN_FILE
  std::string adminTokenFile;            // "<default state dir>/admin.token"
  // Tried when adminTokenFile gives none: the installed daemon's
  // ("/var/lib/tender/admin.token"), for whoever may read it.
  std::string installedAdminTokenFile;
};

// Whether `serverUrl` names this host's loopback ("http://127.0.0.1:7420",
// "https://localhost:7420", "http://[::1]:7420"): the only servers a local
// admin token file is sent to.
bool isLoopbackServer(const std::string& serverUrl);

// The token; "" for none. An error when TENDER_TOKEN_FILE cannot be read,
// or when a token file may be read by other users (named, with its mode).
Result<std::string> clientToken(const TokenSources& sources);

}  // namespace tender
