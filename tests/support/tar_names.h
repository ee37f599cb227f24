// The entry names of an uncompressed tar, in order: what a build context
// holds, for tests to compare.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tender {
namespace testing {

inline std::vector<std::string> namesInTar(const std::string& tar) {
  std::vector<std::string> names;
  size_t at = 0;
  while (at + 512 <= tar.size() && tar[at] != '\0') {
    names.emplace_back(tar.c_str() + at);
    const uint64_t size = std::stoull(tar.substr(at + 124, 11), nullptr, 8);
    at += 512 + (size + 511) / 512 * 512;
  }
  return names;
}

}  // namespace testing
}  // namespace tender
