// POST /api/v1/apply: planApply() (parsing, validation, the caller's
// namespaces and the plan, as one step that only reads the store) and the
// one Store::commit that writes the plan, then its events and keys.

#include "api/apply_api.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include "api/compose_takeover.h"
#include "api/request_admission.h"
#include "api/route_helpers.h"
#include "manifests/compose.h"
#include "manifests/dependencies.h"
#include "manifests/manifest.h"
#include "manifests/manifest_syntax.h"

namespace tender {
namespace {

// A Compose file sent as it is: converted here, where neither the client's
// environment nor its files are at hand (defaults apply; env_file is
// refused). The project is ?project= or the file's name:.
Result<std::vector<Resource>> composeResources(const HttpRequest& req,
                                               std::vector<std::string>* warnings) {
  ComposeOptions co;
  co.projectName = req.queryParam("project");
  co.nameParameter = "project";
  if (std::filesystem::path(req.queryParam("baseDir")).is_absolute())
    co.projectDir = req.queryParam("baseDir");
  std::string profiles = req.queryParam("profile");
  for (size_t start = 0; !profiles.empty() && start <= profiles.size();) {
    size_t comma = profiles.find(',', start);
    std::string p =
        profiles.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!p.empty()) co.profiles.push_back(p);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  co.strict = truthy(req.queryParam("strict"));
  auto project = loadCompose({ComposeFile{"the Compose file", req.body}}, co);
  if (!project.ok()) return project.status();
  *warnings = project->warnings;
  return std::move(project->resources);
}

// The body's objects, parsed: manifests or a Compose file.
Result<std::vector<Resource>> parseBody(const HttpRequest& req,
                                        std::vector<std::string>* warnings) {
  if (req.body.find_first_not_of(" \t\r\n") == std::string::npos) {
    return Status::Invalid("the request body is empty: send one or more manifests");
  }
  ParseOptions po;
  std::string nsParam = req.queryParam("namespace");
  if (!nsParam.empty()) {
    if (Status bad = checkNamespaceName("namespace", nsParam); !bad.ok()) return bad;
    po.defaultNamespace = nsParam;
  }
  return isComposeDocument(req.body) ? composeResources(req, warnings)
                                     : parseManifests(req.body, po);
}

// ?ttl=D: the namespaces this apply creates expire (CI runs).
Result<std::optional<int64_t>> ttlParam(const HttpRequest& req) {
  std::string ttl = req.queryParam("ttl");
  if (ttl.empty()) return std::optional<int64_t>();
  auto ms = parseDurationMs(ttl);
  if (!ms.ok() || *ms <= 0) {
    return Status::Invalid("ttl: \"" + ttl + "\" is not a positive duration",
                           {{"ttl", "\"" + ttl + "\" is not a positive duration (1h, 30m)"}});
  }
  return std::optional<int64_t>(*ms);
}

// Networks a service names must be declared (in this body or already
// stored), "default" aside.
void checkNetworks(const std::vector<Resource>& resources, Store& view,
                   std::vector<FieldError>& errors) {
  std::set<std::string> declared;
  for (const Resource& r : resources) {
    if (r.kind == "Network") declared.insert(r.metadata.namespace_ + "/" + r.metadata.name);
  }
  for (size_t i = 0; i < resources.size(); ++i) {
    const Resource& r = resources[i];
    if (r.kind != "Service") continue;
    const auto& nets = r.service().networks;
    for (size_t j = 0; j < nets.size(); ++j) {
      const std::string& n = nets[j];
      if (n == "default" || declared.count(r.metadata.namespace_ + "/" + n)) continue;
      auto stored = view.get("Network", r.metadata.namespace_, n);
      if (stored.ok() && !stored->deletedAt) continue;
      errors.push_back(
          {prefixOf(i, resources.size()) + "spec.networks[" + std::to_string(j) + "]",
           "network \"" + n + "\" is not declared in namespace \"" + r.metadata.namespace_ + "\""});
    }
  }
}

// A build context and the file of a secret or config are uploads
// (store/upload_store.h): each digest must name one uploaded to the
// service's own namespace.
void checkUploads(const std::vector<Resource>& resources, Uploads uploads,
                  std::vector<FieldError>& errors) {
  for (size_t i = 0; i < resources.size(); ++i) {
    const Resource& r = resources[i];
    if (r.kind != "Service") continue;
    const std::string& ns = r.metadata.namespace_;
    const std::string prefix = prefixOf(i, resources.size());
    const ServiceSpec& s = r.service();
    if (s.build && !s.build->contextDigest.empty()) {  // (a folder: serverPathRefusal)
      const std::string& digest = s.build->contextDigest;
      if (!uploads.contexts || !uploads.contexts->contains(ns, digest)) {
        errors.push_back({prefix + "spec.build.contextDigest",
                          "no build context " + digest + " was uploaded to namespace \"" + ns +
                              "\" (POST /api/v1/namespaces/" + ns +
                              "/buildcontexts; tender apply uploads it)"});
      }
    }
    forEachFileMount(s, [&](const char* field, size_t j, const FileMount& m) {
      const std::string at = prefix + "spec." + field + "[" + std::to_string(j) + "]";
      if (!m.environment.empty() || m.content) {
        errors.push_back({at + (m.content ? ".content" : ".environment"),
                          "the server takes a secret's or config's bytes only as an upload: "
                          "upload them (POST /api/v1/namespaces/" + ns +
                              "/files) and name them by digest (tender apply does both)"});
      } else if (!m.digest.empty() && (!uploads.files || !uploads.files->contains(ns, m.digest))) {
        errors.push_back({at + ".digest", "no file " + m.digest + " was uploaded to namespace \"" + ns +
                                              "\" (POST /api/v1/namespaces/" + ns +
                                              "/files; tender apply uploads it)"});
      }
    });
  }
}

// The server opens no path a request names, whoever asks: a build context
// given as a folder is refused (the tender command uploads the folder and
// sends its digest instead).
Status serverPathRefusal(const std::vector<Resource>& resources) {
  std::vector<FieldError> refused;
  for (size_t i = 0; i < resources.size(); ++i) {
    const Resource& r = resources[i];
    if (r.kind != "Service") continue;
    const ServiceSpec& s = r.service();
    if (s.build && !s.build->context.empty()) {
      refused.push_back({prefixOf(i, resources.size()) + "spec.build.context",
                         "\"" + s.build->context +
                             "\" names a folder, and the server reads no folder a request "
                             "names: upload the context and name it by spec.build.contextDigest "
                             "(tender apply does both)"});
    }
    forEachFileMount(s, [&](const char* field, size_t j, const FileMount& m) {
      if (m.file.empty()) return;
      refused.push_back({prefixOf(i, resources.size()) + "spec." + field + "[" + std::to_string(j) + "].file",
                         "\"" + m.file +
                             "\" names a file, and the server reads no file a request names: "
                             "upload it and name it by digest (tender apply does both)"});
    });
  }
  if (refused.empty()) return Status::Ok();
  return Status::Forbidden(refused.front().field + ": " + refused.front().message)
      .WithDetails(refused);
}

// dependsOn: each namespace's graph, the body over what is stored (with
// prune, what the body leaves out is going and does not count).
Status checkDependencyGraphs(const std::vector<Resource>& resources, bool prune, Store& view,
                             std::vector<FieldError>& errors) {
  std::map<std::string, std::map<std::string, ServiceDependencies>> graphs;
  for (size_t i = 0; i < resources.size(); ++i) {
    const Resource& r = resources[i];
    if (r.kind != "Service") continue;
    graphs[r.metadata.namespace_][r.metadata.name] = {r.metadata.name, r.service().dependsOn,
                                                      prefixOf(i, resources.size()), true};
  }
  for (auto& [ns, graph] : graphs) {
    if (!prune) {
      auto stored = view.list("Service", ns);
      if (!stored.ok()) return stored.status();
      for (const ResourceRecord& rec : *stored) {
        if (rec.deletedAt || graph.count(rec.name)) continue;
        auto decoded = decodeStored("Service", ns, rec.name, rec.labels, rec.spec);
        if (decoded.ok()) graph[rec.name] = {rec.name, decoded->service().dependsOn, "", false};
      }
    }
    std::vector<ServiceDependencies> list;
    for (auto& [name, d] : graph) list.push_back(d);
    for (FieldError& e : checkDependencies(ns, list)) errors.push_back(std::move(e));
  }
  return Status::Ok();
}

// Namespaces first, then networks and volumes, then services.
std::vector<Resource> inWriteOrder(std::vector<Resource> resources) {
  auto rank = [](const Resource& r) {
    return r.kind == "Namespace" ? 0 : r.kind == "Network" ? 1 : r.kind == "Volume" ? 2 : 3;
  };
  std::stable_sort(resources.begin(), resources.end(),
                   [&](const Resource& a, const Resource& b) { return rank(a) < rank(b); });
  return resources;
}

// Namespaces named by objects but not declared exist implicitly: created
// with the apply when no live one exists. Those in `baseline` (a tenant's
// first write there) are created, or rewritten, with level baseline.
Status addImplicitNamespaces(const std::vector<Resource>& resources, std::optional<int64_t> ttlMs,
                             const std::set<std::string>& baseline, Store& view,
                             std::vector<ResourceWrite>& writes) {
  std::set<std::string> declared, implicit;
  for (const Resource& r : resources) {
    if (r.kind == "Namespace") declared.insert(r.metadata.name);
  }
  for (const Resource& r : resources) {
    if (r.kind != "Namespace" && !declared.count(r.metadata.namespace_))
      implicit.insert(r.metadata.namespace_);
  }
  for (const std::string& ns : implicit) {
    auto stored = view.get("Namespace", "", ns);
    if (!stored.ok() && !stored.status().IsNotFound()) return stored.status();
    const bool live = stored.ok() && !stored->deletedAt;
    if (live && !baseline.count(ns)) continue;
    ResourceWrite w;
    w.op = live ? ResourceWrite::Op::kUpsert : ResourceWrite::Op::kCreateIfAbsent;
    w.kind = "Namespace";
    w.name = ns;
    if (live) {
      // Its labels and limits as they are, with the level the tenant's
      // write gives it; a concurrent change makes this apply a conflict.
      w.labels = stored->labels;
      w.spec = stored->spec;
      w.spec["security"]["level"] = securityLevelName(SecurityLevel::kBaseline);
      w.expectedResourceVersion = stored->resourceVersion;
    } else {
      w.spec = implicitNamespaceSpec(ns, ttlMs, baseline.count(ns) > 0);
    }
    writes.push_back(std::move(w));
  }
  return Status::Ok();
}

// Prune: what the body's namespaces hold and the body no longer names.
Status addPrunes(const std::vector<Resource>& resources, Store& view,
                 std::vector<ResourceWrite>& writes) {
  std::set<std::tuple<std::string, std::string, std::string>> inBody;
  std::set<std::string> namespaces;
  for (const Resource& r : resources) {
    inBody.emplace(r.kind, r.metadata.namespace_, r.metadata.name);
    namespaces.insert(namespaceOf(r));
  }
  for (const std::string& ns : namespaces) {
    for (const char* kind : {"Service", "Volume", "Network"}) {
      auto stored = view.list(kind, ns);
      if (!stored.ok()) return stored.status();
      for (const ResourceRecord& rec : *stored) {
        if (rec.deletedAt || inBody.count({kind, ns, rec.name})) continue;
        ResourceWrite w;
        w.op = ResourceWrite::Op::kMarkDeleted;
        w.kind = kind;
        w.ns = ns;
        w.name = rec.name;
        writes.push_back(std::move(w));
      }
    }
  }
  return Status::Ok();
}

ResourceWrite upsertOf(const Resource& r) {
  ResourceWrite w;
  w.kind = r.kind;
  w.ns = r.kind == "Namespace" ? "" : r.metadata.namespace_;
  w.name = r.metadata.name;
  w.labels = labelsJson(r.metadata.labels);
  w.spec = encodeSpec(r);
  w.expectedResourceVersion = r.metadata.resourceVersion;
  return w;
}

nlohmann::json itemOf(const ResourceWrite& w, const std::string& outcome) {
  nlohmann::json item = {{"kind", w.kind}, {"name", w.name}};
  if (!w.ns.empty()) item["namespace"] = w.ns;
  item["outcome"] = outcome;
  return item;
}

// What a dry run says of each write, as of the store now.
Result<nlohmann::json> dryRunItems(const ApplyPlan& plan, Store& store,
                                   const ApplyRouteOptions& opts) {
  nlohmann::json items = nlohmann::json::array();
  for (size_t i = 0; i < plan.writes.size(); ++i) {
    const ResourceWrite& w = plan.writes[i];
    if (w.op == ResourceWrite::Op::kAdopt) continue;
    if (w.op == ResourceWrite::Op::kCreateIfAbsent) {
      items.push_back(itemOf(w, "created"));
      continue;
    }
    if (w.op == ResourceWrite::Op::kMarkDeleted) {
      items.push_back(itemOf(w, "deleted"));
      continue;
    }
    auto existing = store.get(w.kind, w.ns, w.name);
    if (!existing.ok() && !existing.status().IsNotFound()) return existing.status();
    std::string outcome = "created";
    if (existing.ok() && !existing->deletedAt) {
      outcome =
          (existing->spec == w.spec && existing->labels == w.labels) ? "unchanged" : "configured";
    }
    nlohmann::json item = itemOf(w, outcome);
    // What the containers would go through. The plan is advice: an engine
    // that cannot be asked leaves a warning, not a failed dry run.
    if (i < plan.firstResourceWrite) {  // a namespace set to baseline
      items.push_back(std::move(item));
      continue;
    }
    const Resource& r = plan.resources[i - plan.firstResourceWrite];
    if (r.kind == "Service" && opts.planService) {
      auto containers = opts.planService(r);
      if (containers.ok()) {
        item["plan"] = (*containers)["plan"];
        if (!(*containers)["warnings"].empty()) item["warnings"] = (*containers)["warnings"];
      } else {
        item["warnings"] = {"cannot plan the containers: " + containers.status().message()};
      }
    }
    items.push_back(std::move(item));
  }
  return items;
}

// After the commit: the answer's items, an event for each change, and the
// keys to reconcile.
nlohmann::json committedItems(const ApplyPlan& plan, const std::vector<WriteResult>& results,
                              Store& store, Clock& clock,
                              const std::function<void(const Key&)>& enqueue) {
  nlohmann::json items = nlohmann::json::array();
  for (size_t i = 0; i < plan.writes.size(); ++i) {
    const ResourceWrite& w = plan.writes[i];
    const WriteResult& r = results[i];
    if (!r.applied || w.op == ResourceWrite::Op::kAdopt) continue;
    if (w.op == ResourceWrite::Op::kMarkDeleted) {
      recordChange(store, clock, w.kind, w.ns, w.name, "Deleting",
                   "pruned: no longer in the applied manifests", plan.by);
      items.push_back(itemOf(w, "deleted"));
    } else if (w.op == ResourceWrite::Op::kCreateIfAbsent) {
      items.push_back(itemOf(w, "created"));
    } else {
      nlohmann::json item = itemOf(w, outcomeName(r.upsert.outcome));
      item["generation"] = r.upsert.record.generation;
      item["resourceVersion"] = std::to_string(r.upsert.record.resourceVersion);
      items.push_back(std::move(item));
      if (r.upsert.outcome != UpsertOutcome::kUnchanged) {
        recordChange(store, clock, w.kind, w.ns, w.name, "Applied",
                     std::string(outcomeName(r.upsert.outcome)) + " (generation " +
                         std::to_string(r.upsert.record.generation) + ")", plan.by);
      }
    }
    enqueue(Key{w.kind, w.ns, w.name});
  }
  return items;
}

// Docker compose's objects of the namespaces the plan writes to
// (compose_takeover.h): the adoptions go into the plan's writes, the answer
// reports them, and ?replaceCompose's containers go before the commit (so
// that no two databases open one volume). A project that cannot be looked
// up is reported: nothing is then adopted, and the reconcilers use no
// object that is not theirs.
Status takeOver(const HttpRequest& req, ApplyPlan& plan, Store& store,
                const ApplyRouteOptions& opts) {
  if (!opts.composeProject) return Status::Ok();
  // Only an object new to the store (a volume, a network, a namespace's
  // first default network) can be docker compose's: an apply that changes
  // what tender already holds asks the engine nothing, so it is answered
  // from the store even while the engine does not answer.
  std::set<std::string> meets;
  for (const Resource& r : plan.resources) {
    if (r.kind == "Namespace") continue;
    const std::string& ns = r.metadata.namespace_;
    auto known = [&](const std::string& kind, const std::string& name) {
      auto stored = store.get(kind, kind == "Namespace" ? "" : ns, name);
      return stored.ok() && !stored->deletedAt;
    };
    if (!known("Namespace", ns) || ((r.kind == "Volume" || r.kind == "Network") && !known(r.kind, r.metadata.name))) {
      meets.insert(ns);
    }
  }
  std::map<std::string, ComposeFootprint> footprints;
  for (const std::string& ns : meets) {
    auto f = opts.composeProject(ns);
    if (!f.ok()) {
      plan.warnings.push_back("cannot look for docker compose's objects of project " + ns + ": " +
                              f.status().message());
      continue;
    }
    footprints[ns] = std::move(*f);
  }
  auto takeover = decideTakeover(requesterOf(req), plan.resources, footprints,
                                 truthy(req.queryParam("replaceCompose")), store);
  if (!takeover.ok()) return takeover.status();
  for (const Adoption& a : takeover->adoptions) {
    auto w = std::find_if(plan.writes.begin(), plan.writes.end(), [&](const ResourceWrite& w) {
      return w.op == ResourceWrite::Op::kUpsert && w.kind == a.kind && w.ns == a.namespace_ &&
             w.name == a.name;
    });
    if (w != plan.writes.end()) {
      w->adoption = a;
    } else {  // the implicit default network
      ResourceWrite adopt;
      adopt.op = ResourceWrite::Op::kAdopt;
      adopt.kind = a.kind;
      adopt.ns = a.namespace_;
      adopt.name = a.name;
      adopt.adoption = a;
      plan.writes.push_back(std::move(adopt));
    }
  }
  for (std::string& w : takeover->warnings) plan.warnings.push_back(std::move(w));
  if (plan.dryRun || !opts.removeComposeContainers) return Status::Ok();
  for (const ComposeFootprint& f : takeover->replace) {
    Status removed = opts.removeComposeContainers(f);
    if (!removed.ok()) return removed;
  }
  return Status::Ok();
}

}  // namespace

Result<ApplyPlan> planWrites(const Requester& who, std::vector<Resource> resources,
                             const PlanOptions& options, Store& view,
                             const ResolveHostPath& resolve) {
  ApplyPlan plan;
  plan.by = who.name;
  plan.dryRun = options.dryRun;
  plan.prune = options.prune;
  // Who may write what comes first, so that no error tells a tenant of
  // another namespace's objects.
  Status granted = checkNamespacesGranted(who, resources);
  if (!granted.ok()) return granted;
  if (options.ttlMs && !who.admin) {
    return Status::Forbidden("token \"" + who.name + "\" may not set a namespace's TTL")
        .WithDetails({{"ttl", "only an admin token sets a namespace's TTL"}});
  }

  // (parseManifests already refuses an object given twice.)
  std::vector<FieldError> errors;
  checkNetworks(resources, view, errors);
  checkUploads(resources, options.uploads, errors);
  Status graphs = checkDependencyGraphs(resources, plan.prune, view, errors);
  if (!graphs.ok()) return graphs;
  if (!errors.empty()) return Status::Invalid("the manifests are invalid", errors);

  Status paths = serverPathRefusal(resources);
  if (!paths.ok()) return paths;
  // A namespace's limits and each namespace's security level.
  auto admitted = admitObjects(who, resources, view, resolve);
  if (!admitted.ok()) return admitted.status();

  Status implicit =
      addImplicitNamespaces(resources, options.ttlMs, admitted->baseline, view, plan.writes);
  if (!implicit.ok()) return implicit;
  plan.resources = inWriteOrder(std::move(resources));
  plan.firstResourceWrite = plan.writes.size();
  for (const Resource& r : plan.resources) plan.writes.push_back(upsertOf(r));
  if (plan.prune) {
    Status pruned = addPrunes(plan.resources, view, plan.writes);
    if (!pruned.ok()) return pruned;
  }
  return plan;
}

Result<ApplyPlan> planApply(const HttpRequest& req, Store& view, const ResolveHostPath& resolve,
                            Uploads uploads) {
  std::vector<std::string> warnings;
  auto parsed = parseBody(req, &warnings);
  if (!parsed.ok()) return parsed.status();
  auto ttlMs = ttlParam(req);
  if (!ttlMs.ok()) return ttlMs.status();
  PlanOptions options;
  options.dryRun = truthy(req.queryParam("dryRun"));
  options.prune = truthy(req.queryParam("prune"));
  options.ttlMs = *ttlMs;
  options.uploads = uploads;
  auto plan = planWrites(requesterOf(req), std::move(*parsed), options, view, resolve);
  if (!plan.ok()) return plan.status();
  plan->warnings = std::move(warnings);
  return plan;
}

Result<std::vector<WriteResult>> commitPlan(const ApplyPlan& plan, Store& store, Clock& clock,
                                            const std::function<void(const Key&)>& enqueue,
                                            nlohmann::json* items) {
  auto results = store.commit(plan.writes);
  if (!results.ok()) return results.status();
  nlohmann::json done = committedItems(plan, *results, store, clock, enqueue);
  if (items) *items = std::move(done);
  return results;
}

void registerApplyRoute(Router& router, Store& store, Clock& clock, ApplyRouteOptions opts) {
  if (!opts.enqueue) opts.enqueue = [](const Key&) {};
  router.add("POST", "/api/v1/apply", [&store, &clock, opts](const HttpRequest& req) {
    auto plan = planApply(req, store, hostPathResolver(), opts.uploads);
    if (!plan.ok()) return HttpResponse::Error(plan.status());
    Status taken = takeOver(req, *plan, store, opts);
    if (!taken.ok()) return HttpResponse::Error(taken);
    Result<nlohmann::json> items = Status::Internal("unset");
    if (plan->dryRun) {
      items = dryRunItems(*plan, store, opts);
    } else {
      nlohmann::json committed;
      auto results = commitPlan(*plan, store, clock, opts.enqueue, &committed);
      if (!results.ok()) return HttpResponse::Error(results.status());
      items = std::move(committed);
    }
    if (!items.ok()) return HttpResponse::Error(items.status());
    nlohmann::json answer = {
        {"kind", "ApplyResult"}, {"dryRun", plan->dryRun}, {"items", std::move(*items)}};
    if (!plan->warnings.empty()) answer["warnings"] = plan->warnings;
    return HttpResponse::Json(200, answer);
  });
}

}  // namespace tender
