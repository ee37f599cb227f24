// Which container tender itself runs in, if any: the engine mounts a
// container's /etc/hostname, /etc/hosts and /etc/resolv.conf from its own
// folder for that container (.../containers/<id>/hostname), which
// /proc/self/mountinfo shows. Pure: the caller reads the file.
#pragma once

#include <optional>
#include <string>

namespace tender {

// The 64-hex container id behind /etc/hostname (or /etc/hosts,
// /etc/resolv.conf) in `mountinfo`; nullopt outside a container.
std::optional<std::string> ownContainerId(const std::string& mountinfo);

}  // namespace tender
