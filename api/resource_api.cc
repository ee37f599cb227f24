#include "api/resource_api.h"

#include <filesystem>
#include <mutex>
#include <set>
#include <unordered_map>

#include "api/http_status.h"
#include "base/time_format.h"
#include "manifests/compose.h"
#include "manifests/dependencies.h"
#include "manifests/manifest.h"
#include "reconcilers/events.h"
#include "reconcilers/post_mortem.h"

namespace tender {

namespace {

struct KindRoute {
  const char* plural;
  const char* kind;
};
constexpr KindRoute kNamespaced[] = {{"services", "Service"}, {"networks", "Network"}, {"volumes", "Volume"}};

const char* outcomeName(UpsertOutcome o) {
  switch (o) {
    case UpsertOutcome::kCreated: return "created";
    case UpsertOutcome::kConfigured: return "configured";
    case UpsertOutcome::kUnchanged: return "unchanged";
  }
  return "unchanged";
}

bool truthy(const std::string& v) { return v == "true" || v == "1" || v == "yes"; }

nlohmann::json labelsJson(const std::map<std::string, std::string>& labels) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [k, v] : labels) out[k] = v;
  return out;
}

// Namespaces that objects name exist implicitly: true when `ns` has a live
// record, false when it has none or only a deleted one.
Result<bool> namespaceExists(Store& store, const std::string& ns) {
  auto existing = store.get("Namespace", "", ns);
  if (existing.ok()) return !existing->deletedAt.has_value();
  if (existing.status().IsNotFound()) return false;
  return existing.status();
}

Status createNamespace(Store& store, const std::string& ns, const std::function<void(const Key&)>& enqueue,
                       std::optional<int64_t> ttlMs = std::nullopt) {
  nlohmann::json spec = nlohmann::json::object();
  if (ttlMs) {
    Resource r;
    r.kind = "Namespace";
    r.metadata.name = ns;
    NamespaceSpec n;
    n.ttlMs = ttlMs;
    r.spec = n;
    spec = encodeSpec(r);
  }
  auto up = store.upsert("Namespace", "", ns, nlohmann::json::object(), spec);
  if (!up.ok()) return up.status();
  enqueue(Key{"Namespace", "", ns});
  return Status::Ok();
}

// labelSelector: "k=v,k2=v2" (also "k==v" and "k!=v"), as kubectl writes
// the simple form.
Result<std::vector<std::tuple<std::string, std::string, bool>>> parseSelector(const std::string& sel) {
  std::vector<std::tuple<std::string, std::string, bool>> out;
  size_t start = 0;
  while (start <= sel.size() && !sel.empty()) {
    size_t comma = sel.find(',', start);
    std::string term = sel.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    bool negate = false;
    size_t eq = term.find("!=");
    size_t skip = 2;
    if (eq != std::string::npos) {
      negate = true;
    } else if ((eq = term.find("==")) == std::string::npos) {
      eq = term.find('=');
      skip = 1;
    }
    if (eq == std::string::npos || eq == 0) {
      return Status::Invalid("labelSelector: \"" + term + "\" is not key=value or key!=value",
                             {{"labelSelector", "\"" + term + "\" is not key=value or key!=value"}});
    }
    out.emplace_back(term.substr(0, eq), term.substr(eq + skip), negate);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

bool matches(const nlohmann::json& labels, const std::vector<std::tuple<std::string, std::string, bool>>& sel) {
  for (const auto& [k, v, negate] : sel) {
    bool eq = labels.contains(k) && labels[k].is_string() && labels[k].get<std::string>() == v;
    if (eq == negate) return false;
  }
  return true;
}

// Rendered list answers, reused while the store has not been written: a
// list of 50 services costs milliseconds of decoding and encoding, a cached
// one a copy. Bounded: when full it starts again empty.
class ListCache {
 public:
  std::shared_ptr<const std::string> get(const std::string& key, int64_t version) {
    std::lock_guard<std::mutex> l(mu_);
    auto it = entries_.find(key);
    if (it == entries_.end() || it->second.first != version) return nullptr;
    return it->second.second;
  }
  void put(const std::string& key, int64_t version, std::shared_ptr<const std::string> body) {
    std::lock_guard<std::mutex> l(mu_);
    if (entries_.size() >= kMaxEntries && !entries_.count(key)) entries_.clear();
    entries_[key] = {version, std::move(body)};
  }

 private:
  static constexpr size_t kMaxEntries = 256;
  std::mutex mu_;
  std::unordered_map<std::string, std::pair<int64_t, std::shared_ptr<const std::string>>> entries_;
};

std::string listCacheKey(const char* kind, const std::optional<std::string>& ns, const HttpRequest& req) {
  return std::string(kind) + '\n' + ns.value_or("*") + '\n' + req.queryParam("labelSelector") + '\n' +
         (req.principal ? req.principal->name : std::string());
}

// The cached answer, when current: for the event loop (never blocks).
std::optional<HttpResponse> cachedList(Store& store, ListCache& cache, const char* kind,
                                       const std::optional<std::string>& ns, const HttpRequest& req) {
  auto body = cache.get(listCacheKey(kind, ns, req), store.resourceWrites());
  if (!body) return std::nullopt;
  return HttpResponse::Shared(200, std::move(body));
}

HttpResponse list(Store& store, ListCache& cache, const char* kind, const std::optional<std::string>& ns,
                  const HttpRequest& req) {
  const std::string selector = req.queryParam("labelSelector");
  auto sel = parseSelector(selector);
  if (!sel.ok()) return HttpResponse::Error(sel.status());
  // The version is read before the store: a write that lands meanwhile
  // moves it on, so the entry made here is never taken for current.
  const int64_t version = store.resourceWrites();
  const std::string key = listCacheKey(kind, ns, req);
  if (auto body = cache.get(key, version)) return HttpResponse::Shared(200, std::move(body));
  auto items = store.list(kind, ns);
  if (!items.ok()) return HttpResponse::Error(items.status());
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : *items) {
    if (!req.mayUse(r.kind == "Namespace" ? r.name : r.namespace_)) continue;
    if (matches(r.labels, *sel)) out.push_back(objectFromRecord(r));
  }
  nlohmann::json answer = {{"apiVersion", kApiVersion}, {"kind", std::string(kind) + "List"}};
  answer["items"] = std::move(out);
  auto body = std::make_shared<const std::string>(
      answer.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  cache.put(key, version, body);
  return HttpResponse::Shared(200, std::move(body));
}

// One object's answer, rendered once per store write like the lists (a
// status read by a script polling for readiness is the common request).
std::string oneCacheKey(const char* kind, const std::string& ns, const std::string& name) {
  return std::string(kind) + '\n' + ns + '\n' + name + "\n#one";
}

std::optional<HttpResponse> cachedOne(Store& store, ListCache& cache, const char* kind, const std::string& ns,
                                      const std::string& name) {
  auto body = cache.get(oneCacheKey(kind, ns, name), store.resourceWrites());
  if (!body) return std::nullopt;
  return HttpResponse::Shared(200, std::move(body));
}

HttpResponse getOne(Store& store, ListCache& cache, const char* kind, const std::string& ns, const std::string& name) {
  const int64_t version = store.resourceWrites();  // before the read, as for lists
  const std::string key = oneCacheKey(kind, ns, name);
  if (auto body = cache.get(key, version)) return HttpResponse::Shared(200, std::move(body));
  auto r = store.get(kind, ns, name);
  if (!r.ok()) {
    if (r.status().IsNotFound()) {
      std::string what = std::string(kind) + " \"" + name + "\"";
      if (!ns.empty()) what += " in namespace \"" + ns + "\"";
      return HttpResponse::Error(Status::NotFound(what + " not found"));
    }
    return HttpResponse::Error(r.status());
  }
  auto body = std::make_shared<const std::string>(
      objectFromRecord(*r).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  cache.put(key, version, body);
  return HttpResponse::Shared(200, std::move(body));
}

// What an API write did, as an event watchers see ("Applied", "Deleting").
void recordChange(Store& store, Clock& clock, const std::string& kind, const std::string& ns,
                  const std::string& name, const std::string& reason, const std::string& message) {
  recordEvent(store, clock, Key{kind, ns, name}, "Normal", reason, message);
}

Status forbidden(const HttpRequest& req, const std::string& ns, const std::string& field) {
  return Status::Forbidden("token \"" + req.principal->name + "\" may not use namespace \"" + ns + "\"")
      .WithDetails({{field, "namespace \"" + ns + "\" is not granted to \"" + req.principal->name + "\""}});
}

Result<int64_t> parseId(const std::string& param, const std::string& v) {
  try {
    size_t used = 0;
    int64_t id = std::stoll(v, &used);
    if (used != v.size() || id < 0) throw std::invalid_argument(v);
    return id;
  } catch (...) {
    return Status::Invalid(param + ": \"" + v + "\" is not an event id", {{param, "\"" + v + "\" is not an event id"}});
  }
}

Result<int> parsePositive(const std::string& param, const std::string& v) {
  try {
    size_t used = 0;
    int n = std::stoi(v, &used);
    if (used != v.size() || n < 1) throw std::invalid_argument(v);
    return n;
  } catch (...) {
    return Status::Invalid(param + ": \"" + v + "\" is not a positive number",
                           {{param, "\"" + v + "\" is not a positive number"}});
  }
}

std::string notFoundMessage(const std::string& kind, const std::string& ns, const std::string& name) {
  std::string what = kind + " \"" + name + "\"";
  if (!ns.empty()) what += " in namespace \"" + ns + "\"";
  return what + " not found";
}

// A Compose file sent as it is: converted here, where neither the client's
// environment nor its files are at hand (defaults apply; env_file is
// refused). The project is ?project= or the file's name:.
Result<std::vector<Resource>> composeResources(const HttpRequest& req, std::vector<std::string>* warnings) {
  ComposeOptions co;
  co.projectName = req.queryParam("project");
  co.nameParameter = "project";
  if (std::filesystem::path(req.queryParam("baseDir")).is_absolute()) co.projectDir = req.queryParam("baseDir");
  std::string profiles = req.queryParam("profile");
  for (size_t start = 0; !profiles.empty() && start <= profiles.size();) {
    size_t comma = profiles.find(',', start);
    std::string p = profiles.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
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

}  // namespace

nlohmann::json objectFromRecord(const ResourceRecord& r) {
  nlohmann::json meta = {{"name", r.name},
                         {"uid", r.uid},
                         {"generation", r.generation},
                         {"resourceVersion", std::to_string(r.resourceVersion)},
                         {"creationTimestamp", formatRfc3339Millis(r.createdAt)}};
  if (r.kind != "Namespace") meta["namespace"] = r.namespace_;
  if (!r.labels.empty()) meta["labels"] = r.labels;
  if (r.deletedAt) meta["deletionTimestamp"] = formatRfc3339Millis(*r.deletedAt);
  nlohmann::json spec = r.spec;
  auto decoded = decodeStored(r.kind, r.namespace_, r.name, r.labels, r.spec);
  if (decoded.ok()) {
    nlohmann::json full = encodeResource(*decoded);
    if (full.contains("spec")) spec = full["spec"];
  }
  return {{"apiVersion", kApiVersion}, {"kind", r.kind}, {"metadata", meta}, {"spec", spec},
          {"status", r.status}};
}

void registerResourceApi(Router& router, Store& store, Clock& clock, ResourceApiOptions opts) {
  auto enqueue = opts.enqueue ? opts.enqueue : [](const Key&) {};
  auto cache = std::make_shared<ListCache>();

  router.addPublic("GET", "/healthz", [](const HttpRequest&) { return HttpResponse::Text(200, "ok\n"); });
  router.addPublic("GET", "/readyz", [opts](const HttpRequest&) {
    Status s = opts.readiness ? opts.readiness() : Status::Ok();
    if (!s.ok()) return HttpResponse::Error(Status::Unavailable("not ready: " + s.message()));
    return HttpResponse::Text(200, "ok\n");
  });
  router.add("GET", "/version", [opts](const HttpRequest&) {
    nlohmann::json v = {{"version", TENDER_VERSION}, {"apiVersion", kApiVersion}};
    if (opts.versionInfo) {
      nlohmann::json info = opts.versionInfo();
      for (auto& [k, val] : info.items()) v[k] = val;
    }
    return HttpResponse::Json(200, v);
  });

  router.add("POST", "/api/v1/apply", [&store, &clock, enqueue, opts](const HttpRequest& req) {
    if (req.body.find_first_not_of(" \t\r\n") == std::string::npos) {
      return HttpResponse::Error(Status::Invalid("the request body is empty: send one or more manifests"));
    }
    ParseOptions po;
    std::string nsParam = req.queryParam("namespace");
    if (!nsParam.empty()) {
      if (!isDnsLabel(nsParam)) {
        return HttpResponse::Error(Status::Invalid(
            "namespace: \"" + nsParam + "\" is not a DNS label",
            {{"namespace", "\"" + nsParam + "\" is not a DNS label (lowercase letters, digits and '-', at most 63 characters)"}}));
      }
      po.defaultNamespace = nsParam;
    }
    std::vector<std::string> warnings;
    auto parsed = isComposeDocument(req.body) ? composeResources(req, &warnings) : parseManifests(req.body, po);
    if (!parsed.ok()) return HttpResponse::Error(parsed.status());
    std::vector<Resource>& resources = *parsed;
    const bool dryRun = truthy(req.queryParam("dryRun"));
    const bool prune = truthy(req.queryParam("prune"));
    // ?ttl=D: the namespaces this apply creates expire (CI runs).
    std::optional<int64_t> ttlMs;
    if (std::string ttl = req.queryParam("ttl"); !ttl.empty()) {
      auto ms = parseDurationMs(ttl);
      if (!ms.ok() || *ms <= 0) {
        return HttpResponse::Error(Status::Invalid("ttl: \"" + ttl + "\" is not a positive duration",
                                                   {{"ttl", "\"" + ttl + "\" is not a positive duration (1h, 30m)"}}));
      }
      ttlMs = *ms;
    }

    // Every namespace the body names must be the sender's to use.
    std::set<std::string> bodyNamespaces;
    for (const Resource& r : resources) {
      bodyNamespaces.insert(r.kind == "Namespace" ? r.metadata.name : r.metadata.namespace_);
    }
    for (const std::string& ns : bodyNamespaces) {
      if (!req.mayUse(ns)) return HttpResponse::Error(forbidden(req, ns, "metadata.namespace"));
    }

    // Networks a service names must be declared (in this body or already
    // stored), "default" aside. (parseManifests already refuses an object
    // given twice.)
    std::vector<FieldError> errors;
    std::set<std::string> declaredNetworks, namespacesInBody;
    for (const Resource& r : resources) {
      if (r.kind == "Network") declaredNetworks.insert(r.metadata.namespace_ + "/" + r.metadata.name);
      if (r.kind == "Namespace") namespacesInBody.insert(r.metadata.name);
    }
    for (size_t i = 0; i < resources.size(); ++i) {
      const Resource& r = resources[i];
      if (r.kind != "Service") continue;
      std::string prefix = resources.size() > 1 ? "[" + std::to_string(i) + "]." : "";
      const auto& nets = r.service().networks;
      for (size_t j = 0; j < nets.size(); ++j) {
        const std::string& n = nets[j];
        if (n == "default" || declaredNetworks.count(r.metadata.namespace_ + "/" + n)) continue;
        auto stored = store.get("Network", r.metadata.namespace_, n);
        if (stored.ok() && !stored->deletedAt) continue;
        errors.push_back({prefix + "spec.networks[" + std::to_string(j) + "]",
                          "network \"" + n + "\" is not declared in namespace \"" + r.metadata.namespace_ + "\""});
      }
    }
    // A relative build context is the manifest's folder's business: the CLI
    // sends that folder as baseDir.
    const std::string baseDir = req.queryParam("baseDir");
    for (size_t i = 0; i < resources.size(); ++i) {
      Resource& r = resources[i];
      if (r.kind != "Service") continue;
      auto& spec = std::get<ServiceSpec>(r.spec);
      if (!spec.build || std::filesystem::path(spec.build->context).is_absolute()) continue;
      std::string prefix = resources.size() > 1 ? "[" + std::to_string(i) + "]." : "";
      if (baseDir.empty() || !std::filesystem::path(baseDir).is_absolute()) {
        errors.push_back({prefix + "spec.build.context",
                          "\"" + spec.build->context +
                              "\" is relative: give an absolute path, or the manifest's folder as "
                              "the baseDir parameter (the tender command does)"});
        continue;
      }
      spec.build->context = (std::filesystem::path(baseDir) / spec.build->context).lexically_normal().string();
      if (spec.build->context.size() > 1 && spec.build->context.back() == '/') spec.build->context.pop_back();
    }
    // dependsOn: each namespace's graph, the body over what is stored (with
    // prune, what the body leaves out is going and does not count).
    std::map<std::string, std::map<std::string, ServiceDependencies>> graphs;
    for (size_t i = 0; i < resources.size(); ++i) {
      const Resource& r = resources[i];
      if (r.kind != "Service") continue;
      std::string prefix = resources.size() > 1 ? "[" + std::to_string(i) + "]." : "";
      graphs[r.metadata.namespace_][r.metadata.name] = {r.metadata.name, r.service().dependsOn, prefix, true};
    }
    for (auto& [ns, graph] : graphs) {
      if (!truthy(req.queryParam("prune"))) {
        auto stored = store.list("Service", ns);
        if (!stored.ok()) return HttpResponse::Error(stored.status());
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
    if (!errors.empty()) return HttpResponse::Error(Status::Invalid("the manifests are invalid", errors));

    // Namespaces first, then networks and volumes, then services.
    auto rank = [](const std::string& kind) {
      return kind == "Namespace" ? 0 : kind == "Network" ? 1 : kind == "Volume" ? 2 : 3;
    };
    std::vector<size_t> order(resources.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return rank(resources[a].kind) < rank(resources[b].kind); });

    nlohmann::json items = nlohmann::json::array();
    std::set<std::string> implicitNamespaces;
    for (const Resource& r : resources) {
      if (r.kind != "Namespace" && !namespacesInBody.count(r.metadata.namespace_)) {
        implicitNamespaces.insert(r.metadata.namespace_);
      }
    }
    // Namespaces named by objects but not declared exist implicitly.
    for (const std::string& ns : implicitNamespaces) {
      auto exists = namespaceExists(store, ns);
      if (!exists.ok()) return HttpResponse::Error(exists.status());
      if (*exists) continue;
      if (!dryRun) {
        Status s = createNamespace(store, ns, enqueue, ttlMs);
        if (!s.ok()) return HttpResponse::Error(s);
      }
      items.push_back({{"kind", "Namespace"}, {"name", ns}, {"outcome", "created"}});
    }
    for (size_t i : order) {
      const Resource& r = resources[i];
      const std::string ns = r.kind == "Namespace" ? "" : r.metadata.namespace_;
      const nlohmann::json labels = labelsJson(r.metadata.labels);
      const nlohmann::json spec = encodeSpec(r);
      nlohmann::json item = {{"kind", r.kind}, {"name", r.metadata.name}};
      if (!ns.empty()) item["namespace"] = ns;
      if (dryRun) {
        auto existing = store.get(r.kind, ns, r.metadata.name);
        if (!existing.ok() && !existing.status().IsNotFound()) return HttpResponse::Error(existing.status());
        std::string outcome = "created";
        if (existing.ok() && !existing->deletedAt) {
          outcome = (existing->spec == spec && existing->labels == labels) ? "unchanged" : "configured";
        }
        item["outcome"] = outcome;
        // What the containers would go through. The plan is advice: an
        // engine that cannot be asked leaves a warning, not a failed dry run.
        if (r.kind == "Service" && opts.planService) {
          auto plan = opts.planService(r);
          if (plan.ok()) {
            item["plan"] = (*plan)["plan"];
            if (!(*plan)["warnings"].empty()) item["warnings"] = (*plan)["warnings"];
          } else {
            item["warnings"] = {"cannot plan the containers: " + plan.status().message()};
          }
        }
        items.push_back(item);
        continue;
      }
      auto up = store.upsert(r.kind, ns, r.metadata.name, labels, spec, r.metadata.resourceVersion);
      if (!up.ok()) {
        Status s = up.status().WithContext(r.kind + " \"" + r.metadata.name + "\"");
        return HttpResponse::Error(s);
      }
      item["outcome"] = outcomeName(up->outcome);
      item["generation"] = up->record.generation;
      item["resourceVersion"] = std::to_string(up->record.resourceVersion);
      items.push_back(item);
      if (up->outcome != UpsertOutcome::kUnchanged) {
        recordChange(store, clock, r.kind, ns, r.metadata.name, "Applied",
                     std::string(outcomeName(up->outcome)) + " (generation " + std::to_string(up->record.generation) + ")");
      }
      enqueue(Key{r.kind, ns, r.metadata.name});
    }

    // Prune: what the body's namespaces hold and the body no longer does.
    if (prune) {
      std::set<std::tuple<std::string, std::string, std::string>> inBody;
      for (const Resource& r : resources) inBody.emplace(r.kind, r.metadata.namespace_, r.metadata.name);
      for (const std::string& ns : bodyNamespaces) {
        for (const char* kind : {"Service", "Volume", "Network"}) {
          auto stored = store.list(kind, ns);
          if (!stored.ok()) return HttpResponse::Error(stored.status());
          for (const ResourceRecord& rec : *stored) {
            if (rec.deletedAt || inBody.count({kind, ns, rec.name})) continue;
            if (!dryRun) {
              Status s = store.markDeleted(kind, ns, rec.name);
              if (s.IsNotFound()) continue;
              if (!s.ok()) return HttpResponse::Error(s);
              recordChange(store, clock, kind, ns, rec.name, "Deleting", "pruned: no longer in the applied manifests");
              enqueue(Key{kind, ns, rec.name});
            }
            items.push_back({{"kind", kind}, {"namespace", ns}, {"name", rec.name}, {"outcome", "deleted"}});
          }
        }
      }
    }
    nlohmann::json answer = {{"kind", "ApplyResult"}, {"dryRun", dryRun}, {"items", items}};
    if (!warnings.empty()) answer["warnings"] = warnings;
    return HttpResponse::Json(200, answer);
  });

  for (const KindRoute& kr : kNamespaced) {
    const char* kind = kr.kind;
    std::string plural = kr.plural;
    router.add("GET", "/api/v1/" + plural,
               [&store, cache, kind](const HttpRequest& req) { return list(store, *cache, kind, std::nullopt, req); },
               [&store, cache, kind](const HttpRequest& req) { return cachedList(store, *cache, kind, std::nullopt, req); });
    router.add(
        "GET", "/api/v1/namespaces/{ns}/" + plural,
        [&store, cache, kind](const HttpRequest& req) { return list(store, *cache, kind, req.params.at("ns"), req); },
        [&store, cache, kind](const HttpRequest& req) {
          return cachedList(store, *cache, kind, req.params.at("ns"), req);
        });
    router.add(
        "GET", "/api/v1/namespaces/{ns}/" + plural + "/{name}",
        [&store, cache, kind](const HttpRequest& req) {
          return getOne(store, *cache, kind, req.params.at("ns"), req.params.at("name"));
        },
        [&store, cache, kind](const HttpRequest& req) {
          return cachedOne(store, *cache, kind, req.params.at("ns"), req.params.at("name"));
        });
    router.add("DELETE", "/api/v1/namespaces/{ns}/" + plural + "/{name}",
               [&store, &clock, kind, enqueue](const HttpRequest& req) {
                 const std::string& ns = req.params.at("ns");
                 const std::string& name = req.params.at("name");
                 auto before = store.get(kind, ns, name);
                 // Deleting a volume by name means its data: it is removed.
                 const bool purgeData = std::string(kind) == "Volume";
                 Status s = before.ok() || !before.status().IsNotFound() ? store.markDeleted(kind, ns, name, purgeData)
                                                                          : before.status();
                 if (s.IsNotFound()) return HttpResponse::Error(Status::NotFound(notFoundMessage(kind, ns, name)));
                 if (!s.ok()) return HttpResponse::Error(s);
                 if (before.ok() && !before->deletedAt) {
                   recordChange(store, clock, kind, ns, name, "Deleting", "deletion requested");
                 }
                 enqueue(Key{kind, ns, name});
                 return HttpResponse::Json(200, {{"kind", "Status"},
                                                 {"status", "Success"},
                                                 {"details", {{"kind", kind}, {"namespace", ns}, {"name", name}}}});
               });
  }

  // PUT replaces one object. A body carrying metadata.resourceVersion is a
  // conditional update: a stale version gets 409 Conflict and writes nothing.
  for (const KindRoute& kr : kNamespaced) {
    const char* kind = kr.kind;
    router.add("PUT", std::string("/api/v1/namespaces/{ns}/") + kr.plural + "/{name}",
               [&store, &clock, kind, enqueue](const HttpRequest& req) {
                 const std::string& ns = req.params.at("ns");
                 const std::string& name = req.params.at("name");
                 ParseOptions po;
                 po.defaultNamespace = ns;
                 auto parsed = parseManifests(req.body, po);
                 if (!parsed.ok()) return HttpResponse::Error(parsed.status());
                 if (parsed->size() != 1) {
                   return HttpResponse::Error(Status::Invalid(
                       "the body must hold exactly one object, it holds " + std::to_string(parsed->size())));
                 }
                 const Resource& r = parsed->front();
                 std::vector<FieldError> errors;
                 if (r.kind != kind) errors.push_back({"kind", "\"" + r.kind + "\" does not match the path's " + kind});
                 if (r.metadata.name != name) {
                   errors.push_back({"metadata.name", "\"" + r.metadata.name + "\" does not match the path's \"" + name + "\""});
                 }
                 if (r.metadata.namespace_ != ns) {
                   errors.push_back({"metadata.namespace",
                                     "\"" + r.metadata.namespace_ + "\" does not match the path's \"" + ns + "\""});
                 }
                 if (!errors.empty()) return HttpResponse::Error(Status::Invalid("the object does not match its path", errors));
                 if (r.kind == "Service" && r.service().build &&
                     !std::filesystem::path(r.service().build->context).is_absolute()) {
                   return HttpResponse::Error(Status::Invalid(
                       "spec.build.context is relative", {{"spec.build.context", "must be an absolute path in a PUT"}}));
                 }
                 auto exists = namespaceExists(store, ns);
                 if (!exists.ok()) return HttpResponse::Error(exists.status());
                 if (!*exists) {
                   Status created = createNamespace(store, ns, enqueue);
                   if (!created.ok()) return HttpResponse::Error(created);
                 }
                 auto up = store.upsert(kind, ns, name, labelsJson(r.metadata.labels), encodeSpec(r),
                                        r.metadata.resourceVersion);
                 if (!up.ok()) return HttpResponse::Error(up.status());
                 if (up->outcome != UpsertOutcome::kUnchanged) {
                   recordChange(store, clock, kind, ns, name, "Applied",
                                std::string(outcomeName(up->outcome)) + " (generation " +
                                    std::to_string(up->record.generation) + ")");
                 }
                 enqueue(Key{kind, ns, name});
                 return HttpResponse::Json(up->outcome == UpsertOutcome::kCreated ? 201 : 200,
                                           objectFromRecord(up->record));
               });
  }

  // Events, oldest first. ?namespace=NS&kind=K&name=N filter; ?since=ID
  // gives those after an id (the oldest `limit` of them), without it the
  // newest `limit` (default 1000). ?watch=true streams them (see
  // EventWatchHub): from `since` when given, else from now.
  router.add("GET", "/api/v1/events", [&store, opts](const HttpRequest& req) {
    EventQuery q;
    std::string ns = req.queryParam("namespace");
    if (!ns.empty()) {
      if (!req.mayUse(ns)) return HttpResponse::Error(forbidden(req, ns, "namespace"));
      q.namespace_ = ns;
    }
    if (std::string kind = req.queryParam("kind"); !kind.empty()) q.kind = kind;
    if (std::string name = req.queryParam("name"); !name.empty()) q.name = name;
    const std::string since = req.queryParam("since");
    if (!since.empty()) {
      auto id = parseId("since", since);
      if (!id.ok()) return HttpResponse::Error(id.status());
      q.sinceId = *id;
    }
    if (std::string limit = req.queryParam("limit"); !limit.empty()) {
      auto n = parsePositive("limit", limit);
      if (!n.ok()) return HttpResponse::Error(n.status());
      q.limit = *n;
    }
    if (truthy(req.queryParam("watch"))) {
      if (!opts.watch) return HttpResponse::Error(Status::Unavailable("this server does not serve watches"));
      EventWatchHub* hub = opts.watch;
      if (hub->full()) return HttpResponse::Error(Status::Unavailable("too many watchers; try again later"));
      std::optional<Principal> principal = req.principal;
      const bool fromNow = since.empty();
      return HttpResponse::Stream(200, "application/x-ndjson",
                                  [hub, q, fromNow, principal](std::shared_ptr<StreamSink> sink) {
                                    Status s = hub->add(sink, q, fromNow, principal);
                                    if (!s.ok()) {
                                      // The header is out: the refusal is the stream's one line.
                                      nlohmann::json err = {{"kind", "Error"},
                                                            {"error", {{"code", httpStatusOf(s)},
                                                                       {"reason", s.reason()},
                                                                       {"message", s.message()}}}};
                                      sink->write(err.dump() + "\n");
                                      sink->end();
                                    }
                                  });
    }
    q.latest = since.empty();
    auto events = store.events(q);
    if (!events.ok()) return HttpResponse::Error(events.status());
    nlohmann::json items = nlohmann::json::array();
    for (const auto& e : *events) {
      if (!req.mayUse(eventNamespace(e))) continue;
      items.push_back(eventJson(e));
    }
    return HttpResponse::Json(200, {{"apiVersion", kApiVersion}, {"kind", "EventList"}, {"items", items}});
  });

  // Restart every replica of a service (done by the reconciler: 202).
  // Cleanup is host-wide business: only a token for every namespace may ask.
  router.add("POST", "/api/v1/prune", [opts](const HttpRequest& req) {
    if (req.principal && !req.principal->allNamespaces) {
      return HttpResponse::Error(Status::Forbidden("token \"" + req.principal->name +
                                                   "\" may not prune: it needs all namespaces (\"*\")"));
    }
    if (!opts.prune) return HttpResponse::Error(Status::Unavailable("this server cannot prune"));
    CleanupOptions co;
    co.trigger = "prune";
    co.images = false;
    struct Flag {
      const char* param;
      bool* value;
    };
    for (const Flag& f : {Flag{"dryRun", &co.dryRun}, Flag{"images", &co.images}, Flag{"volumes", &co.volumes},
                          Flag{"allHost", &co.allHost}}) {
      const std::string v = req.queryParam(f.param);
      if (v.empty()) continue;
      if (v != "true" && v != "false" && v != "1" && v != "0") {
        return HttpResponse::Error(Status::Invalid(std::string(f.param) + ": \"" + v + "\" is not true or false",
                                                   {{f.param, "\"" + v + "\" is not true or false"}}));
      }
      *f.value = v == "true" || v == "1";
    }
    auto report = opts.prune(co);
    if (!report.ok()) return HttpResponse::Error(report.status());
    return HttpResponse::Json(200, *report);
  });

  router.add("POST", "/api/v1/namespaces/{ns}/services/{name}/restart",
             [&store, &clock, enqueue, opts](const HttpRequest& req) {
               const std::string& ns = req.params.at("ns");
               const std::string& name = req.params.at("name");
               auto rec = store.get("Service", ns, name);
               if (rec.status().IsNotFound() || (rec.ok() && rec->deletedAt)) {
                 return HttpResponse::Error(Status::NotFound(notFoundMessage("Service", ns, name)));
               }
               if (!rec.ok()) return HttpResponse::Error(rec.status());
               if (!opts.restartService) return HttpResponse::Error(Status::Unavailable("this server cannot restart services"));
               Key key{"Service", ns, name};
               opts.restartService(key);
               recordChange(store, clock, "Service", ns, name, "RestartRequested", "restart of every replica requested");
               enqueue(key);
               return HttpResponse::Json(202, {{"kind", "Status"},
                                               {"status", "Success"},
                                               {"message", "restart of service \"" + name + "\" requested"},
                                               {"details", {{"kind", "Service"}, {"namespace", ns}, {"name", name}}}});
             });

  // Post-mortems of a service's container deaths, newest first:
  // ?replica=N&limit=N (default 20).
  router.add("GET", "/api/v1/namespaces/{ns}/services/{name}/terminations", [&store](const HttpRequest& req) {
    const std::string& ns = req.params.at("ns");
    const std::string& name = req.params.at("name");
    int limit = 20;
    if (std::string l = req.queryParam("limit"); !l.empty()) {
      auto n = parsePositive("limit", l);
      if (!n.ok()) return HttpResponse::Error(n.status());
      limit = *n;
    }
    int replica = -1;
    if (std::string r = req.queryParam("replica"); !r.empty()) {
      if (r == "0") {
        replica = 0;
      } else {
        auto n = parsePositive("replica", r);
        if (!n.ok()) return HttpResponse::Error(n.status());
        replica = *n;
      }
    }
    auto rec = store.get("Service", ns, name);
    if (rec.status().IsNotFound()) return HttpResponse::Error(Status::NotFound(notFoundMessage("Service", ns, name)));
    if (!rec.ok()) return HttpResponse::Error(rec.status());
    auto deaths = store.terminations(ns, name, replica, limit);
    if (!deaths.ok()) return HttpResponse::Error(deaths.status());
    nlohmann::json items = nlohmann::json::array();
    for (const TerminationRecord& t : *deaths) {
      nlohmann::json j = terminationJson(t);
      j["replica"] = t.replica;
      items.push_back(std::move(j));
    }
    return HttpResponse::Json(200, {{"apiVersion", kApiVersion}, {"kind", "TerminationList"}, {"items", items}});
  });

  // The log lines of a service's containers: ?tail=N per container.
  router.add("GET", "/api/v1/namespaces/{ns}/services/{name}/logs", [&store, opts](const HttpRequest& req) {
    const std::string& ns = req.params.at("ns");
    const std::string& name = req.params.at("name");
    int tail = -1;
    if (std::string t = req.queryParam("tail"); !t.empty() && t != "all") {
      if (t == "0") {
        tail = 0;
      } else {
        auto n = parsePositive("tail", t);
        if (!n.ok()) return HttpResponse::Error(n.status());
        tail = *n;
      }
    }
    auto rec = store.get("Service", ns, name);
    if (rec.status().IsNotFound()) return HttpResponse::Error(Status::NotFound(notFoundMessage("Service", ns, name)));
    if (!rec.ok()) return HttpResponse::Error(rec.status());
    if (!opts.serviceLogs) return HttpResponse::Error(Status::Unavailable("this server cannot read logs"));
    auto logs = opts.serviceLogs(Key{"Service", ns, name}, tail);
    if (!logs.ok()) return HttpResponse::Error(logs.status());
    return HttpResponse::Text(200, std::move(*logs));
  });

  router.add("GET", "/api/v1/namespaces",
             [&store, cache](const HttpRequest& req) { return list(store, *cache, "Namespace", std::nullopt, req); },
             [&store, cache](const HttpRequest& req) {
               return cachedList(store, *cache, "Namespace", std::nullopt, req);
             });
  router.add(
      "GET", "/api/v1/namespaces/{ns}",
      [&store, cache](const HttpRequest& req) { return getOne(store, *cache, "Namespace", "", req.params.at("ns")); },
      [&store, cache](const HttpRequest& req) { return cachedOne(store, *cache, "Namespace", "", req.params.at("ns")); });
  // PUT creates or relabels a namespace; the body is a Namespace manifest,
  // or empty.
  router.add("PUT", "/api/v1/namespaces/{ns}", [&store, &clock, enqueue](const HttpRequest& req) {
    const std::string& ns = req.params.at("ns");
    if (!isDnsLabel(ns)) {
      return HttpResponse::Error(Status::Invalid("namespace \"" + ns + "\" is not a DNS label",
                                                 {{"metadata.name", "\"" + ns + "\" is not a DNS label"}}));
    }
    nlohmann::json labels = nlohmann::json::object();
    std::optional<int64_t> expected;
    if (req.body.find_first_not_of(" \t\r\n") != std::string::npos) {
      auto parsed = parseManifests(req.body, ParseOptions{});
      if (!parsed.ok()) return HttpResponse::Error(parsed.status());
      if (parsed->size() != 1 || parsed->front().kind != "Namespace") {
        return HttpResponse::Error(Status::Invalid("the body must hold exactly one Namespace",
                                                   {{"kind", "must be Namespace"}}));
      }
      const Resource& r = parsed->front();
      if (r.metadata.name != ns) {
        return HttpResponse::Error(Status::Invalid(
            "the object does not match its path",
            {{"metadata.name", "\"" + r.metadata.name + "\" does not match the path's \"" + ns + "\""}}));
      }
      labels = labelsJson(r.metadata.labels);
      expected = r.metadata.resourceVersion;
    }
    auto up = store.upsert("Namespace", "", ns, labels, nlohmann::json::object(), expected);
    if (!up.ok()) return HttpResponse::Error(up.status());
    if (up->outcome != UpsertOutcome::kUnchanged) {
      recordChange(store, clock, "Namespace", "", ns, "Applied", outcomeName(up->outcome));
    }
    enqueue(Key{"Namespace", "", ns});
    return HttpResponse::Json(up->outcome == UpsertOutcome::kCreated ? 201 : 200, objectFromRecord(up->record));
  });
  router.add("DELETE", "/api/v1/namespaces/{ns}", [&store, &clock, enqueue](const HttpRequest& req) {
    const std::string& ns = req.params.at("ns");
    auto before = store.get("Namespace", "", ns);
    // ?purge=true: its volumes (and their data) go too.
    const bool purgeData = truthy(req.queryParam("purge"));
    Status s = before.ok() || !before.status().IsNotFound() ? store.markDeleted("Namespace", "", ns, purgeData)
                                                             : before.status();
    if (s.IsNotFound()) return HttpResponse::Error(Status::NotFound("Namespace \"" + ns + "\" not found"));
    if (!s.ok()) return HttpResponse::Error(s);
    if (before.ok() && (!before->deletedAt || (purgeData && !before->purgeData))) {
      recordChange(store, clock, "Namespace", "", ns, "Deleting",
                   purgeData ? "deletion requested, with its volumes" : "deletion requested");
    }
    enqueue(Key{"Namespace", "", ns});
    return HttpResponse::Json(200, {{"kind", "Status"},
                                    {"status", "Success"},
                                    {"details", {{"kind", "Namespace"}, {"name", ns}}}});
  });
}

}  // namespace tender
