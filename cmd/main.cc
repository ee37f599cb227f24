// The tender command: parses the command line and hands over to `serve` or
// to a client-side subcommand. Exit codes: 0 ok, 1 error, 2 usage error.
#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include "base/clock.h"
#include "base/private_file.h"
#include "base/state_dir.h"
#include "cli/api_client.h"
#include "cli/commands.h"
#include "cli/compose_command.h"
#include "cli/container_commands.h"
#include "cli/prune_command.h"
#include "cli/store_commands.h"
#include "cli/token_source.h"
#include "manifests/manifest.h"
#include "server/doctor.h"
#include "server/serve.h"

namespace {

constexpr int kUsageError = 2;

int usageError(const std::string& message) {
  std::cerr << "error: " << message << "\nRun with --help for more information.\n";
  return kUsageError;
}

// Every subcommand's options, bound to the parser, and the subcommands.
struct Commands {
  tender::ServeOptions serve;
  std::string logFormat = "text";
  tender::ApplyOptions apply;
  std::string waitTimeout;
  CLI::Option* timeoutFlag = nullptr;
  tender::GetOptions get;
  tender::DescribeOptions describe;
  tender::LogsOptions logs;
  tender::RestartOptions restart;
  tender::ExecOptions exec;
  tender::TopOptions top;
  tender::EventsOptions events;
  tender::DeleteOptions del;
  std::vector<std::string> deleteArgs;
  tender::PruneOptions prune;
  tender::ConvertOptions convert;
  std::string tokenStateDir = tender::kDefaultStateDir;
  std::string backupFile;
  std::string restoreFile;
  std::string restoreStateDir = tender::kDefaultStateDir;
  std::string exportFile;
  CLI::App* backupCmd = nullptr;
  CLI::App* restoreCmd = nullptr;
  CLI::App* exportCmd = nullptr;
  tender::DoctorOptions doctor;
  CLI::App* doctorCmd = nullptr;
  CLI::App* serveCmd = nullptr;
  CLI::App* applyCmd = nullptr;
  CLI::App* getCmd = nullptr;
  CLI::App* describeCmd = nullptr;
  CLI::App* logsCmd = nullptr;
  CLI::App* restartCmd = nullptr;
  CLI::App* execCmd = nullptr;
  CLI::App* topCmd = nullptr;
  CLI::App* eventsCmd = nullptr;
  CLI::App* deleteCmd = nullptr;
  CLI::App* pruneCmd = nullptr;
  CLI::App* convertCmd = nullptr;
  CLI::App* tokenCmd = nullptr;
  CLI::App* versionCmd = nullptr;
};

// Who may reach the API and how: listeners, tokens, TLS.
void addServeAccessFlags(CLI::App* serve, tender::ServeOptions& o) {
  serve
      ->add_option("--listen", o.listen,
                   "Address of the API: HOST:PORT or unix:/path; repeatable")
      ->capture_default_str();
  serve
      ->add_option("--token-file", o.tokenFile,
                   "Bearer tokens: lines of TOKEN NAME NAMESPACES (* or ns1,ns2)")
      ->check(CLI::ExistingFile);
  serve->add_option("--tls-cert", o.tlsCert,
                         "HTTPS on the TCP listeners: the server's certificate (PEM; "
                         "intermediates after it); needs --tls-key");
  serve->add_option("--tls-key", o.tlsKey,
                         "The certificate's private key (PEM, unencrypted, mode 0600)");
  serve->add_flag("--allow-plaintext", o.allowPlaintext,
                       "Serve plain HTTP on an address other hosts may reach (when something "
                       "else keeps it private); tokens are still required");
}

// The state, the engine and the loop.
void addServeEngineFlags(CLI::App* serve, tender::ServeOptions& o) {
  serve->add_option("--state-dir", o.stateDir, "Directory of the database and lock")
      ->capture_default_str();
  serve->add_option("--backup-dir", o.backupDir,
                    "Backups of the store (tender backup FILE): a store found damaged at start "
                    "is set aside and the newest good one here taken instead");
  serve
      ->add_option("--instance", o.instance,
                   "Instance name: the tender.instance label of what this server owns")
      ->capture_default_str();
  serve->add_option("--engine", o.engineHost,
                         "Docker engine (unix:///path or tcp://host:port); default DOCKER_HOST "
                         "or the local socket");
  serve->add_option("--workers", o.workers, "Reconcile workers")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  serve
      ->add_option("--start-concurrency", o.startConcurrency,
                   "Containers started at once (0: default)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  serve->add_option("--resync", o.resyncSeconds, "Seconds between full resyncs")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
}

// What is kept of each death and object.
void addServeHistoryFlags(CLI::App* serve, tender::ServeOptions& o) {
  serve
      ->add_option("--post-mortem-lines", o.postMortemLogLines,
                   "Last log lines kept with the post-mortem of each container death")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  serve->add_option("--keep-events", o.keepEvents, "Events kept per object")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  serve
      ->add_option("--keep-post-mortems", o.keepPostMortems, "Post-mortems kept per replica")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
}

// Memory: admission and eviction.
void addServeMemoryFlags(CLI::App* serve, tender::ServeOptions& o) {
  serve->add_option(
      "--host-memory", o.hostMemory,
      "Memory replicas are admitted against (2Gi); default: the engine's MemTotal");
  serve
      ->add_option("--system-reserve", o.systemReserve,
                   "Share of the host's memory never admitted (10%)")
      ->capture_default_str();
  serve
      ->add_option("--memory-headroom", o.memoryHeadroom,
                   "A replica starts only while MemAvailable exceeds its request times this")
      ->check(CLI::Range(1.0, 10.0))
      ->capture_default_str();
  serve
      ->add_option("--default-reservation", o.defaultReservation,
                   "What a replica with neither memory reservation nor limit counts (64Mi)")
      ->capture_default_str();
  serve->add_option(
      "--eviction-threshold", o.evictionThreshold,
      "Evict replicas while MemAvailable is below this (default: 5% of memory, at least 256Mi)");
  serve
      ->add_option("--eviction-priority-floor", o.evictionPriorityFloor,
                   "Services with this priority or more are never evicted")
      ->capture_default_str();
  serve
      ->add_option("--eviction-recovery", o.evictionRecovery,
                   "How long the pressure must be gone before evicted replicas start again")
      ->capture_default_str();
}

// Logs, history and the engine's disk.
void addServeHousekeepingFlags(CLI::App* serve, tender::ServeOptions& o) {
  serve
      ->add_option("--log-max-size", o.logMaxSize,
                   "Containers' logs rotate at this size (json-file max-size: 10m, 1g)")
      ->capture_default_str();
  serve
      ->add_option("--log-max-file", o.logMaxFile, "Rotated log files kept per container")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  serve
      ->add_option("--keep-deleted", o.keepDeleted,
                   "How long a deleted object's events and post-mortems are kept (1h, 30m)")
      ->capture_default_str();
  serve
      ->add_option(
          "--engine-wait", o.engineWait,
          "How long to wait for the Docker engine at start before an error says what to do")
      ->capture_default_str();
  serve
      ->add_option("--cleanup-interval", o.cleanupInterval,
                   "How often this instance's leftovers are removed (0: only at start)")
      ->capture_default_str();
  serve
      ->add_option("--min-free-disk", o.minFreeDisk,
                   "Clean up early when the engine's disk has less free space (10%, 5Gi; 0: never)")
      ->capture_default_str();
  serve
      ->add_option("--keep-history-days", o.keepHistoryDays,
                   "Days events and post-mortems are kept")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  serve
      ->add_option("--memory-sample", o.memorySampleSeconds,
                   "Seconds between samples of each container's memory (for /metrics)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  serve
      ->add_option("--proc-root", o.procRoot,
                   "Where the host's /proc is (MemAvailable): /proc, or /host/proc in a container "
                   "that mounts the host's; /proc when it has no meminfo")
      ->capture_default_str();
}

// What one request, and one token, may ask.
void addServeLimitFlags(CLI::App* serve, tender::ServeOptions& o) {
  serve
      ->add_option("--max-body-bytes", o.maxBodyBytes, "Largest request body the API accepts")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  serve
      ->add_option("--max-build-context-size", o.maxBuildContextSize,
                   "Largest build context one upload may be (its tar)")
      ->capture_default_str();
  serve
      ->add_option("--build-context-storage", o.buildContextStorage,
                   "Uploaded build contexts one namespace may hold in all; those no service "
                   "names are removed an hour after their upload")
      ->capture_default_str();
  serve
      ->add_option("--request-rate", o.requestRate,
                   "Requests a second each token may send on average; past it 429 with "
                   "Retry-After (0: no budget)")
      ->capture_default_str();
  serve
      ->add_option("--request-burst", o.requestBurst,
                   "Requests a token may send at once before --request-rate applies")
      ->capture_default_str();
  serve
      ->add_option("--max-watches-per-token", o.maxWatchesPerToken,
                   "Event watches each token may hold open at once; past it 429 (0: no cap)")
      ->capture_default_str();
  serve
      ->add_option("--budget-exempt", o.budgetExempt,
                   "Token names neither budgeted nor capped, comma-separated (\"\": none)")
      ->capture_default_str();
}

// `tender serve` and its flags, in the order --help shows them.
void addServe(CLI::App& app, Commands& c) {
  c.serveCmd = app.add_subcommand("serve", "Run the controller and its REST API");
  c.serveCmd
      ->add_option("--config", c.serve.configFile,
                   "YAML file of these settings, each flag's name in camelCase (stateDir: DIR); "
                   "a flag given here wins; re-read on SIGHUP")
      ->envname("TENDER_CONFIG")
      ->check(CLI::ExistingFile);
  addServeAccessFlags(c.serveCmd, c.serve);
  addServeEngineFlags(c.serveCmd, c.serve);
  addServeHistoryFlags(c.serveCmd, c.serve);
  addServeMemoryFlags(c.serveCmd, c.serve);
  addServeHousekeepingFlags(c.serveCmd, c.serve);
  addServeLimitFlags(c.serveCmd, c.serve);
  c.serveCmd->add_option("--log-level", c.serve.logLevel, "Log level")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}))
      ->capture_default_str();
  c.serveCmd->add_option("--log-format", c.logFormat, "Log lines as text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
}

// `tender apply`.
void addApply(CLI::App& app, Commands& c) {
  c.applyCmd = app.add_subcommand("apply", "Create or update resources from manifests");
  c.applyCmd->add_option("-f,--filename", c.apply.files, "FILE, DIR or - (stdin); repeatable")
      ->required();
  c.applyCmd->add_option("-n,--namespace", c.apply.ns, "Namespace for objects that name none");
  c.applyCmd->add_flag(
      "--dry-run", c.apply.dryRun,
      "Show what would change (and each service's container plan); change nothing");
  c.applyCmd->add_flag(
      "--prune", c.apply.prune,
      "Delete objects of the manifests' namespaces that the manifests no longer name");
  c.applyCmd->add_option(
      "--ttl", c.apply.ttl,
      "Namespaces this apply creates are deleted, with everything in them, after this long "
      "(e.g. 1h; for CI runs)");
  c.applyCmd->add_flag("--wait", c.apply.wait, "Wait until the applied services are ready");
  c.applyCmd->add_option("-p,--project-name", c.apply.project,
                         "Compose files: the project name, which is the namespace");
  c.applyCmd->add_option("--profile", c.apply.profiles,
                         "Compose files: enable services of this profile; repeatable");
  c.applyCmd->add_flag("--strict", c.apply.strict,
                       "Compose files: a key tender does not support is an error, not a warning");
  c.applyCmd->add_flag("--replace-compose", c.apply.replaceCompose,
                       "Stop and remove the containers docker compose runs for the project "
                       "(its volumes are kept and taken over); admin only");
  c.timeoutFlag =
      c.applyCmd->add_option("--timeout", c.waitTimeout, "How long --wait waits (30s, 2m, 1m30s)")
          ->default_str("5m");
}

// The commands that read: get, describe, logs, restart, events.
void addReadCommands(CLI::App& app, Commands& c) {
  c.getCmd = app.add_subcommand("get", "List or show resources");
  c.getCmd->add_option("resource", c.get.resource, "services, networks, volumes or namespaces")
      ->required();
  c.getCmd->add_option("name", c.get.name, "One resource's name");
  c.getCmd->add_option("-n,--namespace", c.get.ns, "Namespace")->capture_default_str();
  c.getCmd->add_flag("-A,--all-namespaces", c.get.allNamespaces, "Across all namespaces");
  c.getCmd->add_option("-o,--output", c.get.output, "table, wide, json, yaml or name")
      ->check(CLI::IsMember({"table", "wide", "json", "yaml", "name"}))
      ->capture_default_str();
  c.getCmd->add_option("-l,--selector", c.get.selector,
                       "Only objects whose labels match: key=value[,key2!=value2]");
  c.getCmd->add_flag("-w,--watch", c.get.watch,
                     "After the list, print a line per change (a phase, a new object) until interrupted");

  c.describeCmd = app.add_subcommand("describe", "Show one resource in detail, with its events");
  c.describeCmd
      ->add_option("resource", c.describe.resource, "service, network, volume or namespace")
      ->required();
  c.describeCmd->add_option("name", c.describe.name, "The resource's name")->required();
  c.describeCmd->add_option("-n,--namespace", c.describe.ns, "Namespace")->capture_default_str();

  c.logsCmd = app.add_subcommand("logs", "Print a service's logs, each line after its replica");
  c.logsCmd->add_option("name", c.logs.name, "The service")->required();
  c.logsCmd->add_option("-n,--namespace", c.logs.ns, "Namespace")->capture_default_str();
  c.logsCmd->add_option("--tail", c.logs.tail, "Only the last N lines of each replica")
      ->check(CLI::NonNegativeNumber);
  c.logsCmd->add_flag("-f,--follow", c.logs.follow,
                      "Then print each new line as it is written, until the containers stop");
  c.logsCmd->add_option("--since", c.logs.since,
                        "Only lines written since: a duration back (10m, 1h30m) or an RFC 3339 time");
  c.logsCmd->add_flag("--timestamps", c.logs.timestamps, "Each line after the time it was written");
  c.logsCmd->add_flag("-p,--previous", c.logs.previous,
                      "The last lines of each replica's last terminated run (its post-mortem)");
  c.logsCmd->add_option("-r,--replica", c.logs.replica, "Only this replica")
      ->check(CLI::NonNegativeNumber);

  c.execCmd = app.add_subcommand("exec", "Run a command in a replica of a service: exec SERVICE -- CMD...");
  c.execCmd->add_option("name", c.exec.name, "The service")->required();
  c.execCmd->add_option("command", c.exec.command, "The command and its arguments (after --)")
      ->required();
  c.execCmd->add_option("-n,--namespace", c.exec.ns, "Namespace")->capture_default_str();
  c.execCmd->add_option("-r,--replica", c.exec.replica, "The replica (default: the first running)")
      ->check(CLI::NonNegativeNumber);
  c.execCmd->add_flag("-i,--stdin", c.exec.interactive,
                      "Send stdin to the command as it comes (a WebSocket)");
  c.execCmd->add_flag("-t,--tty", c.exec.tty,
                      "Give the command a terminal (and put the local one in raw mode)");

  c.topCmd = app.add_subcommand("top", "CPU and memory of each replica, against its limits");
  c.topCmd->add_option("name", c.top.name, "A service (default: every service of the namespace)");
  c.topCmd->add_option("-n,--namespace", c.top.ns, "Namespace")->capture_default_str();

  c.restartCmd = app.add_subcommand("restart", "Restart a service's containers");
  c.restartCmd->add_option("name", c.restart.name, "The service")->required();
  c.restartCmd->add_option("-n,--namespace", c.restart.ns, "Namespace")->capture_default_str();

  c.eventsCmd = app.add_subcommand("events", "List what tender did; --watch follows it");
  c.eventsCmd->add_option("-n,--namespace", c.events.ns, "Namespace")->capture_default_str();
  c.eventsCmd->add_flag("-A,--all-namespaces", c.events.allNamespaces, "Across all namespaces");
  c.eventsCmd->add_flag("-w,--watch", c.events.watch, "After the list, print events as they come");
}

// delete, prune, convert, version.
void addOtherCommands(CLI::App& app, Commands& c) {
  c.deleteCmd = app.add_subcommand("delete", "Delete resources by manifest or by name");
  c.deleteCmd->add_option("-f,--filename", c.del.files, "FILE, DIR or - (stdin); repeatable");
  c.deleteCmd->add_option("args", c.deleteArgs, "TYPE NAME...");
  c.deleteCmd->add_option("-n,--namespace", c.del.ns, "Namespace");
  c.deleteCmd->add_flag("--purge", c.del.purge,
                        "Deleting a namespace removes its volumes and their data too");

  c.pruneCmd =
      app.add_subcommand("prune", "Remove what this tender instance left behind on the engine");
  c.pruneCmd->add_flag("--dry-run", c.prune.dryRun, "Only say what would be removed");
  c.pruneCmd->add_flag("--images", c.prune.images, "Also images tender built that no service uses");
  c.pruneCmd->add_flag("--volumes", c.prune.volumes,
                       "Also volumes (and their data) of namespaces that hold nothing any more");
  c.pruneCmd->add_flag(
      "--all-host", c.prune.allHost,
      "Prune the whole engine, whoever made the objects: stopped containers, unused networks, "
      "dangling images (unused ones with --images), unused volumes (with --volumes)");

  c.convertCmd = app.add_subcommand("convert", "Print the tender manifests of Compose files");
  c.convertCmd
      ->add_option("-f,--filename", c.convert.files,
                   "Compose FILE or - (stdin); repeatable, merged in order")
      ->required();
  c.convertCmd->add_option("-p,--project-name", c.convert.compose.projectName,
                           "The project name, which is the namespace");
  c.convertCmd->add_option("--profile", c.convert.compose.profiles,
                           "Enable services of this profile; repeatable");
  c.convertCmd->add_flag("--strict", c.convert.compose.strict,
                         "A key tender does not support is an error, not a warning");
  c.convertCmd->add_option("-o,--output", c.convert.output, "yaml or json")
      ->check(CLI::IsMember({"yaml", "json"}))
      ->capture_default_str();

  c.backupCmd = app.add_subcommand(
      "backup", "Write a consistent copy of the server's store to FILE, while it runs (admin only)");
  c.backupCmd->add_option("file", c.backupFile, "The file to write (replaced when whole)")
      ->required();
  c.restoreCmd = app.add_subcommand(
      "restore", "Put a backup in place of a stopped server's store (the old one is kept aside)");
  c.restoreCmd->add_option("file", c.restoreFile, "A file tender backup wrote")
      ->required()
      ->check(CLI::ExistingFile);
  c.restoreCmd->add_option("--state-dir", c.restoreStateDir, "The server's state directory")
      ->capture_default_str();
  c.exportCmd = app.add_subcommand(
      "export", "Print every desired object as manifests that tender apply -f takes back");
  c.exportCmd->add_option("file", c.exportFile, "Write them to FILE instead of stdout");

  c.doctorCmd = app.add_subcommand(
      "doctor", "Check what tends to go wrong on this host, each check a line OK/WARN/FAIL with "
                "what to do; exit code 1 when one FAILs");
  c.doctorCmd->add_option("--config", c.doctor.configFile,
                          "The serve settings to check (/etc/tender/config.yaml)")
      ->check(CLI::ExistingFile);
  c.doctorCmd->add_option("--state-dir", c.doctor.stateDir,
                          "The server's state directory (default: the config's, else .tender)");
  c.doctorCmd->add_option("--engine", c.doctor.engineHost,
                          "Docker engine (default: the config's, else DOCKER_HOST or the socket)");

  c.versionCmd = app.add_subcommand("version", "Print the client's and the server's version");

  c.tokenCmd = app.add_subcommand("token", "Print the admin token of a server (for whoever may read it)");
  c.tokenCmd->add_option("--state-dir", c.tokenStateDir, "The server's state directory")
      ->envname("TENDER_STATE_DIR")
      ->capture_default_str();
}

// `tender token`: the admin token `tender serve` keeps in its state directory.
int runToken(const std::string& stateDir) {
  auto token = tender::readTokenFile(stateDir + "/" + tender::kAdminTokenFile);
  if (!token.ok()) {
    std::cerr << "error: " << token.status().message() << "\n";
    return 1;
  }
  std::cout << *token << "\n";
  return 0;
}

// `tender doctor`: the host's checks, with what the server (when it
// answers, and the token may read /metrics) says is reserved.
int runDoctorCommand(Commands& c, const std::string& server, const std::string& token,
                     const std::string& caFile) {
  tender::DoctorOptions& o = c.doctor;
  for (const char* flag : {"--state-dir", "--engine"}) {
    if (c.doctorCmd->count(flag) > 0) o.flagsGiven.push_back(flag);
  }
  if (o.stateDir.empty()) o.stateDir = tender::kDefaultStateDir;
  o.serverUrl = server;
  tender::TokenSources sources;
  sources.flagOrEnv = token;
  if (const char* file = std::getenv("TENDER_TOKEN_FILE")) sources.tokenFile = file;
  sources.adminTokenFile = o.stateDir + "/" + tender::kAdminTokenFile;
  auto chosen = tender::clientToken(sources);
  tender::ApiClientOptions options;
  options.caFile = caFile;
  options.timeout = std::chrono::seconds(5);
  tender::ApiClient client(server, chosen.ok() ? *chosen : std::string(), options);
  auto metrics = client.call("GET", "/metrics");
  if (metrics.ok()) {
    o.metrics = metrics->body;
  } else {
    o.serverError = metrics.status().message();
  }
  return tender::runDoctor(o, std::cout, std::cerr);
}

// Checks apply's flags that depend on each other; a usage error or -1.
int checkApplyFlags(Commands& c) {
  if (c.timeoutFlag->count() > 0 && !c.apply.wait) {
    return usageError("--timeout is how long --wait waits: give --wait too");
  }
  if (c.apply.wait && c.apply.dryRun)
    return usageError("--wait cannot wait for a --dry-run: nothing is applied");
  if (!c.waitTimeout.empty()) {
    auto ms = tender::parseDurationMs(c.waitTimeout);
    if (!ms.ok()) return usageError("--timeout: " + ms.status().message());
    c.apply.waitOptions.timeout = std::chrono::milliseconds(*ms);
  }
  return -1;
}

// Runs the client-side subcommand that was parsed.
int runClient(Commands& c, const std::string& server, const std::string& token,
              const std::string& caFile) {
  tender::ApiClientOptions options;
  options.caFile = caFile;
  tender::ApiClient client(server, token, options);
  tender::RealClock clock;
  if (c.applyCmd->parsed()) {
    if (int bad = checkApplyFlags(c); bad >= 0) return bad;
    return tender::runApply(c.apply, client, std::cin, std::cout, std::cerr);
  }
  if (c.getCmd->parsed()) return tender::runGet(c.get, client, clock.now(), std::cout, std::cerr);
  if (c.describeCmd->parsed()) {
    return tender::runDescribe(c.describe, client, clock.now(), std::cout, std::cerr);
  }
  if (c.logsCmd->parsed()) return tender::runLogs(c.logs, client, std::cout, std::cerr);
  if (c.restartCmd->parsed()) return tender::runRestart(c.restart, client, std::cout, std::cerr);
  if (c.execCmd->parsed()) return tender::runExec(c.exec, client, STDIN_FILENO, std::cout, std::cerr);
  if (c.topCmd->parsed()) return tender::runTop(c.top, client, std::cout, std::cerr);
  if (c.eventsCmd->parsed()) {
    auto sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
    return tender::runEvents(c.events, client, clock, sleep, std::cout, std::cerr);
  }
  if (c.deleteCmd->parsed()) {
    if (!c.del.files.empty() && !c.deleteArgs.empty()) {
      return usageError("delete takes either -f FILE or TYPE NAME..., not both");
    }
    if (c.del.files.empty()) {
      if (c.deleteArgs.size() < 2) return usageError("delete needs -f FILE or TYPE NAME...");
      c.del.resource = c.deleteArgs.front();
      c.del.names.assign(c.deleteArgs.begin() + 1, c.deleteArgs.end());
    }
    return tender::runDelete(c.del, client, std::cin, std::cout, std::cerr);
  }
  if (c.pruneCmd->parsed()) return tender::runPrune(c.prune, client, std::cout, std::cerr);
  if (c.backupCmd->parsed()) return tender::runBackup(c.backupFile, client, std::cout, std::cerr);
  if (c.exportCmd->parsed()) return tender::runExport(c.exportFile, client, std::cout, std::cerr);
  if (c.versionCmd->parsed()) return tender::runVersion(client, std::cout, std::cerr);
  return usageError("no command given");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tender: keeps the containers of a Docker host equal to the desired state",
               "tender"};
  app.set_version_flag("--version", TENDER_VERSION);
  app.require_subcommand(1);
  // Global options may follow the subcommand too: `tender get svc --server URL`.
  app.fallthrough();

  std::string server = tender::kDefaultServerUrl;
  std::string token;
  std::string caFile;
  app.add_option("--server", server,
                 "URL of the tender server: http://HOST:PORT or https://HOST:PORT")
      ->envname("TENDER_SERVER")
      ->capture_default_str();
  app.add_option("--ca-file", caFile,
                 "For an https:// server: PEM file of the CA certificates to trust instead of the "
                 "system's")
      ->envname("TENDER_CA_FILE");
  app.add_option("--token", token,
                 "Bearer token sent to the server (else TENDER_TOKEN_FILE's, else ./" +
                     std::string(tender::kDefaultStateDir) + "/" + tender::kAdminTokenFile + " when readable)")
      ->envname("TENDER_TOKEN");

  Commands c;
  addServe(app, c);
  addApply(app, c);
  addReadCommands(app, c);
  addOtherCommands(app, c);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : kUsageError;
  }

  if (c.serveCmd->parsed()) {
    c.serve.jsonLogs = c.logFormat == "json";
    // The flags given win over the --config file's settings.
    for (const CLI::Option* option : c.serveCmd->get_options()) {
      if (option->count() == 0 || option->get_lnames().empty()) continue;
      const std::string flag = "--" + option->get_lnames().front();
      if (flag != "--config" && flag != "--help") c.serve.flagsGiven.push_back(flag);
    }
    return tender::runServe(c.serve);
  }
  if (c.convertCmd->parsed()) return tender::runConvert(c.convert, std::cin, std::cout, std::cerr);
  if (c.tokenCmd->parsed()) return runToken(c.tokenStateDir);
  if (c.restoreCmd->parsed()) {
    return tender::runRestore(c.restoreFile, c.restoreStateDir, std::cout, std::cerr);
  }
  if (c.doctorCmd->parsed()) return runDoctorCommand(c, server, token, caFile);
  tender::TokenSources sources;
  sources.flagOrEnv = token;
  if (const char* file = std::getenv("TENDER_TOKEN_FILE")) sources.tokenFile = file;
  // A local server's admin token goes only to a local server.
  if (tender::isLoopbackServer(server)) {
    sources.adminTokenFile = std::string(tender::kDefaultStateDir) + "/" + tender::kAdminTokenFile;
    sources.installedAdminTokenFile = std::string(tender::kInstalledStateDir) + "/" + tender::kAdminTokenFile;
  }
  auto chosen = tender::clientToken(sources);
  if (!chosen.ok()) {
    std::cerr << "error: " << chosen.status().message() << "\n";
    return 1;
  }
  return runClient(c, server, *chosen, caFile);
}
