// The client-side subcommands of `tender`: apply, get, describe, restart,
// events, delete, version (logs, exec and top: container_commands.h).
//
// Each takes its parsed options, an ApiClient and the streams to use, and
// returns the process exit code (0 ok, 1 error), so tests run them against a
// server without a process. Usage errors (exit 2) are main's business.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "cli/api_client.h"
#include "cli/wait.h"
#include "base/clock.h"
#include "base/status.h"

namespace tender {

struct ApplyOptions {
  std::vector<std::string> files;  // FILE, DIR (its *.yaml, *.yml, *.json, sorted) or "-"
  std::string ns;                  // -n: namespace for objects that name none
  bool dryRun = false;             // ?dryRun=true: the server says what it would do
  bool prune = false;              // ?prune=true: the server deletes what the files dropped
  std::string ttl;                 // ?ttl=D: namespaces this apply creates expire after D
  bool wait = false;               // then wait for the services to be ready
  WaitOptions waitOptions{};
  // Compose files (all -f files merged into one project, converted here):
  std::string project;                // -p: the project (namespace); else -n, else Compose's rule
  std::vector<std::string> profiles;  // --profile
  bool strict = false;                // --strict: unsupported Compose keys are errors
  // ?replaceCompose=true: docker compose's containers of the project are
  // stopped and removed (an admin's act); without it, running ones refuse the apply.
  bool replaceCompose = false;
};

struct GetOptions {
  std::string resource;  // services|networks|volumes|namespaces (or singular, svc, net, vol, ns)
  std::string name;      // "" = list
  std::string ns = "default";
  bool allNamespaces = false;    // -A
  std::string output = "table";  // table|wide|json|yaml|name
  std::string selector;          // -l: "k=v,k2!=v2" (?labelSelector=)
  bool watch = false;            // -w: then a line per change, until interrupted
};

struct DescribeOptions {
  std::string resource;  // as GetOptions::resource
  std::string name;
  std::string ns = "default";
};

struct RestartOptions {
  std::string name;  // a service
  std::string ns = "default";
};

struct EventsOptions {
  std::string ns = "default";
  bool allNamespaces = false;  // -A
  bool watch = false;
  // How many watch connections to open before giving up; -1: for ever (the
  // command). Tests set a bound.
  int maxConnections = -1;
};

struct DeleteOptions {
  std::vector<std::string> files;  // as ApplyOptions::files; or:
  std::string resource;            // a resource type and
  std::vector<std::string> names;  // the names to delete
  std::string ns;                  // -n
  bool purge = false;              // namespaces: their volumes and data go too
};

// POSTs each source's text to /api/v1/apply and prints one line per object:
// "service/web created". When the objects of an answer span several
// namespaces, each line names its namespace first: "alice/service/web created".
// A dry run adds " (dry run)" and, under a service, its plan (renderPlan).
// With wait, then polls the services until ready (waitForServices).
// Compose files are converted here (see compose_command.h) and sent as one
// JSON list; their warnings are printed on `err`.
int runApply(const ApplyOptions& options, ApiClient& client, std::istream& in, std::ostream& out,
             std::ostream& err);

// Lists or shows resources as a table (ages measured at `now`), a wide
// table, JSON or YAML.
int runGet(const GetOptions& options, ApiClient& client, WallTime now, std::ostream& out,
           std::ostream& err);

// Shows one resource for a person to read (describeService, describeObject)
// with its recent events. The object's 404 is an error; events that cannot
// be listed are only a warning.
int runDescribe(const DescribeOptions& options, ApiClient& client, WallTime now,
                std::ostream& out, std::ostream& err);

// Asks the server to restart a service's containers: "service/api restarted".
int runRestart(const RestartOptions& options, ApiClient& client, std::ostream& out,
               std::ostream& err);

// Lists events as a table; with watch, prints them as a header and rows of
// fixed widths, then follows the server's stream (reconnecting, after
// `sleep`, from the last id seen when it breaks) until interrupted or
// options.maxConnections is reached.
int runEvents(const EventsOptions& options, ApiClient& client, const Clock& clock,
              const SleepFor& sleep, std::ostream& out, std::ostream& err);

// Deletes what the files describe (parsed locally) or the named resources.
// "not found" is reported and does not fail the command.
int runDelete(const DeleteOptions& options, ApiClient& client, std::istream& in, std::ostream& out,
              std::ostream& err);

// Prints the client's version and, when the server answers, the server's.
// Exit 1 when the server cannot be asked.
int runVersion(ApiClient& client, std::ostream& out, std::ostream& err);

// "svc" -> "services", "Namespace" -> "namespaces"; "" for an unknown type.
std::string canonicalResource(const std::string& word);

// One manifest text and where it came from (a path, or "<stdin>").
struct ManifestSource {
  std::string name;
  std::string text;
};

// Reads -f arguments: a file, a directory's *.yaml, *.yml and *.json (sorted
// by name, not recursive), or "-" for `in`.
Result<std::vector<ManifestSource>> readManifestSources(const std::vector<std::string>& paths,
                                                        std::istream& in);

// Errors that asking again will not mend (not found, invalid, unauthorized,
// forbidden), as opposed to a server that is away or restarting.
bool isPermanentError(const Status& s);

// "error: <context: >message" and "  field: message" per detail.
void printError(const Status& status, std::ostream& err, const std::string& context = "");

}  // namespace tender
