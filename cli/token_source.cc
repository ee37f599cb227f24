// clientToken (token_source.h).

#include "cli/token_source.h"

#include <cctype>

#include "base/private_file.h"

namespace tender {

bool isLoopbackServer(const std::string& serverUrl) {
  const size_t scheme = serverUrl.find("://");
  if (scheme == std::string::npos) return false;
  std::string rest = serverUrl.substr(scheme + 3);
  rest = rest.substr(0, rest.find('/'));
  const size_t at = rest.rfind('@');
  if (at != std::string::npos) rest = rest.substr(at + 1);
  std::string host = rest;
  if (!host.empty() && host.front() == '[') {
    host = host.substr(1, host.find(']') == std::string::npos ? std::string::npos : host.find(']') - 1);
  } else {
    host = host.substr(0, host.find(':'));
  }
  if (host == "localhost" || host == "::1") return true;
  // 127.0.0.0/8, written as four numbers.
  if (host.rfind("127.", 0) != 0) return false;
  int dots = 0;
  for (char c : host) {
    if (c == '.') {
      ++dots;
    } else if (!std::isdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return dots == 3;
}

Result<std::string> clientToken(const TokenSources& sources) {
  if (!sources.flagOrEnv.empty()) return sources.flagOrEnv;
  if (sources.tokenFile && !sources.tokenFile->empty()) {
    auto token = readTokenFile(*sources.tokenFile);
    if (!token.ok()) return token.status().WithContext("TENDER_TOKEN_FILE");
    return token;
  }
  for (const std::string* file : {&sources.adminTokenFile, &sources.installedAdminTokenFile}) {
    if (file->empty()) continue;
    auto admin = readTokenFile(*file);
    // Not there, or not this user's to read: the next, else no token (the
    // server says 401).
    if (admin.status().IsNotFound() || admin.status().code() == Status::Code::kForbidden) continue;
    return admin;
  }
  return std::string();
}

}  // namespace tender
