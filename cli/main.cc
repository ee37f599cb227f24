// The tender command: parses the command line and hands over to `serve` or
// to a client-side subcommand. Exit codes: 0 ok, 1 error, 2 usage error.
#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "cli/api_client.h"
#include "cli/commands.h"
#include "cli/compose_command.h"
#include "cli/prune_command.h"
#include "cli/serve.h"
#include "controller/clock.h"
#include "manifests/manifest.h"

namespace {

constexpr int kUsageError = 2;

int usageError(const std::string& message) {
  std::cerr << "error: " << message << "\nRun with --help for more information.\n";
  return kUsageError;
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
  app.add_option("--server", server, "URL of the tender server")
      ->envname("TENDER_SERVER")
      ->capture_default_str();
  app.add_option("--token", token, "Bearer token sent to the server")->envname("TENDER_TOKEN");

  tender::ServeOptions serveOptions;
  std::string logFormat = "text";
  auto* serve = app.add_subcommand("serve", "Run the controller and its REST API");
  serve
      ->add_option("--listen", serveOptions.listen,
                   "Address of the API: HOST:PORT or unix:/path; repeatable")
      ->capture_default_str();
  serve->add_option("--token-file", serveOptions.tokenFile,
                    "Bearer tokens: lines of TOKEN NAME NAMESPACES (* or ns1,ns2)")
      ->check(CLI::ExistingFile);
  serve->add_option("--state-dir", serveOptions.stateDir, "Directory of the database and lock")
      ->capture_default_str();
  serve
      ->add_option("--instance", serveOptions.instance,
                   "Instance name: the tender.instance label of what this server owns")
      ->capture_default_str();
  serve->add_option("--engine", serveOptions.engineHost,
                    "Docker engine (unix:///path or tcp://host:port); default DOCKER_HOST "
                    "or the local socket");
  serve->add_option("--workers", serveOptions.workers, "Reconcile workers")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  serve
      ->add_option("--start-concurrency", serveOptions.startConcurrency,
                   "Containers started at once (0: default)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  serve->add_option("--resync", serveOptions.resyncSeconds, "Seconds between full resyncs")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  serve
      ->add_option("--post-mortem-lines", serveOptions.postMortemLogLines,
                   "Last log lines kept with the post-mortem of each container death")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  serve->add_option("--keep-events", serveOptions.keepEvents, "Events kept per object")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  serve->add_option("--keep-post-mortems", serveOptions.keepPostMortems, "Post-mortems kept per replica")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  serve->add_option("--host-memory", serveOptions.hostMemory,
                    "Memory replicas are admitted against (2Gi); default: the engine's MemTotal");
  serve->add_option("--system-reserve", serveOptions.systemReserve,
                    "Share of the host's memory never admitted (10%)")
      ->capture_default_str();
  serve->add_option("--memory-headroom", serveOptions.memoryHeadroom,
                    "A replica starts only while MemAvailable exceeds its request times this")
      ->check(CLI::Range(1.0, 10.0))
      ->capture_default_str();
  serve->add_option("--default-reservation", serveOptions.defaultReservation,
                    "What a replica with neither memory reservation nor limit counts (64Mi)")
      ->capture_default_str();
  serve->add_option("--eviction-threshold", serveOptions.evictionThreshold,
                    "Evict replicas while MemAvailable is below this (default: 5% of memory, at least 256Mi)");
  serve->add_option("--eviction-priority-floor", serveOptions.evictionPriorityFloor,
                    "Services with this priority or more are never evicted")
      ->capture_default_str();
  serve->add_option("--eviction-recovery", serveOptions.evictionRecovery,
                    "How long the pressure must be gone before evicted replicas start again")
      ->capture_default_str();
  serve->add_option("--log-max-size", serveOptions.logMaxSize,
                    "Containers' logs rotate at this size (json-file max-size: 10m, 1g)")
      ->capture_default_str();
  serve->add_option("--log-max-file", serveOptions.logMaxFile, "Rotated log files kept per container")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  serve->add_option("--keep-deleted", serveOptions.keepDeleted,
                    "How long a deleted object's events and post-mortems are kept (1h, 30m)")
      ->capture_default_str();
  serve->add_option("--engine-wait", serveOptions.engineWait,
                    "How long to wait for the Docker engine at start before an error says what to do")
      ->capture_default_str();
  serve->add_option("--cleanup-interval", serveOptions.cleanupInterval,
                    "How often this instance's leftovers are removed (0: only at start)")
      ->capture_default_str();
  serve->add_option("--min-free-disk", serveOptions.minFreeDisk,
                    "Clean up early when the engine's disk has less free space (10%, 5Gi; 0: never)")
      ->capture_default_str();
  serve->add_option("--keep-history-days", serveOptions.keepHistoryDays, "Days events and post-mortems are kept")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  serve
      ->add_option("--memory-sample", serveOptions.memorySampleSeconds,
                   "Seconds between samples of each container's memory (for /metrics)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  serve
      ->add_option("--max-body-bytes", serveOptions.maxBodyBytes,
                   "Largest request body the API accepts")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  serve->add_option("--log-level", serveOptions.logLevel, "Log level")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}))
      ->capture_default_str();
  serve->add_option("--log-format", logFormat, "Log lines as text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();

  tender::ApplyOptions applyOptions;
  auto* apply = app.add_subcommand("apply", "Create or update resources from manifests");
  apply->add_option("-f,--filename", applyOptions.files, "FILE, DIR or - (stdin); repeatable")
      ->required();
  apply->add_option("-n,--namespace", applyOptions.ns, "Namespace for objects that name none");
  apply->add_flag("--dry-run", applyOptions.dryRun,
                  "Show what would change (and each service's container plan); change nothing");
  apply->add_flag("--prune", applyOptions.prune,
                  "Delete objects of the manifests' namespaces that the manifests no longer name");
  apply->add_option("--ttl", applyOptions.ttl,
                    "Namespaces this apply creates are deleted, with everything in them, after this long "
                    "(e.g. 1h; for CI runs)");
  apply->add_flag("--wait", applyOptions.wait, "Wait until the applied services are ready");
  apply->add_option("-p,--project-name", applyOptions.project,
                    "Compose files: the project name, which is the namespace");
  apply->add_option("--profile", applyOptions.profiles,
                    "Compose files: enable services of this profile; repeatable");
  apply->add_flag("--strict", applyOptions.strict,
                  "Compose files: a key tender does not support is an error, not a warning");
  std::string waitTimeout;
  auto* timeoutOption =
      apply->add_option("--timeout", waitTimeout, "How long --wait waits (30s, 2m, 1m30s)")
          ->default_str("5m");

  tender::GetOptions getOptions;
  auto* get = app.add_subcommand("get", "List or show resources");
  get->add_option("resource", getOptions.resource, "services, networks, volumes or namespaces")
      ->required();
  get->add_option("name", getOptions.name, "One resource's name");
  get->add_option("-n,--namespace", getOptions.ns, "Namespace")->capture_default_str();
  get->add_flag("-A,--all-namespaces", getOptions.allNamespaces, "Across all namespaces");
  get->add_option("-o,--output", getOptions.output, "table, wide, json or yaml")
      ->check(CLI::IsMember({"table", "wide", "json", "yaml"}))
      ->capture_default_str();

  tender::DescribeOptions describeOptions;
  auto* describe = app.add_subcommand("describe", "Show one resource in detail, with its events");
  describe->add_option("resource", describeOptions.resource, "service, network, volume or namespace")
      ->required();
  describe->add_option("name", describeOptions.name, "The resource's name")->required();
  describe->add_option("-n,--namespace", describeOptions.ns, "Namespace")->capture_default_str();

  tender::LogsOptions logsOptions;
  auto* logs = app.add_subcommand("logs", "Print a service's logs, each line after its replica");
  logs->add_option("name", logsOptions.name, "The service")->required();
  logs->add_option("-n,--namespace", logsOptions.ns, "Namespace")->capture_default_str();
  logs->add_option("--tail", logsOptions.tail, "Only the last N lines of each replica")
      ->check(CLI::NonNegativeNumber);

  tender::RestartOptions restartOptions;
  auto* restart = app.add_subcommand("restart", "Restart a service's containers");
  restart->add_option("name", restartOptions.name, "The service")->required();
  restart->add_option("-n,--namespace", restartOptions.ns, "Namespace")->capture_default_str();

  tender::EventsOptions eventsOptions;
  auto* events = app.add_subcommand("events", "List what tender did; --watch follows it");
  events->add_option("-n,--namespace", eventsOptions.ns, "Namespace")->capture_default_str();
  events->add_flag("-A,--all-namespaces", eventsOptions.allNamespaces, "Across all namespaces");
  events->add_flag("-w,--watch", eventsOptions.watch, "After the list, print events as they come");

  tender::DeleteOptions deleteOptions;
  std::vector<std::string> deleteArgs;
  auto* del = app.add_subcommand("delete", "Delete resources by manifest or by name");
  del->add_option("-f,--filename", deleteOptions.files, "FILE, DIR or - (stdin); repeatable");
  del->add_option("args", deleteArgs, "TYPE NAME...");
  del->add_option("-n,--namespace", deleteOptions.ns, "Namespace");
  del->add_flag("--purge", deleteOptions.purge, "Deleting a namespace removes its volumes and their data too");

  tender::PruneOptions pruneOptions;
  auto* prune = app.add_subcommand("prune", "Remove what this tender instance left behind on the engine");
  prune->add_flag("--dry-run", pruneOptions.dryRun, "Only say what would be removed");
  prune->add_flag("--images", pruneOptions.images, "Also images tender built that no service uses");
  prune->add_flag("--volumes", pruneOptions.volumes,
                  "Also volumes (and their data) of namespaces that hold nothing any more");
  prune->add_flag("--all-host", pruneOptions.allHost,
                  "Prune the whole engine, whoever made the objects: stopped containers, unused networks, "
                  "dangling images (unused ones with --images), unused volumes (with --volumes)");

  tender::ConvertOptions convertOptions;
  auto* convert = app.add_subcommand("convert", "Print the tender manifests of Compose files");
  convert->add_option("-f,--filename", convertOptions.files, "Compose FILE or - (stdin); repeatable, merged in order")
      ->required();
  convert->add_option("-p,--project-name", convertOptions.compose.projectName,
                      "The project name, which is the namespace");
  convert->add_option("--profile", convertOptions.compose.profiles,
                      "Enable services of this profile; repeatable");
  convert->add_flag("--strict", convertOptions.compose.strict,
                    "A key tender does not support is an error, not a warning");
  convert->add_option("-o,--output", convertOptions.output, "yaml or json")
      ->check(CLI::IsMember({"yaml", "json"}))
      ->capture_default_str();

  auto* version = app.add_subcommand("version", "Print the client's and the server's version");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : kUsageError;
  }

  if (serve->parsed()) {
    serveOptions.jsonLogs = logFormat == "json";
    return tender::runServe(serveOptions);
  }

  if (convert->parsed()) return tender::runConvert(convertOptions, std::cin, std::cout, std::cerr);

  tender::ApiClient client(server, token);
  tender::RealClock clock;
  if (apply->parsed()) {
    if (timeoutOption->count() > 0 && !applyOptions.wait) {
      return usageError("--timeout is how long --wait waits: give --wait too");
    }
    if (applyOptions.wait && applyOptions.dryRun) {
      return usageError("--wait cannot wait for a --dry-run: nothing is applied");
    }
    if (!waitTimeout.empty()) {
      auto ms = tender::parseDurationMs(waitTimeout);
      if (!ms.ok()) return usageError("--timeout: " + ms.status().message());
      applyOptions.waitOptions.timeout = std::chrono::milliseconds(*ms);
    }
    return tender::runApply(applyOptions, client, std::cin, std::cout, std::cerr);
  }
  if (get->parsed()) return tender::runGet(getOptions, client, clock.now(), std::cout, std::cerr);
  if (describe->parsed()) {
    return tender::runDescribe(describeOptions, client, clock.now(), std::cout, std::cerr);
  }
  if (logs->parsed()) return tender::runLogs(logsOptions, client, std::cout, std::cerr);
  if (restart->parsed()) return tender::runRestart(restartOptions, client, std::cout, std::cerr);
  if (events->parsed()) {
    auto sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
    return tender::runEvents(eventsOptions, client, clock, sleep, std::cout, std::cerr);
  }
  if (del->parsed()) {
    if (!deleteOptions.files.empty() && !deleteArgs.empty()) {
      return usageError("delete takes either -f FILE or TYPE NAME..., not both");
    }
    if (deleteOptions.files.empty()) {
      if (deleteArgs.size() < 2) return usageError("delete needs -f FILE or TYPE NAME...");
      deleteOptions.resource = deleteArgs.front();
      deleteOptions.names.assign(deleteArgs.begin() + 1, deleteArgs.end());
    }
    return tender::runDelete(deleteOptions, client, std::cin, std::cout, std::cerr);
  }
  if (prune->parsed()) return tender::runPrune(pruneOptions, client, std::cout, std::cerr);
  if (version->parsed()) return tender::runVersion(client, std::cout, std::cerr);
  return usageError("no command given");
}
