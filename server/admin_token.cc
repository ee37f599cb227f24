// ensureAdminToken (admin_token.h).

#include "server/admin_token.h"

#include "base/private_file.h"
#include "base/state_dir.h"

namespace tender {

Result<std::string> ensureAdminToken(const std::string& stateDir) {
  const std::string path = stateDir + "/" + kAdminTokenFile;
  auto kept = readTokenFile(path);
  if (kept.ok() || !kept.status().IsNotFound()) return kept;
  const std::string token = randomHex(24);
  Status written = writePrivateFile(path, token + "\n");
  if (!written.ok()) return written.WithContext("the admin token");
  return token;
}

}  // namespace tender
