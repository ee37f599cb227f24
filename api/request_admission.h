// Whether the sender of a write may write what it sends: the one check
// every write of objects goes through (POST /api/v1/apply, PUT of an object
// or a namespace), so a Compose file, a manifest and a PUT meet the same
// rules.
//
//   - every namespace named must be one the token grants;
//   - only an admin token ("*") sets a namespace's limits: a tenant's
//     Namespace object may change its labels only (a field it sets must say
//     what is stored; what it leaves out keeps the stored value);
//   - each object must pass its namespace's security level
//     (policy/security_policy.h). A namespace with no level is privileged
//     to an admin; the first write of a tenant's token sets it to baseline,
//     which it keeps, for everyone, until an admin says otherwise.
//
// Refusals are 403 (Forbidden) naming each field. admitObjects only reads
// the store; the namespaces to set to baseline come back for the caller to
// write with the rest.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "api/router.h"
#include "base/status.h"
#include "manifests/resource.h"
#include "policy/security_policy.h"
#include "store/store.h"

namespace tender {

// Who sends a request, as admission sees it.
struct Requester {
  std::string name;    // the token's name
  bool admin = false;  // a "*" token, or a server that checks no tokens
  std::set<std::string> namespaces;

  bool mayUse(const std::string& ns) const { return admin || namespaces.count(ns) > 0; }
};
Requester requesterOf(const HttpRequest& req);

struct Admitted {
  // Namespaces with no level that this tenant's write uses: they are
  // written with level baseline (live ones keep their labels and the rest
  // of their spec; tenant Namespace objects of the request already carry it).
  std::set<std::string> baseline;
};

// 403 naming the first namespace of `resources` the token does not grant.
Status checkNamespacesGranted(const Requester& who, const std::vector<Resource>& resources);

// Checks `resources` (in request order; "[i]." prefixes the fields when
// there are several) and rewrites a tenant's Namespace objects to the
// stored spec. `view` is only read.
Result<Admitted> admitObjects(const Requester& who, std::vector<Resource>& resources, Store& view,
                              const ResolveHostPath& resolve);

// The spec a namespace has to the policy: its live stored one, or an empty
// one when there is none (or it does not decode).
Result<NamespaceSpec> storedNamespaceSpec(Store& view, const std::string& ns);

}  // namespace tender
