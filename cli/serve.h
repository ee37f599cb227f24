// `tender serve`: wires the real parts together and runs until SIGINT/SIGTERM.
#pragma once

#include <cstdint>
#include <string>

namespace tender {

struct ServeOptions {
  std::string listen = "127.0.0.1:7420";  // host:port
  std::string stateDir = ".tender";       // holds tender.db and the lock
  std::string instance = "default";       // the tender.instance label value
  std::string engineHost;                 // "" = DOCKER_HOST or the default socket
  int workers = 4;                        // reconcile workers
  int startConcurrency = 0;               // 0 = default
  int resyncSeconds = 30;                 // full resync period
  size_t maxBodyBytes = 4 << 20;
  std::string logLevel = "info";
  bool jsonLogs = false;
};

// Returns the process exit code.
int runServe(const ServeOptions& options);

}  // namespace tender
