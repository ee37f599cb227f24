// Build context uploads: the body of POST /api/v1/namespaces/{ns}/buildcontexts
// is a tar of the context (as the tender command makes it, honouring its
// .dockerignore); the answer names it by digest, which a service's
// spec.build.contextDigest then gives. Any token granted the namespace may
// upload to it (the router checks {ns}); the namespace need not exist yet,
// as an apply may create it. The body of POST .../files is the bytes of
// one secret or config, which spec.secrets[].digest then names; the answer
// names it by digest and size, never by content.
#include "api/resource_routes.h"
#include "api/route_helpers.h"
#include "manifests/manifest.h"

namespace tender {

void registerBuildContextRoutes(Router& router, UploadStore* contexts) {
  router.add("POST", "/api/v1/namespaces/{ns}/buildcontexts", [contexts](const HttpRequest& req) {
    const std::string& ns = req.params.at("ns");
    if (Status bad = checkNamespaceName("namespace", ns); !bad.ok()) {
      return HttpResponse::Error(bad);
    }
    if (!contexts) {
      return HttpResponse::Error(
          Status::Unavailable("this server keeps no uploaded build contexts"));
    }
    auto stored = contexts->put(ns, req.body);
    if (!stored.ok()) return HttpResponse::Error(stored.status().WithContext("upload"));
    return HttpResponse::Json(stored->created ? 201 : 200,
                              {{"kind", "BuildContext"},
                               {"namespace", ns},
                               {"digest", stored->digest},
                               {"size", stored->bytes}});
  });
}

void registerFileRoutes(Router& router, UploadStore* files) {
  router.add("POST", "/api/v1/namespaces/{ns}/files", [files](const HttpRequest& req) {
    const std::string& ns = req.params.at("ns");
    if (Status bad = checkNamespaceName("namespace", ns); !bad.ok()) return HttpResponse::Error(bad);
    if (!files) return HttpResponse::Error(Status::Unavailable("this server keeps no uploaded files"));
    auto stored = files->put(ns, req.body);
    if (!stored.ok()) return HttpResponse::Error(stored.status().WithContext("upload"));
    return HttpResponse::Json(stored->created ? 201 : 200, {{"kind", "File"},
                                                            {"namespace", ns},
                                                            {"digest", stored->digest},
                                                            {"size", stored->bytes}});
  });
}

}  // namespace tender
