// GET and PUT /api/v1/eviction (eviction_api.h): the eviction settings, read
// and changed while tender runs.

#include "api/eviction_api.h"

#include <spdlog/spdlog.h>

#include <optional>
#include <string>
#include <vector>

#include "base/byte_format.h"
#include "manifests/manifest.h"

namespace tender {
namespace {

std::optional<HttpResponse> refuseUnlessAllNamespaces(const HttpRequest& req) {
  if (req.principal && !req.principal->allNamespaces) {
    return HttpResponse::Error(
        Status::Forbidden("token \"" + req.principal->name +
                          "\" may not configure eviction: it needs all namespaces (\"*\")"));
  }
  return std::nullopt;
}

}  // namespace

Result<EvictionConfig> evictionSettingsFrom(EvictionConfig c, const nlohmann::json& body) {
  if (!body.is_object())
    return Status::Invalid("the body is not a JSON object: send {\"threshold\": \"2Gi\"}");
  std::vector<FieldError> errors;
  for (auto& [k, v] : body.items()) {
    if (k == "threshold") {
      auto bytes = v.is_string()
                       ? (v.get<std::string>().empty() ? Result<int64_t>(int64_t{0})
                                                       : parseMemoryQuantity(v.get<std::string>()))
                       : Result<int64_t>(Status::Invalid("not a string"));
      if (!bytes.ok() || *bytes < 0) {
        errors.push_back(
            {"threshold", v.dump() + " is not a memory size (\"2Gi\"; \"\" for the default)"});
      } else {
        c.thresholdBytes = *bytes;
      }
    } else if (k == "priorityFloor") {
      if (!v.is_number_integer()) {
        errors.push_back({"priorityFloor", v.dump() + " is not an integer"});
      } else {
        c.priorityFloor = v.get<int>();
      }
    } else if (k == "recoverAfter") {
      auto ms = v.is_string() ? parseDurationMs(v.get<std::string>())
                              : Result<int64_t>(Status::Invalid("not a string"));
      if (!ms.ok() || *ms < 0) {
        errors.push_back({"recoverAfter", v.dump() + " is not a duration (\"30s\")"});
      } else {
        c.recoverAfter = Millis(*ms);
      }
    } else {
      errors.push_back({k, "unknown field (threshold, priorityFloor, recoverAfter)"});
    }
  }
  if (!errors.empty()) return Status::Invalid("the eviction settings are invalid", errors);
  return c;
}

void registerEvictionApi(Router& router, Evictor& evictor) {
  router.add("GET", "/api/v1/eviction", [&evictor](const HttpRequest& req) {
    if (auto refused = refuseUnlessAllNamespaces(req)) return *refused;
    return HttpResponse::Json(200, evictor.describe());
  });
  router.add("PUT", "/api/v1/eviction", [&evictor](const HttpRequest& req) {
    if (auto refused = refuseUnlessAllNamespaces(req)) return *refused;
    auto c =
        evictionSettingsFrom(evictor.config(), nlohmann::json::parse(req.body, nullptr, false));
    if (!c.ok()) return HttpResponse::Error(c.status());
    evictor.setConfig(*c);
    spdlog::info(
        "eviction settings changed: threshold {}, priority floor {}, recovery {} ms",
        c->thresholdBytes > 0 ? formatBytes(c->thresholdBytes) : std::string("the default"),
        c->priorityFloor, c->recoverAfter.count());
    return HttpResponse::Json(200, evictor.describe());
  });
}

}  // namespace tender
