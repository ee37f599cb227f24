#include "engine/own_container.h"

#include <cctype>
#include <sstream>

namespace tender {
namespace {

bool isId(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!std::isxdigit(static_cast<unsigned char>(c)) || std::isupper(static_cast<unsigned char>(c))) return false;
  return true;
}

}  // namespace

std::optional<std::string> ownContainerId(const std::string& mountinfo) {
  std::istringstream in(mountinfo);
  std::string line;
  while (std::getline(in, line)) {
    // "ID PARENT MAJ:MIN ROOT MOUNTPOINT ...": ROOT is the mounted file's
    // path on its filesystem, MOUNTPOINT where it is seen.
    std::istringstream fields(line);
    std::string id, parent, dev, root, mountPoint;
    if (!(fields >> id >> parent >> dev >> root >> mountPoint)) continue;
    if (mountPoint != "/etc/hostname" && mountPoint != "/etc/hosts" && mountPoint != "/etc/resolv.conf")
      continue;
    const size_t at = root.rfind("/containers/");
    if (at == std::string::npos) continue;
    const size_t start = at + 12;
    const size_t end = root.find('/', start);
    if (end == std::string::npos) continue;
    std::string candidate = root.substr(start, end - start);
    if (isId(candidate)) return candidate;
  }
  return std::nullopt;
}

}  // namespace tender
