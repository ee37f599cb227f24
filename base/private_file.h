// Files only their owner may read: secrets such as tokens. Reading one that
// others may read (or write) is refused, as ssh refuses a private key it
// finds readable by others; writing one creates it with mode 0600 and
// replaces an old one in one rename, so no reader sees half of it.
#pragma once

#include <string>

#include "base/status.h"

namespace tender {

// The file's content. NotFound when it does not exist; Forbidden
// when this user may not read it; Invalid, naming the file, its mode and
// the chmod that fixes it, when its group or others may read or write it.
// `what` names the file for messages ("token file").
Result<std::string> readPrivateFile(const std::string& path, const std::string& what);

// Any file's content, whatever its mode (a certificate is public);
// NotFound, Forbidden or Unavailable as readPrivateFile, each message
// starting with `label`.
Result<std::string> readFile(const std::string& path, const std::string& label);

// Writes `content` to `path` with mode 0600 (through a temporary file in
// the same directory and a rename).
Status writePrivateFile(const std::string& path, const std::string& content);

// The token a token file holds: the first word of its first line that is
// neither blank nor a comment (a bare token, or a line of a --token-file
// table); read as readPrivateFile reads. Invalid when there is none.
Result<std::string> readTokenFile(const std::string& path);

// `bytes` random bytes from the system's generator, as hex.
std::string randomHex(int bytes);

}  // namespace tender
