// The client-side subcommands of `tender` (cli/commands.h): apply, get,
// describe, logs, restart, delete, events and version over the API client.
#include "cli/commands.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <system_error>
#include <thread>

#include "cli/build_upload.h"
#include "cli/compose_command.h"
#include "cli/output.h"
#include "manifests/manifest.h"

namespace tender {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// "service/web", or "alice/service/web" when lines must say their namespace.
std::string objectRef(const std::string& kind, const std::string& ns, const std::string& name,
                      bool withNamespace) {
  std::string ref = lower(kind) + "/" + name;
  if (withNamespace && !ns.empty() && kind != "Namespace") ref = ns + "/" + ref;
  return ref;
}

std::string stringField(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Result<json> parseAnswer(const ApiResponse& response) {
  json parsed = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return Status::Internal("the server's answer is not JSON: " + response.body.substr(0, 200));
  }
  return parsed;
}

const char* pluralOf(const std::string& kind) {
  if (kind == "Service") return "services";
  if (kind == "Network") return "networks";
  if (kind == "Volume") return "volumes";
  return "namespaces";
}

const char* kindOf(const std::string& resource) {
  if (resource == "services") return "Service";
  if (resource == "networks") return "Network";
  if (resource == "volumes") return "Volume";
  return "Namespace";
}

std::string objectPath(const std::string& resource, const std::string& ns,
                       const std::string& name) {
  if (resource == "namespaces") return "/api/v1/namespaces/" + urlEncode(name);
  return "/api/v1/namespaces/" + urlEncode(ns) + "/" + resource + "/" + urlEncode(name);
}

Result<std::string> readFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code ec(errno, std::generic_category());
    return Status::Invalid("cannot read " + path.string() + ": " + ec.message());
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return Status::Invalid("cannot read " + path.string());
  return text;
}

struct Target {
  std::string kind;
  std::string ns;
  std::string name;
};

}  // namespace

std::string canonicalResource(const std::string& word) {
  const std::string w = lower(word);
  if (w == "services" || w == "service" || w == "svc") return "services";
  if (w == "networks" || w == "network" || w == "net") return "networks";
  if (w == "volumes" || w == "volume" || w == "vol") return "volumes";
  if (w == "namespaces" || w == "namespace" || w == "ns") return "namespaces";
  return "";
}

void printError(const Status& status, std::ostream& err, const std::string& context) {
  std::string message = status.message().empty() ? status.reason() : status.message();
  // A 429: this token's share of the server is used up for now, not a fault.
  if (status.IsTooManyRequests()) message = "the server is busy for this token: " + message;
  err << "error: " << (context.empty() ? "" : context + ": ") << message << "\n";
  for (const auto& d : status.details()) err << "  " << d.field << ": " << d.message << "\n";
}

Result<std::vector<ManifestSource>> readManifestSources(const std::vector<std::string>& paths,
                                                        std::istream& in) {
  std::vector<ManifestSource> sources;
  if (paths.empty()) return Status::Invalid("no manifest given: use -f FILE, -f DIR or -f -");
  for (const std::string& p : paths) {
    if (p == "-") {
      std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      sources.push_back({"<stdin>", std::move(text)});
      continue;
    }
    std::error_code ec;
    fs::file_status st = fs::status(p, ec);
    if (ec || !fs::exists(st)) {
      return Status::Invalid("cannot read " + p + ": " +
                             (ec ? ec.message() : std::string("no such file or directory")));
    }
    if (!fs::is_directory(st)) {
      auto text = readFile(p);
      if (!text.ok()) return text.status();
      sources.push_back({p, std::move(*text)});
      continue;
    }
    std::vector<fs::path> files;
    for (fs::directory_iterator it(p, ec), end; !ec && it != end; it.increment(ec)) {
      const fs::path& f = it->path();
      const std::string ext = lower(f.extension().string());
      if ((ext == ".yaml" || ext == ".yml" || ext == ".json") && it->is_regular_file(ec)) {
        files.push_back(f);
      }
    }
    if (ec) return Status::Invalid("cannot list " + p + ": " + ec.message());
    if (files.empty()) return Status::Invalid("no manifests (*.yaml, *.yml, *.json) in " + p);
    std::sort(files.begin(), files.end());
    for (const fs::path& f : files) {
      auto text = readFile(f);
      if (!text.ok()) return text.status();
      sources.push_back({f.string(), std::move(*text)});
    }
  }
  return sources;
}

namespace {

// Exit 1 with the types there are, for a type the command does not know.
int unknownResource(const std::string& word, std::ostream& err) {
  printError(Status::Invalid("unknown resource type \"" + word + "\": use services, networks, volumes or namespaces"),
             err);
  return 1;
}

// The /api/v1/apply target for one source: the options as query parameters.
std::string applyTarget(const ApplyOptions& options) {
  std::string target = "/api/v1/apply?";
  if (!options.ns.empty()) target += "namespace=" + urlEncode(options.ns) + "&";
  if (options.dryRun) target += "dryRun=true&";
  if (options.prune) target += "prune=true&";
  if (!options.ttl.empty()) target += "ttl=" + urlEncode(options.ttl) + "&";
  if (options.replaceCompose) target += "replaceCompose=true&";
  target.pop_back();  // the last '&', or the '?'
  return target;
}

// The folder relative paths in a manifest resolve against: its own, or the
// current one for stdin.
std::string folderOf(const ManifestSource& source) {
  std::error_code ec;
  fs::path folder = source.name == "<stdin>" ? fs::current_path(ec)
                                             : fs::absolute(fs::path(source.name), ec).parent_path();
  return folder.lexically_normal().string();
}

// The source as it is sent: as written, unless a service names a build
// folder; then with each such folder uploaded and named by its digest
// (build_upload.h). A source that does not parse is sent as it is, for the
// server's own errors.
Result<ManifestSource> withUploadedContexts(const ManifestSource& source, const std::string& ns,
                                            ApiClient& client) {
  ParseOptions po;
  if (!ns.empty()) po.defaultNamespace = ns;
  auto resources = parseManifests(source.text, po);
  if (!resources.ok() || (!hasBuildFolders(*resources) && !hasFilesToUpload(*resources))) return source;
  Status uploaded = uploadBuildContexts(*resources, folderOf(source), apiUploader(client));
  if (!uploaded.ok()) return uploaded;
  const auto env = processEnvironment();
  auto lookup = [&env](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  uploaded = uploadFiles(*resources, folderOf(source), lookup, apiFileUploader(client));
  if (!uploaded.ok()) return uploaded;
  return ManifestSource{source.name, renderManifests(*resources, "json")};
}

// Prints an apply answer's items; adds the services to wait for to `waitFor`.
void printApplied(const json& items, bool dryRun, std::ostream& out,
                  std::vector<ServiceRef>& waitFor) {
  std::set<std::string> namespaces;
  for (const json& item : items) {
    if (item.is_object() && stringField(item, "kind") != "Namespace") {
      namespaces.insert(stringField(item, "namespace"));
    }
  }
  for (const json& item : items) {
    if (!item.is_object()) continue;
    const std::string kind = stringField(item, "kind");
    const std::string ns = stringField(item, "namespace");
    const std::string name = stringField(item, "name");
    const std::string outcome = stringField(item, "outcome");
    const std::string ref = objectRef(kind, ns, name, namespaces.size() > 1);
    out << ref << " " << outcome << (dryRun ? " (dry run)" : "") << "\n" << renderPlan(item);
    if (kind == "Service" && outcome != "deleted") {
      waitFor.push_back({ns.empty() ? "default" : ns, name, ref});
    }
  }
}

// POSTs each source and prints the outcomes; then waits when asked.
int applySources(const ApplyOptions& options, ApiClient& client,
                 const std::vector<ManifestSource>& sources, std::ostream& out, std::ostream& err) {
  const bool several = sources.size() > 1;
  bool failed = false;
  std::vector<ServiceRef> waitFor;
  for (const ManifestSource& source : sources) {
    const std::string context = several ? source.name : "";
    auto sent = withUploadedContexts(source, options.ns, client);
    if (!sent.ok()) {
      printError(sent.status(), err, context);
      failed = true;
      continue;
    }
    auto response =
        client.call("POST", applyTarget(options), sent->text, "application/yaml");
    if (!response.ok()) {
      printError(response.status(), err, context);
      failed = true;
      continue;
    }
    auto answer = parseAnswer(*response);
    if (!answer.ok() || !answer->contains("items") || !(*answer)["items"].is_array()) {
      printError(
          answer.ok() ? Status::Internal("the server's answer has no items") : answer.status(), err,
          context);
      failed = true;
      continue;
    }
    // A Compose body sent as it is gets the server's conversion warnings.
    if (answer->contains("warnings") && (*answer)["warnings"].is_array()) {
      for (const json& w : (*answer)["warnings"]) {
        if (w.is_string()) err << "warning: " << w.get<std::string>() << "\n";
      }
    }
    const bool dryRun = options.dryRun || answer->value("dryRun", false);
    printApplied((*answer)["items"], dryRun, out, waitFor);
  }
  out << std::flush;
  if (options.wait && !options.dryRun && !waitFor.empty()) {
    RealClock clock;
    auto fetch = [&client](const ServiceRef& s) -> Result<json> {
      auto response = client.call("GET", objectPath("services", s.ns, s.name));
      if (!response.ok()) return response.status();
      return parseAnswer(*response);
    };
    auto sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
    if (waitForServices(waitFor, fetch, clock, sleep, options.waitOptions, out, err) != 0) {
      failed = true;
    }
  }
  return failed ? 1 : 0;
}

}  // namespace

int runApply(const ApplyOptions& options, ApiClient& client, std::istream& in, std::ostream& out,
             std::ostream& err) {
  auto sources = readManifestSources(options.files, in);
  if (!sources.ok()) {
    printError(sources.status(), err);
    return 1;
  }
  auto compose = areComposeSources(*sources);
  if (!compose.ok()) {
    printError(compose.status(), err);
    return 1;
  }
  if (*compose) {
    // One project from all the files, converted with the client's
    // environment and files; the server gets native manifests.
    ComposeCliOptions co{options.project.empty() ? options.ns : options.project, options.profiles,
                         options.strict};
    auto project = loadComposeSources(*sources, co, processEnvironment());
    if (!project.ok()) {
      printError(project.status(), err);
      return 1;
    }
    for (const std::string& w : project->warnings) err << "warning: " << w << "\n";
    Status uploaded = uploadBuildContexts(project->resources, projectDirOf(*sources),
                                          apiUploader(client));
    if (uploaded.ok()) {
      // A secret's environment source, as its interpolation read it.
      auto vars = projectVariables(*sources, processEnvironment());
      if (!vars.ok()) {
        uploaded = vars.status();
      } else {
        auto lookup = [&vars](const std::string& name) -> std::optional<std::string> {
          auto it = vars->find(name);
          return it == vars->end() ? std::nullopt : std::optional<std::string>(it->second);
        };
        uploaded = uploadFiles(project->resources, projectDirOf(*sources), lookup, apiFileUploader(client));
      }
    }
    if (!uploaded.ok()) {
      printError(uploaded, err);
      return 1;
    }
    ManifestSource converted{sources->front().name, renderManifests(project->resources, "json")};
    ApplyOptions native = options;
    native.ns = project->name;
    return applySources(native, client, {converted}, out, err);
  }
  return applySources(options, client, *sources, out, err);
}

namespace {

// "service/web": what -o name prints of an object.
std::string nameLine(const json& obj) {
  return lower(stringField(obj, "kind")) + "/" + stringField(obj.value("metadata", json::object()), "name") +
         "\n";
}

// get -w: the list, then a line per change, from the list's ?watch=true
// stream (the table's rows for a table, names for -o name, one JSON object
// a line for -o json). Watching one object (a name) follows its list and
// keeps only it.
int watchResources(const GetOptions& options, const std::string& resource, std::string path,
                   bool showNamespace, OutputFormat format, ApiClient& client, WallTime now,
                   std::ostream& out, std::ostream& err) {
  const bool one = !options.name.empty();
  if (one) path = path.substr(0, path.rfind('/'));  // the list the object is in
  if (resource == "namespaces") path = "/api/v1/namespaces";
  path += std::string(path.find('?') == std::string::npos ? "?" : "&") + "watch=true";
  std::vector<json> known;  // what the first table showed, then each changed row's company
  std::map<std::string, std::string> shown;  // "ns/name" -> the line last printed for it
  bool synced = false;
  const bool table = format == OutputFormat::kTable || format == OutputFormat::kWide;
  auto keyOf = [](const json& obj) {
    const json md = obj.value("metadata", json::object());
    return stringField(md, "namespace") + "/" + stringField(md, "name");
  };
  auto render = [&](const json& obj, bool deleted) -> std::string {
    if (format == OutputFormat::kName) return nameLine(obj);
    if (!table) return obj.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
    std::vector<json> rows = known;
    json shownObj = obj;
    if (deleted) shownObj["status"]["phase"] = "Deleted";
    rows.push_back(shownObj);
    // The row as the table with every known row would align it.
    std::string text = renderResourceTable(resource, rows, showNamespace, now,
                                           format == OutputFormat::kWide);
    text.pop_back();
    return text.substr(text.rfind('\n') + 1) + "\n";
  };
  Status failed = Status::Ok();
  Status s = client.stream(
      "GET", path,
      [&](const std::string& line) {
        json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
        if (!j.is_object()) return true;
        const std::string type = stringField(j, "type");
        if (type == "ERROR") {
          failed = statusFromErrorBody(j["error"].value("code", 500), line);
          return false;
        }
        if (type == "SYNCED" && !synced) {
          synced = true;
          if (table && !known.empty()) {
            out << renderResourceTable(resource, known, showNamespace, now,
                                       format == OutputFormat::kWide);
          } else if (table) {
            err << "No resources found\n";
          } else {
            for (const json& obj : known) out << render(obj, false);
          }
          for (const json& obj : known) shown[keyOf(obj)] = render(obj, false);
          out << std::flush;
          return static_cast<bool>(out);
        }
        if (type != "ADDED" && type != "MODIFIED" && type != "DELETED") return true;
        const json obj = j.value("object", json::object());
        if (one && stringField(obj.value("metadata", json::object()), "name") != options.name) return true;
        if (!synced) {
          known.push_back(obj);
          return true;
        }
        const std::string key = keyOf(obj);
        const std::string text = render(obj, type == "DELETED");
        if (shown[key] == text) return true;  // nothing a reader sees changed
        shown[key] = text;
        out << text << std::flush;
        return static_cast<bool>(out);
      },
      std::chrono::seconds(45));
  if (!s.ok()) failed = s;
  if (!failed.ok()) {
    printError(failed, err);
    return 1;
  }
  return 0;
}

}  // namespace

int runGet(const GetOptions& options, ApiClient& client, WallTime now, std::ostream& out,
           std::ostream& err) {
  const std::string resource = canonicalResource(options.resource);
  if (resource.empty()) return unknownResource(options.resource, err);
  auto format = parseOutputFormat(options.output);
  if (!format.ok()) {
    printError(format.status(), err);
    return 1;
  }
  const bool perNamespace = resource != "namespaces";
  const bool all = options.allNamespaces && perNamespace;
  const std::string ns = options.ns.empty() ? "default" : options.ns;
  std::string path;
  if (!options.name.empty()) {
    if (all) {
      printError(Status::Invalid("a resource cannot be retrieved by name across all namespaces"),
                 err);
      return 1;
    }
    path = objectPath(resource, ns, options.name);
  } else if (!perNamespace) {
    path = "/api/v1/namespaces";
  } else if (all) {
    path = "/api/v1/" + resource;
  } else {
    path = "/api/v1/namespaces/" + urlEncode(ns) + "/" + resource;
  }

  if (!options.selector.empty()) {
    if (!options.name.empty()) {
      printError(Status::Invalid("a label selector (-l) cannot be combined with a name"), err);
      return 1;
    }
    path += "?labelSelector=" + urlEncode(options.selector);
  }
  if (options.watch) return watchResources(options, resource, path, all, *format, client, now, out, err);

  auto response = client.call("GET", path);
  if (!response.ok()) {
    printError(response.status(), err);
    return 1;
  }
  auto answer = parseAnswer(*response);
  if (!answer.ok()) {
    printError(answer.status(), err);
    return 1;
  }
  if (*format == OutputFormat::kName) {
    const bool one = !options.name.empty();
    for (const json& item : one ? std::vector<json>{*answer} : itemsOf(*answer)) out << nameLine(item);
    return 0;
  }
  if (*format == OutputFormat::kJson) {
    out << toJsonText(*answer);
    return 0;
  }
  if (*format == OutputFormat::kYaml) {
    out << toYaml(*answer);
    return 0;
  }
  std::vector<json> items = itemsOf(*answer);
  if (items.empty()) {
    if (perNamespace && !all) {
      err << "No resources found in " << ns << " namespace.\n";
    } else {
      err << "No resources found\n";
    }
    return 0;
  }
  out << renderResourceTable(resource, items, all, now, *format == OutputFormat::kWide);
  return 0;
}

int runDescribe(const DescribeOptions& options, ApiClient& client, WallTime now,
                std::ostream& out, std::ostream& err) {
  const std::string resource = canonicalResource(options.resource);
  if (resource.empty()) return unknownResource(options.resource, err);
  const std::string ns = options.ns.empty() ? "default" : options.ns;
  auto response = client.call("GET", objectPath(resource, ns, options.name));
  if (!response.ok()) {
    printError(response.status(), err);
    return 1;
  }
  auto object = parseAnswer(*response);
  if (!object.ok()) {
    printError(object.status(), err);
    return 1;
  }
  const std::string kind = kindOf(resource);
  std::string query = "/api/v1/events?kind=" + kind + "&name=" + urlEncode(options.name) + "&limit=20";
  if (resource != "namespaces") query += "&namespace=" + urlEncode(ns);
  json events = json::array();
  auto listed = client.call("GET", query);
  if (listed.ok()) {
    auto answer = parseAnswer(*listed);
    // Filtered here too, so a server that ignores kind and name still gives
    // only this object's events.
    for (const json& e : answer.ok() ? itemsOf(*answer) : std::vector<json>{}) {
      auto o = e.is_object() ? e.find("involvedObject") : e.end();
      if (o == e.end() || !o->is_object()) continue;
      if (stringField(*o, "kind") == kind && stringField(*o, "name") == options.name) {
        events.push_back(e);
      }
    }
  } else {
    printError(listed.status(), err, "cannot list the events");
  }
  out << (resource == "services" ? describeService(*object, events, now)
                                 : describeObject(*object, events, now));
  return 0;
}

int runRestart(const RestartOptions& options, ApiClient& client, std::ostream& out,
               std::ostream& err) {
  const std::string ns = options.ns.empty() ? "default" : options.ns;
  auto response = client.call("POST", objectPath("services", ns, options.name) + "/restart");
  if (!response.ok()) {
    printError(response.status(), err, objectRef("Service", ns, options.name, false));
    return 1;
  }
  out << objectRef("Service", ns, options.name, false) << " restarted\n";
  return 0;
}

int runDelete(const DeleteOptions& options, ApiClient& client, std::istream& in, std::ostream& out,
              std::ostream& err) {
  std::vector<Target> targets;
  bool failed = false;
  if (!options.files.empty()) {
    auto sources = readManifestSources(options.files, in);
    if (!sources.ok()) {
      printError(sources.status(), err);
      return 1;
    }
    auto compose = areComposeSources(*sources);
    if (!compose.ok()) {
      printError(compose.status(), err);
      return 1;
    }
    if (*compose) {
      // The project's objects, as apply would name them (-n is the project).
      auto project = loadComposeSources(*sources, ComposeCliOptions{options.ns, {}, false},
                                        processEnvironment());
      if (!project.ok()) {
        printError(project.status(), err);
        return 1;
      }
      for (const Resource& r : project->resources) {
        targets.push_back({r.kind, r.metadata.namespace_, r.metadata.name});
      }
      sources->clear();
    }
    ParseOptions parse;
    if (!options.ns.empty()) parse.defaultNamespace = options.ns;
    const bool several = sources->size() > 1;
    for (const ManifestSource& source : *sources) {
      auto resources = parseManifests(source.text, parse);
      if (!resources.ok()) {
        // Nothing of an invalid file is deleted: it might not say what the user meant.
        printError(resources.status(), err, several ? source.name : "");
        failed = true;
        continue;
      }
      for (const Resource& r : *resources) {
        targets.push_back({r.kind, r.metadata.namespace_, r.metadata.name});
      }
    }
  } else {
    const std::string resource = canonicalResource(options.resource);
    if (resource.empty()) return unknownResource(options.resource, err);
    const std::string ns = options.ns.empty() ? "default" : options.ns;
    for (const std::string& name : options.names) {
      targets.push_back({kindOf(resource), resource == "namespaces" ? "" : ns, name});
    }
  }

  std::set<std::string> namespaces;
  bool anyNamespace = false;
  for (const Target& t : targets) {
    if (t.kind != "Namespace") namespaces.insert(t.ns);
    anyNamespace |= t.kind == "Namespace";
  }
  if (options.purge && !anyNamespace) {
    err << "error: --purge applies to namespaces: delete namespace NAME --purge\n";
    return 1;
  }
  const bool withNamespace = namespaces.size() > 1;
  for (const Target& t : targets) {
    const std::string ref = objectRef(t.kind, t.ns, t.name, withNamespace);
    const std::string query = options.purge && t.kind == "Namespace" ? "?purge=true" : "";
    auto response = client.call("DELETE", objectPath(pluralOf(t.kind), t.ns, t.name) + query);
    if (response.ok()) {
      out << ref << " deleted\n";
    } else if (response.status().IsNotFound()) {
      out << ref << " not found\n";
    } else {
      printError(response.status(), err, ref);
      failed = true;
    }
  }
  return failed ? 1 : 0;
}

namespace {

// Events are kept oldest first and listed a page at a time: following
// `since` gives them all, and the last id to watch from.
Result<std::vector<json>> listEvents(ApiClient& client, const std::string& nsQuery,
                                     int64_t* lastId) {
  constexpr int kPage = 500;
  constexpr int kMaxPages = 200;
  std::vector<json> events;
  for (int page = 0; page < kMaxPages; ++page) {
    auto response = client.call("GET", "/api/v1/events?limit=" + std::to_string(kPage) +
                                           "&since=" + std::to_string(*lastId) + nsQuery);
    if (!response.ok()) return response.status();
    auto answer = parseAnswer(*response);
    if (!answer.ok()) return answer.status();
    std::vector<json> items = itemsOf(*answer);
    const int64_t before = *lastId;
    for (json& e : items) {
      if (e.is_object() && e.contains("id") && e["id"].is_number_integer()) {
        *lastId = std::max<int64_t>(*lastId, e["id"].get<int64_t>());
      }
      events.push_back(std::move(e));
    }
    if (static_cast<int>(items.size()) < kPage || *lastId == before) break;
  }
  return events;
}

}  // namespace

bool isPermanentError(const Status& s) {
  switch (s.code()) {
    case Status::Code::kNotFound:
    case Status::Code::kInvalid:
    case Status::Code::kUnauthorized:
    case Status::Code::kForbidden:
      return true;
    default:
      return false;
  }
}

int runEvents(const EventsOptions& options, ApiClient& client, const Clock& clock,
              const SleepFor& sleep, std::ostream& out, std::ostream& err) {
  const std::string ns = options.ns.empty() ? "default" : options.ns;
  const std::string nsQuery = options.allNamespaces ? "" : "&namespace=" + urlEncode(ns);
  int64_t lastId = 0;
  auto listed = listEvents(client, nsQuery, &lastId);
  if (!listed.ok()) {
    printError(listed.status(), err);
    return 1;
  }
  const bool showNamespace = options.allNamespaces;
  if (!options.watch) {
    if (listed->empty()) {
      err << (options.allNamespaces ? std::string("No events found\n")
                                    : "No events found in " + ns + " namespace.\n");
      return 0;
    }
    out << renderEventTable(*listed, showNamespace, clock.now());
    return 0;
  }

  out << eventWatchHeader(showNamespace);
  for (const json& e : *listed) out << eventWatchLine(e, showNamespace, clock.now());
  out << std::flush;
  constexpr std::chrono::milliseconds kFirstBackoff(500), kMaxBackoff(8000);
  std::chrono::milliseconds backoff = kFirstBackoff;
  bool notAStream = false;
  for (int connection = 0; options.maxConnections < 0 || connection < options.maxConnections;
       ++connection) {
    bool received = false;
    Status streamError;
    Status s = client.stream(
        "GET", "/api/v1/events?watch=true&since=" + std::to_string(lastId) + nsQuery,
        [&](const std::string& line) {
          json item = json::parse(line, nullptr, /*allow_exceptions=*/false);
          if (!item.is_object()) return true;  // a blank or foreign line: skip it
          const std::string kind = stringField(item, "kind");
          if (kind == "EventList") {
            // A server without watch answers the list and ends the body.
            notAStream = true;
            return false;
          }
          received = true;
          if (kind == "Error") {
            // The server refused after its header: the refusal is the
            // stream's one line, {"kind":"Error","error":{...}}.
            const json* e = item.contains("error") ? &item["error"] : nullptr;
            const int code = e != nullptr && e->is_object() && e->contains("code") &&
                                     (*e)["code"].is_number_integer()
                                 ? (*e)["code"].get<int>()
                                 : 500;
            streamError = statusFromErrorBody(code, line);
            return false;
          }
          if (kind != "Event") return true;  // heartbeats keep the connection alive
          if (item.contains("id") && item["id"].is_number_integer()) {
            const int64_t id = item["id"].get<int64_t>();
            if (id <= lastId) return true;  // already printed before a reconnect
            lastId = id;
          }
          out << eventWatchLine(item, showNamespace, clock.now()) << std::flush;
          return true;
        });
    if (notAStream) {
      printError(Status::Invalid("the server at " + client.serverUrl() +
                                 " does not stream events (GET /api/v1/events?watch=true "
                                 "answered a list)"),
                 err);
      return 1;
    }
    if (!streamError.ok()) s = streamError;
    if (!s.ok() && isPermanentError(s)) {
      printError(s, err);
      return 1;
    }
    if (received) backoff = kFirstBackoff;
    if (options.maxConnections >= 0 && connection + 1 >= options.maxConnections) break;
    // The server restarted, or the network broke: say so, and come back
    // from the last event seen.
    err << "the event stream " << (s.ok() ? std::string("ended") : "broke: " + s.message())
        << "; reconnecting\n" << std::flush;
    sleep(backoff);
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
  return 0;
}

int runVersion(ApiClient& client, std::ostream& out, std::ostream& err) {
  out << "Client Version: " << TENDER_VERSION << "\n";
  auto response = client.call("GET", "/version");
  if (!response.ok()) {
    printError(response.status(), err);
    return 1;
  }
  auto answer = parseAnswer(*response);
  std::string version;
  if (answer.ok() && answer->is_object()) version = stringField(*answer, "version");
  out << "Server Version: " << (version.empty() ? response->body : version) << "\n";
  return 0;
}

}  // namespace tender
