// GET, PUT and DELETE of the stored objects: services, networks and volumes
// (per namespace and across them) and namespaces. Lists and single objects
// are rendered once per store write and served from the event loop.
#include <memory>
#include <mutex>
#include <set>
#include <unordered_map>

#include "api/http_status.h"
#include "api/resource_routes.h"
#include "api/apply_api.h"
#include "api/label_selector.h"
#include "api/object_watch.h"
#include "api/request_admission.h"
#include "api/route_helpers.h"
#include "base/time_format.h"
#include "manifests/manifest.h"
#include "reconcilers/events.h"
#include "reconcilers/post_mortem.h"

namespace tender {
namespace {

struct KindRoute {
  const char* plural;
  const char* kind;
};
constexpr KindRoute kNamespaced[] = {
    {"services", "Service"}, {"networks", "Network"}, {"volumes", "Volume"}};

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

std::string listCacheKey(const char* kind, const std::optional<std::string>& ns,
                         const HttpRequest& req) {
  return std::string(kind) + '\n' + ns.value_or("*") + '\n' + req.queryParam("labelSelector") +
         '\n' + (req.principal ? req.principal->name : std::string());
}

// The cached answer, when current: for the event loop (never blocks).
std::optional<HttpResponse> cachedList(Store& store, ListCache& cache, const char* kind,
                                       const std::optional<std::string>& ns,
                                       const HttpRequest& req) {
  if (req.query.count("watch")) return std::nullopt;  // a stream, never cached
  auto body = cache.get(listCacheKey(kind, ns, req), store.resourceWrites());
  if (!body) return std::nullopt;
  return HttpResponse::Shared(200, std::move(body));
}

// ?watch=true: the list, then its changes, as a stream (ObjectWatchHub).
HttpResponse watchList(ObjectWatchHub* hub, const char* kind, const std::optional<std::string>& ns,
                       LabelSelector selector, const HttpRequest& req) {
  if (!hub) return HttpResponse::Error(Status::Unavailable("this server does not serve watches"));
  if (hub->full())
    return HttpResponse::Error(Status::Unavailable("too many watchers; try again later"));
  ObjectWatchQuery q{kind, ns, std::move(selector), req.principal};
  return HttpResponse::Stream(200, "application/x-ndjson",
                              [hub, q](std::shared_ptr<StreamSink> sink) {
                                Status s = hub->add(sink, q);
                                if (!s.ok()) {
                                  nlohmann::json err = {{"type", "ERROR"},
                                                        {"error",
                                                         {{"code", httpStatusOf(s)},
                                                          {"reason", s.reason()},
                                                          {"message", s.message()}}}};
                                  sink->write(err.dump() + "\n");
                                  sink->end();
                                }
                              });
}

HttpResponse list(Store& store, ListCache& cache, const char* kind,
                  const std::optional<std::string>& ns, const HttpRequest& req,
                  ObjectWatchHub* hub = nullptr) {
  const std::string selector = req.queryParam("labelSelector");
  auto sel = parseLabelSelector(selector);
  if (!sel.ok()) return HttpResponse::Error(sel.status());
  if (std::string w = req.queryParam("watch"); !w.empty()) {
    if (truthy(w)) return watchList(hub, kind, ns, std::move(*sel), req);
    if (w != "false" && w != "0" && w != "no") {
      return HttpResponse::Error(Status::Invalid("watch: \"" + w + "\" is not true or false",
                                                 {{"watch", "must be true or false"}}));
    }
  }
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
    if (selectorMatches(*sel, r.labels)) out.push_back(objectFromRecord(r));
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

std::optional<HttpResponse> cachedOne(Store& store, ListCache& cache, const char* kind,
                                      const std::string& ns, const std::string& name) {
  auto body = cache.get(oneCacheKey(kind, ns, name), store.resourceWrites());
  if (!body) return std::nullopt;
  return HttpResponse::Shared(200, std::move(body));
}

HttpResponse getOne(Store& store, ListCache& cache, const char* kind, const std::string& ns,
                    const std::string& name) {
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

// A PUT: a plan of one object (with its namespace, when it has to be made),
// admitted like an apply and committed; the answer is the object as stored,
// 201 when it is new.
HttpResponse putObjects(Store& store, Clock& clock, const Enqueue& enqueue,
                        const HttpRequest& req, std::vector<Resource> objects,
                        Uploads uploads = {}) {
  PlanOptions options;
  options.uploads = uploads;
  auto plan = planWrites(requesterOf(req), std::move(objects), options, store, hostPathResolver());
  if (!plan.ok()) return HttpResponse::Error(plan.status());
  auto results = commitPlan(*plan, store, clock, enqueue, nullptr);
  if (!results.ok()) return HttpResponse::Error(results.status());
  const UpsertResult& up = results->at(plan->firstResourceWrite).upsert;
  return HttpResponse::Json(up.outcome == UpsertOutcome::kCreated ? 201 : 200,
                            objectFromRecord(up.record));
}

// The namespaced kinds' routes.
void registerKindRoutes(Router& router, Store& store, Clock& clock, const Enqueue& enqueue,
                        const std::shared_ptr<ListCache>& cache, Uploads uploads,
                        ObjectWatchHub* hub) {
  for (const KindRoute& kr : kNamespaced) {
    const char* kind = kr.kind;
    std::string plural = kr.plural;
    router.add(
        "GET", "/api/v1/" + plural,
        [&store, cache, kind, hub](const HttpRequest& req) {
          return list(store, *cache, kind, std::nullopt, req, hub);
        },
        [&store, cache, kind](const HttpRequest& req) {
          return cachedList(store, *cache, kind, std::nullopt, req);
        });
    router.add(
        "GET", "/api/v1/namespaces/{ns}/" + plural,
        [&store, cache, kind, hub](const HttpRequest& req) {
          return list(store, *cache, kind, req.params.at("ns"), req, hub);
        },
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
                 Status s = before.ok() || !before.status().IsNotFound()
                                ? store.markDeleted(kind, ns, name, purgeData)
                                : before.status();
                 if (s.IsNotFound())
                   return HttpResponse::Error(Status::NotFound(notFoundMessage(kind, ns, name)));
                 if (!s.ok()) return HttpResponse::Error(s);
                 if (before.ok() && !before->deletedAt) {
                   recordChange(store, clock, kind, ns, name, "Deleting", "deletion requested",
                                principalName(req));
                 }
                 enqueue(Key{kind, ns, name});
                 return HttpResponse::Json(
                     200, {{"kind", "Status"},
                           {"status", "Success"},
                           {"details", {{"kind", kind}, {"namespace", ns}, {"name", name}}}});
               });
  }

  // PUT replaces one object. A body carrying metadata.resourceVersion is a
  // conditional update: a stale version gets 409 Conflict and writes nothing.
  for (const KindRoute& kr : kNamespaced) {
    const char* kind = kr.kind;
    router.add(
        "PUT", std::string("/api/v1/namespaces/{ns}/") + kr.plural + "/{name}",
        [&store, &clock, kind, enqueue, uploads](const HttpRequest& req) {
          const std::string& ns = req.params.at("ns");
          const std::string& name = req.params.at("name");
          ParseOptions po;
          po.defaultNamespace = ns;
          auto parsed = parseManifests(req.body, po);
          if (!parsed.ok()) return HttpResponse::Error(parsed.status());
          if (parsed->size() != 1) {
            return HttpResponse::Error(
                Status::Invalid("the body must hold exactly one object, it holds " +
                                std::to_string(parsed->size())));
          }
          const Resource& r = parsed->front();
          std::vector<FieldError> errors;
          if (r.kind != kind)
            errors.push_back({"kind", "\"" + r.kind + "\" does not match the path's " + kind});
          if (r.metadata.name != name) {
            errors.push_back(
                {"metadata.name",
                 "\"" + r.metadata.name + "\" does not match the path's \"" + name + "\""});
          }
          if (r.metadata.namespace_ != ns) {
            errors.push_back(
                {"metadata.namespace",
                 "\"" + r.metadata.namespace_ + "\" does not match the path's \"" + ns + "\""});
          }
          if (!errors.empty())
            return HttpResponse::Error(
                Status::Invalid("the object does not match its path", errors));
          return putObjects(store, clock, enqueue, req, {r}, uploads);
        });
  }
}

// Namespaces: list, get, PUT (create or relabel), DELETE.
void registerNamespaceRoutes(Router& router, Store& store, Clock& clock, const Enqueue& enqueue,
                             const std::shared_ptr<ListCache>& cache, ObjectWatchHub* hub) {
  router.add(
      "GET", "/api/v1/namespaces",
      [&store, cache, hub](const HttpRequest& req) {
        return list(store, *cache, "Namespace", std::nullopt, req, hub);
      },
      [&store, cache](const HttpRequest& req) {
        return cachedList(store, *cache, "Namespace", std::nullopt, req);
      });
  router.add(
      "GET", "/api/v1/namespaces/{ns}",
      [&store, cache](const HttpRequest& req) {
        return getOne(store, *cache, "Namespace", "", req.params.at("ns"));
      },
      [&store, cache](const HttpRequest& req) {
        return cachedOne(store, *cache, "Namespace", "", req.params.at("ns"));
      });
  // PUT creates or relabels a namespace; the body is a Namespace manifest,
  // or empty.
  router.add("PUT", "/api/v1/namespaces/{ns}", [&store, &clock, enqueue](const HttpRequest& req) {
    const std::string& ns = req.params.at("ns");
    if (Status bad = checkNamespaceName("metadata.name", ns); !bad.ok()) {
      return HttpResponse::Error(bad);
    }
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
            {{"metadata.name",
              "\"" + r.metadata.name + "\" does not match the path's \"" + ns + "\""}}));
      }
      return putObjects(store, clock, enqueue, req, {r});
    }
    // No body: the namespace is made if missing; one that exists keeps its
    // limits and loses its labels, as a body with none would.
    auto spec = storedNamespaceSpec(store, ns);
    if (!spec.ok()) return HttpResponse::Error(spec.status());
    Resource r;
    r.kind = "Namespace";
    r.metadata.name = ns;
    r.spec = *spec;
    return putObjects(store, clock, enqueue, req, {r});
  });
  router.add(
      "DELETE", "/api/v1/namespaces/{ns}", [&store, &clock, enqueue](const HttpRequest& req) {
        const std::string& ns = req.params.at("ns");
        auto before = store.get("Namespace", "", ns);
        // ?purge=true: its volumes (and their data) go too.
        const bool purgeData = truthy(req.queryParam("purge"));
        Status s = before.ok() || !before.status().IsNotFound()
                       ? store.markDeleted("Namespace", "", ns, purgeData)
                       : before.status();
        if (s.IsNotFound())
          return HttpResponse::Error(Status::NotFound("Namespace \"" + ns + "\" not found"));
        if (!s.ok()) return HttpResponse::Error(s);
        if (before.ok() && (!before->deletedAt || (purgeData && !before->purgeData))) {
          recordChange(store, clock, "Namespace", "", ns, "Deleting",
                       purgeData ? "deletion requested, with its volumes" : "deletion requested",
                       principalName(req));
        }
        enqueue(Key{"Namespace", "", ns});
        return HttpResponse::Json(200, {{"kind", "Status"},
                                        {"status", "Success"},
                                        {"details", {{"kind", "Namespace"}, {"name", ns}}}});
      });
}

}  // namespace

void registerObjectRoutes(Router& router, Store& store, Clock& clock, Enqueue enqueue,
                          Uploads uploads, ObjectWatchHub* watch) {
  auto cache = std::make_shared<ListCache>();
  registerKindRoutes(router, store, clock, enqueue, cache, uploads, watch);
  registerNamespaceRoutes(router, store, clock, enqueue, cache, watch);
}

}  // namespace tender
