// How Compose merges an override file onto a base (`-f base.yml -f
// override.yml`, or compose.override.yaml beside the main file). Used by
// loadCompose; apart so its rules read on their own.
//
// Mappings merge key by key, the override winning. Per service:
// environment, labels, build.args, extra_hosts, sysctls and ulimits merge as
// mappings whichever form (list or map) each side uses; depends_on and
// networks merge by name; volumes by container path; ports, expose, cap_add,
// cap_drop, dns, env_file, profiles, tmpfs and the like are appended (without
// repeats); command, entrypoint and healthcheck.test are replaced.
//
// Thread-safety: pure function.
#pragma once

#include <nlohmann/json.hpp>

namespace tender {

// `override` merged onto `base`; both are whole Compose documents (objects).
nlohmann::json mergeComposeDocuments(const nlohmann::json& base, const nlohmann::json& override);

// One service merged onto another by the same rules: what `extends` does
// with the service it names (`base`) and the one that extends it.
nlohmann::json mergeComposeService(const nlohmann::json& base, const nlohmann::json& override);

}  // namespace tender
