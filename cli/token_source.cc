// clientToken (token_source.h).

#include "cli/token_source.h"

#include "base/private_file.h"

namespace tender {

Result<std::string> clientToken(const TokenSources& sources) {
  if (!sources.flagOrEnv.empty()) return sources.flagOrEnv;
  if (sources.tokenFile && !sources.tokenFile->empty()) {
    auto token = readTokenFile(*sources.tokenFile);
    if (!token.ok()) return token.status().WithContext("TENDER_TOKEN_FILE");
    return token;
  }
  if (sources.adminTokenFile.empty()) return std::string();
  auto admin = readTokenFile(sources.adminTokenFile);
  // Not there, or not this user's to read: no token (the server says 401).
  if (admin.status().IsNotFound() || admin.status().code() == Status::Code::kForbidden) return std::string();
  return admin;
}

}  // namespace tender
