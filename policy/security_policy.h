// What a namespace's security level allows its objects to ask of the host,
// as Kubernetes' Pod Security Standards do it:
//
//   privileged  anything.
//   baseline    no privileged containers, no capabilities beyond Docker's
//               defaults, none of the host's network, pid, ipc or uts
//               namespaces, no other namespace's container to join, no host
//               devices, no bind of a host path outside the namespace's
//               allowed host paths (the Docker socket never), no external
//               networks or volumes, no network driver but bridge and no
//               volume driver but local, without options (they mount host
//               paths), not the engine's shared default bridge, nothing
//               that turns confinement off
//               (seccomp, AppArmor, SELinux labels, system paths), no log
//               driver but json-file and local, host ports inside the allowed
//               range. (A build context is an upload at every level: the
//               server reads no folder a request names, request_admission.h.)
//   restricted  baseline, and: a non-root user, no-new-privileges, every
//               capability dropped but NET_BIND_SERVICE.
//
// securityViolations() is the decision: pure but for how a host path reads
// on the host now (the caller passes the resolver, so tests give their own).
// Each refusal names the field and says why, with the level.
//
// Thread-safety: pure functions.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "manifests/resource.h"

namespace tender {

// A host path as the host reads it now: symlinks and ".." followed.
using ResolveHostPath = std::function<std::string(const std::string&)>;

// The real one: std::filesystem::weakly_canonical (a missing tail stays as
// written, normalized).
ResolveHostPath hostPathResolver();

// What an object is checked against.
struct PolicyScope {
  std::string namespace_;
  SecurityLevel level = SecurityLevel::kBaseline;
  SecuritySpec security;  // the namespace's allowed host paths and ports
  // Never bound below privileged, nor any folder that holds them.
  std::vector<std::string> engineSockets = {"/var/run/docker.sock", "/run/docker.sock"};
};

// Every field of `resource` that `scope` refuses, each path under `prefix`
// ("[2]." for the third object of a request). Empty: admitted.
std::vector<FieldError> securityViolations(const Resource& resource, const PolicyScope& scope,
                                           const ResolveHostPath& resolve,
                                           const std::string& prefix = "");

// Why a bind of host path `source` is refused below privileged, or nullopt:
// the engine's socket (or a folder holding it) never; otherwise it must
// resolve to an allowed host path or below one, and be read-only unless
// that path is writable. The error's field is "source" or "readOnly".
std::optional<FieldError> hostPathRefusal(const std::string& source, bool readOnly,
                                          const PolicyScope& scope,
                                          const ResolveHostPath& resolve);

// Whether `container` (an engine name, "ns.service.replica") belongs to
// namespace `ns`.
bool containerOfNamespace(const std::string& container, const std::string& ns);

}  // namespace tender
