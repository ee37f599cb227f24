// The commands about the desired state as a whole: `tender backup FILE`
// (GET /api/v1/backup: a consistent copy of the server's store) and
// `tender export` (every desired object as manifests `tender apply -f`
// takes back).
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/api_client.h"

namespace tender {

// Writes the server's backup to `file` (through FILE.part, mode 0600,
// renamed when whole: a copy cut short never takes FILE's name). Exit code.
int runBackup(const std::string& file, ApiClient& client, std::ostream& out, std::ostream& err);

// Pure: the objects of the API's lists (any kinds, any order) as YAML
// manifests, one document each: namespaces first, then networks, volumes
// and services, each by namespace and name. Only what an apply reads is
// written (apiVersion, kind, metadata's name, namespace and labels, spec);
// status, uids and versions are not, nor objects being deleted.
std::string manifestsOf(const std::vector<nlohmann::json>& objects);

// Every object the token sees (GET /api/v1/{namespaces,networks,volumes,
// services}) as manifestsOf, to `file` ("" or "-": `out`). Exit code.
int runExport(const std::string& file, ApiClient& client, std::ostream& out, std::ostream& err);

}  // namespace tender
