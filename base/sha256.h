// SHA-256 through OpenSSL's EVP interface.
#pragma once

#include <string>

namespace tender {

// Lowercase hex SHA-256 of `data` (64 characters).
std::string sha256Hex(const std::string& data);

}  // namespace tender
