#include "api/resource_api.h"

#include <filesystem>
#include <set>

#include "controller/time_format.h"
#include "manifests/manifest.h"

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

Status createNamespace(Store& store, const std::string& ns, const std::function<void(const Key&)>& enqueue) {
  auto up = store.upsert("Namespace", "", ns, nlohmann::json::object(), nlohmann::json::object());
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

HttpResponse list(Store& store, const char* kind, const std::optional<std::string>& ns,
                  const HttpRequest& req) {
  auto sel = parseSelector(req.queryParam("labelSelector"));
  if (!sel.ok()) return HttpResponse::Error(sel.status());
  auto items = store.list(kind, ns);
  if (!items.ok()) return HttpResponse::Error(items.status());
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : *items) {
    if (matches(r.labels, *sel)) out.push_back(objectFromRecord(r));
  }
  return HttpResponse::Json(200, {{"apiVersion", kApiVersion}, {"kind", std::string(kind) + "List"}, {"items", out}});
}

HttpResponse getOne(Store& store, const char* kind, const std::string& ns, const std::string& name) {
  auto r = store.get(kind, ns, name);
  if (!r.ok()) {
    if (r.status().IsNotFound()) {
      std::string what = std::string(kind) + " \"" + name + "\"";
      if (!ns.empty()) what += " in namespace \"" + ns + "\"";
      return HttpResponse::Error(Status::NotFound(what + " not found"));
    }
    return HttpResponse::Error(r.status());
  }
  return HttpResponse::Json(200, objectFromRecord(*r));
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

  router.add("GET", "/healthz", [](const HttpRequest&) { return HttpResponse::Text(200, "ok\n"); });
  router.add("GET", "/readyz", [opts](const HttpRequest&) {
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

  router.add("POST", "/api/v1/apply", [&store, enqueue](const HttpRequest& req) {
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
    auto parsed = parseManifests(req.body, po);
    if (!parsed.ok()) return HttpResponse::Error(parsed.status());
    std::vector<Resource>& resources = *parsed;
    const bool dryRun = truthy(req.queryParam("dryRun"));

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
        Status s = createNamespace(store, ns, enqueue);
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
      enqueue(Key{r.kind, ns, r.metadata.name});
    }
    return HttpResponse::Json(200, {{"kind", "ApplyResult"}, {"dryRun", dryRun}, {"items", items}});
  });

  for (const KindRoute& kr : kNamespaced) {
    const char* kind = kr.kind;
    std::string plural = kr.plural;
    router.add("GET", "/api/v1/" + plural,
               [&store, kind](const HttpRequest& req) { return list(store, kind, std::nullopt, req); });
    router.add("GET", "/api/v1/namespaces/{ns}/" + plural, [&store, kind](const HttpRequest& req) {
      return list(store, kind, req.params.at("ns"), req);
    });
    router.add("GET", "/api/v1/namespaces/{ns}/" + plural + "/{name}", [&store, kind](const HttpRequest& req) {
      return getOne(store, kind, req.params.at("ns"), req.params.at("name"));
    });
    router.add("DELETE", "/api/v1/namespaces/{ns}/" + plural + "/{name}",
               [&store, kind, enqueue](const HttpRequest& req) {
                 const std::string& ns = req.params.at("ns");
                 const std::string& name = req.params.at("name");
                 Status s = store.markDeleted(kind, ns, name);
                 if (s.IsNotFound()) {
                   return HttpResponse::Error(Status::NotFound(std::string(kind) + " \"" + name +
                                                               "\" in namespace \"" + ns + "\" not found"));
                 }
                 if (!s.ok()) return HttpResponse::Error(s);
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
               [&store, kind, enqueue](const HttpRequest& req) {
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
                 enqueue(Key{kind, ns, name});
                 return HttpResponse::Json(up->outcome == UpsertOutcome::kCreated ? 201 : 200,
                                           objectFromRecord(up->record));
               });
  }

  // Events, oldest first: ?namespace=NS&since=ID&limit=N.
  router.add("GET", "/api/v1/events", [&store](const HttpRequest& req) {
    EventQuery q;
    std::string ns = req.queryParam("namespace");
    if (!ns.empty()) q.namespace_ = ns;
    for (const auto& [param, target] : {std::pair<const char*, int64_t*>{"since", &q.sinceId}}) {
      std::string v = req.queryParam(param);
      if (v.empty()) continue;
      try {
        size_t used = 0;
        *target = std::stoll(v, &used);
        if (used != v.size() || *target < 0) throw std::invalid_argument(v);
      } catch (...) {
        return HttpResponse::Error(Status::Invalid(std::string(param) + ": \"" + v + "\" is not an event id",
                                                   {{param, "\"" + v + "\" is not an event id"}}));
      }
    }
    std::string limit = req.queryParam("limit");
    if (!limit.empty()) {
      try {
        size_t used = 0;
        q.limit = std::stoi(limit, &used);
        if (used != limit.size() || q.limit < 1) throw std::invalid_argument(limit);
      } catch (...) {
        return HttpResponse::Error(Status::Invalid("limit: \"" + limit + "\" is not a positive number",
                                                   {{"limit", "\"" + limit + "\" is not a positive number"}}));
      }
    }
    auto events = store.events(q);
    if (!events.ok()) return HttpResponse::Error(events.status());
    nlohmann::json items = nlohmann::json::array();
    for (const auto& e : *events) {
      nlohmann::json involved = {{"kind", e.kind}, {"name", e.name}};
      if (!e.namespace_.empty()) involved["namespace"] = e.namespace_;
      items.push_back({{"id", e.id},
                       {"time", formatRfc3339Millis(e.time)},
                       {"type", e.type},
                       {"reason", e.reason},
                       {"involvedObject", involved},
                       {"message", e.message}});
    }
    return HttpResponse::Json(200, {{"apiVersion", kApiVersion}, {"kind", "EventList"}, {"items", items}});
  });

  router.add("GET", "/api/v1/namespaces",
             [&store](const HttpRequest& req) { return list(store, "Namespace", std::nullopt, req); });
  router.add("GET", "/api/v1/namespaces/{ns}",
             [&store](const HttpRequest& req) { return getOne(store, "Namespace", "", req.params.at("ns")); });
  router.add("DELETE", "/api/v1/namespaces/{ns}", [&store, enqueue](const HttpRequest& req) {
    const std::string& ns = req.params.at("ns");
    Status s = store.markDeleted("Namespace", "", ns);
    if (s.IsNotFound()) return HttpResponse::Error(Status::NotFound("Namespace \"" + ns + "\" not found"));
    if (!s.ok()) return HttpResponse::Error(s);
    enqueue(Key{"Namespace", "", ns});
    return HttpResponse::Json(200, {{"kind", "Status"},
                                    {"status", "Success"},
                                    {"details", {{"kind", "Namespace"}, {"name", ns}}}});
  });
  (void)clock;
}

}  // namespace tender
