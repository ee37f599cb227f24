// `tender serve`: wires the real parts together and runs until SIGINT/SIGTERM.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "server/admin_token.h"

namespace tender {

struct ServeOptions {
  // Each "host:port" or "unix:/path". Without a token file only loopback
  // addresses and unix sockets are allowed; any other also needs TLS (or
  // allowPlaintext).
  std::vector<std::string> listen{"127.0.0.1:7420"};
  // Bearer tokens and their namespaces (see api/auth.h); "" = no tokens.
  std::string tokenFile;
  // HTTPS on the TCP listeners: the certificate (chain) and its private key,
  // PEM files, both or neither; the key file must be private (mode 0600).
  // Without them an address other hosts can reach is refused unless
  // allowPlaintext (for a port something else keeps private, such as a
  // container's port published on the host's loopback only).
  std::string tlsCert;
  std::string tlsKey;
  bool allowPlaintext = false;
  std::string stateDir = ".tender";  // holds tender.db and the lock
  // Where backups of the store are kept (tender backup FILE writes them):
  // a store found damaged at start is set aside and the newest good file
  // here taken in its place. "" = none: a damaged store gives an empty one.
  std::string backupDir;
  std::string instance = "default";  // the tender.instance label value
  std::string engineHost;            // "" = DOCKER_HOST or the default socket
  // Reconcile workers, and the host-wide limit on concurrent container
  // starts (0: four per CPU). Both defaults are the fastest measured for a
  // 30-service apply on a 2-core host with the Debian engine (bench/apply.sh:
  // 8 and 8 gave 1.01x the direct Engine API; 4 and 2 gave 1.18-1.29x).
  int workers = 8;
  int startConcurrency = 0;
  int resyncSeconds = 30;        // full resync period
  int memorySampleSeconds = 15;  // memory per container, for /metrics
  // Where the host's /proc is read (MemAvailable, for admission's headroom
  // and eviction): a container mounts the host's at /host/proc. When it has
  // no meminfo, /proc is read: the kernel's view from inside the container,
  // which on Docker Desktop and Colima is the VM's.
  std::string procRoot = "/proc";
  int postMortemLogLines = 50;   // log lines kept with each death
  // History kept in the store: events per object, post-mortems per replica,
  // and the age beyond which both go. Pruned at start and every ten minutes.
  int keepEvents = 1000;
  int keepPostMortems = 20;
  int keepHistoryDays = 7;
  // A deleted object's events and post-mortems outlive it this long ("1h").
  std::string keepDeleted = "1h";
  // Before the first reconcile: how long to wait for the engine before an
  // error says what to do (tender keeps waiting after it).
  std::string engineWait = "60s";
  // This instance's leftovers are removed at start and then this often ("0": only at start).
  std::string cleanupInterval = "10m";
  // Cleanup runs early when the engine's data root has less free space than
  // this: a percentage of the disk ("10%") or a size ("5Gi"); "0" never.
  std::string minFreeDisk = "10%";
  // Memory admission: the host's memory ("" = the engine's MemTotal), the
  // share kept for the system, the MemAvailable headroom, and what a replica
  // that sets neither reservation nor limit counts.
  std::string hostMemory;
  std::string systemReserve = "10%";
  double memoryHeadroom = 1.2;
  std::string defaultReservation = "64Mi";
  // Eviction under memory pressure: below this MemAvailable ("" = the
  // larger of 5% of MemTotal and 256Mi), replicas under the priority floor
  // are stopped, lowest priority first; they start again once the pressure
  // has been gone for evictionRecovery. Changeable at runtime (PUT /api/v1/eviction).
  std::string evictionThreshold;
  int evictionPriorityFloor = 1000;
  std::string evictionRecovery = "30s";
  // json-file rotation of every container's log, unless its spec says otherwise.
  std::string logMaxSize = "10m";
  std::string logMaxFile = "3";
  size_t maxBodyBytes = 4 << 20;
  // Uploaded build contexts (store/upload_store.h): the largest one
  // upload may be, and what one namespace may hold in all.
  std::string maxBuildContextSize = "512Mi";
  std::string buildContextStorage = "2Gi";
  // Each token's fair share of the API (api/fair_share.h): a budget of
  // requestRate requests a second in bursts of up to requestBurst (past it:
  // 429 with Retry-After), and at most maxWatchesPerToken streams open at
  // once. 0 turns either off. The tokens named in budgetExempt (a comma
  // list; "" for none) are neither budgeted nor capped.
  double requestRate = 50;
  int requestBurst = 100;
  int maxWatchesPerToken = 8;
  std::string budgetExempt = kAdminPrincipal;
  std::string logLevel = "info";
  bool jsonLogs = false;
  // --config: the YAML file of these settings ("" none; see
  // server/serve_config_file.h), and the flags given on the command line
  // ("--workers"), which win over it, also when SIGHUP re-reads it.
  std::string configFile;
  std::vector<std::string> flagsGiven;
};

// Returns the process exit code.
int runServe(const ServeOptions& options);

// `tender restore FILE --state-dir DIR`: with no server on DIR (its lock
// free), checks FILE (integrity, a tender store, a schema this build
// reads) and puts it in place of DIR/tender.db, the old one set aside.
// Messages to `out` and `err`; returns the exit code.
int runRestore(const std::string& file, const std::string& stateDir, std::ostream& out,
               std::ostream& err);

}  // namespace tender
