// `tender prune`: asks the server to remove what this instance left behind
// (POST /api/v1/prune) and prints what went and how much space came back.
#pragma once

#include <ostream>

#include "cli/api_client.h"

namespace tender {

struct PruneOptions {
  bool dryRun = false;
  bool images = false;   // also images tender built that nothing uses
  bool volumes = false;  // also volumes of namespaces that hold nothing (their data goes)
  bool allHost = false;  // the engine's own prunes: everyone's stopped containers, unused networks...
};

// A table of the removed objects, then a total line. Exit code 1 when some
// object could not be removed or the call failed.
int runPrune(const PruneOptions& options, ApiClient& client, std::ostream& out, std::ostream& err);

}  // namespace tender
