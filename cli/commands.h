// The client-side subcommands of `tender`: apply, get, delete, version.
//
// Each takes its parsed options, an ApiClient and the streams to use, and
// returns the process exit code (0 ok, 1 error), so tests run them against a
// server without a process. Usage errors (exit 2) are main's business.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "cli/api_client.h"
#include "controller/clock.h"
#include "controller/status.h"

namespace tender {

struct ApplyOptions {
  std::vector<std::string> files;  // FILE, DIR (its *.yaml, *.yml, *.json, sorted) or "-"
  std::string ns;                  // -n: namespace for objects that name none
};

struct GetOptions {
  std::string resource;  // services|networks|volumes|namespaces (or singular, svc, net, vol, ns)
  std::string name;      // "" = list
  std::string ns = "default";
  bool allNamespaces = false;    // -A
  std::string output = "table";  // table|json|yaml
};

struct DeleteOptions {
  std::vector<std::string> files;  // as ApplyOptions::files; or:
  std::string resource;            // a resource type and
  std::vector<std::string> names;  // the names to delete
  std::string ns;                  // -n
};

// POSTs each source's text to /api/v1/apply and prints one line per object:
// "service/web created". When the objects of an answer span several
// namespaces, each line names its namespace first: "alice/service/web created".
int runApply(const ApplyOptions& options, ApiClient& client, std::istream& in, std::ostream& out,
             std::ostream& err);

// Lists or shows resources as a table (ages measured at `now`), JSON or YAML.
int runGet(const GetOptions& options, ApiClient& client, WallTime now, std::ostream& out,
           std::ostream& err);

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

// "error: <context: >message" and "  field: message" per detail.
void printError(const Status& status, std::ostream& err, const std::string& context = "");

}  // namespace tender
