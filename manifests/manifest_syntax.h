// The small textual syntaxes inside manifests, shared by the manifest decoder
// and encoder and by anything that imports Compose files: port and volume
// short syntax, RFC 3339 times, CPU quantities, and how values are quoted in
// error messages.
//
// Errors are Status::Invalid whose message starts with the offending text
// quoted as JSON, so a caller can put it under a field path as it is:
//   spec.ports[1]: "70000:80": port 70000 is out of range (1-65535)
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "base/status.h"
#include "manifests/resource.h"

namespace tender {

// `value` as compact JSON for an error message: invalid UTF-8 is replaced, and
// anything longer than about 80 characters is cut with "...".
std::string quoteJson(const nlohmann::json& value);

// Compose short port syntax: "80", "8080:80", "127.0.0.1:8080:80",
// "[::1]:8080:80", "127.0.0.1::80", "8000-8002:80-82", "53:53/udp".
Result<PortMapping> parsePortSpec(const std::string& text);
// The canonical short form of `port`; parsePortSpec(formatPortSpec(p)) == p.
std::string formatPortSpec(const PortMapping& port);

// Compose short volume syntax: "name:/path[:ro|rw]", "/host:/path", "./rel:/path",
// "/anonymous". A source starting with '/', './' or '../' (or "." / "..") is a bind.
Result<VolumeMount> parseVolumeSpec(const std::string& text);

// Whether `source` names a host path (a bind mount) rather than a volume.
bool isBindSource(const std::string& source);

// "sha256:" and 64 lowercase hex digits: how an uploaded build context is
// named (spec.build.contextDigest).
bool isContextDigest(const std::string& text);

// An IPv4 or IPv6 address (no brackets, no zone).
bool isIpAddress(const std::string& text);

// An RFC 3339 date-time such as "2024-05-01T18:00:00Z" or "2024-05-01T20:00:00.5+02:00".
bool isRfc3339(const std::string& text);

// Nano-CPUs as the shortest decimal number of CPUs: 500000000 -> "0.5".
std::string formatCpuQuantity(int64_t nanoCpus);

const char* restartPolicyName(RestartPolicy policy);
const char* dependencyConditionName(DependencyCondition condition);
const char* securityLevelName(SecurityLevel level);
std::optional<SecurityLevel> parseSecurityLevel(const std::string& text);

// A device as Docker's --device takes it: "HOST[:CONTAINER[:PERMISSIONS]]",
// PERMISSIONS a non-empty mix of r, w and m. The container path defaults to
// the host's, the permissions to "rwm".
struct DeviceMapping {
  std::string hostPath;
  std::string containerPath;
  std::string permissions;
};
Result<DeviceMapping> parseDeviceSpec(const std::string& text);

}  // namespace tender
