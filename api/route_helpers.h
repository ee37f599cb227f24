// Helpers the API's route files share: query flags, labels as JSON, the
// outcome words of a write, implicit namespaces, the event an API write
// records, and the errors routes answer with. Internal to api/.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "api/router.h"
#include "base/clock.h"
#include "base/status.h"
#include "controller/reconciler.h"
#include "manifests/resource.h"
#include "store/store.h"

namespace tender {

// "created", "configured" or "unchanged".
const char* outcomeName(UpsertOutcome o);
// A query flag: "true", "1" or "yes".
bool truthy(const std::string& v);
nlohmann::json labelsJson(const std::map<std::string, std::string>& labels);

// The stored spec of a namespace that objects name (with ?ttl, its expiry;
// `baseline`: a tenant's, at level baseline).
nlohmann::json implicitNamespaceSpec(const std::string& ns, std::optional<int64_t> ttlMs,
                                     bool baseline);
// The namespace an object is in (a Namespace: its own name).
std::string namespaceOf(const Resource& r);
// "[3]." before a field of the fourth of `count` objects, "" when alone.
std::string prefixOf(size_t i, size_t count);

// What an API write did, as an event watchers see ("Applied", "Deleting"),
// and who did it: the token's name, "by alice" in the message and
// {"by": "alice"} in its data ("" when the server checks no tokens).
void recordChange(Store& store, Clock& clock, const std::string& kind, const std::string& ns,
                  const std::string& name, const std::string& reason, const std::string& message,
                  const std::string& by);
// The name writes are recorded under: the token's, or "".
std::string principalName(const HttpRequest& req);

// 403: token `token` is not granted namespace `ns`, named by `field`.
Status notGranted(const std::string& token, const std::string& ns, const std::string& field);
// notGranted for the request's token. REQUIRES: req.principal.
Status forbidden(const HttpRequest& req, const std::string& ns, const std::string& field);
// OK when `value` is a namespace name (isNamespaceName); else Invalid naming `param`.
Status checkNamespaceName(const std::string& param, const std::string& value);
Result<int64_t> parseId(const std::string& param, const std::string& v);
Result<int> parsePositive(const std::string& param, const std::string& v);
std::string notFoundMessage(const std::string& kind, const std::string& ns,
                            const std::string& name);

}  // namespace tender
