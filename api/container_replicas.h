// Which of a service's containers a route reads or runs things in (logs,
// stats, exec). Defined in container_routes.cc; internal to api/.
#pragma once

#include <string>
#include <vector>

#include "api/router.h"
#include "base/status.h"
#include "engine/docker_engine.h"
#include "store/store.h"

namespace tender {

struct Replica {
  int index = -1;
  ContainerSummary container;
};

// The service's containers, by replica (several for one replica while an
// older spec's container is replaced), only replica `only` when >= 0.
Result<std::vector<Replica>> replicasOf(DockerEngine& engine, const std::string& instance,
                                        const std::string& ns, const std::string& name, int only);

// The replica a command or a sample goes to: replica `replica` when >= 0,
// else the first running one; its container must run (Conflict otherwise,
// NotFound when it has none).
Result<ContainerSummary> runningReplica(DockerEngine& engine, const std::string& instance,
                                        const std::string& ns, const std::string& name, int replica);

// ?param=N with N >= 0; -1 when absent.
Result<int> nonNegative(const HttpRequest& req, const std::string& param);

// NotFound unless the service is in the store (and not being deleted).
Status serviceExists(Store& store, const std::string& ns, const std::string& name);

}  // namespace tender
