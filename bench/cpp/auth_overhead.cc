// What checking a request costs on the API's hottest read: GET of a
// namespace's service list, through the real router, routes and SQLite
// store, answered as the event loop answers it (Router::routeFast, the list
// rendered once and served from its cache). Two routers over one store do
// the same work but for the checks: one with the token table, the fair
// share's request budget and the namespace filter of a tenant's token, one
// with no authenticator (every request the admin's, nothing counted).
// Rounds alternate between them; the median of each and their ratio are
// printed. Writes (where the security levels are checked) are measured too:
// a dry-run apply of one service as the tenant (admission and policy) and
// as the admin on the checkless router (a privileged namespace: no policy).
//
//   build/bench/auth_overhead [ROUNDS] [REQUESTS_PER_ROUND]
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "api/auth.h"
#include "api/fair_share.h"
#include "api/resource_api.h"
#include "api/router.h"
#include "base/clock.h"
#include "store/store.h"

using namespace tender;

namespace {

constexpr const char* kAlice = "alice-token-0123456789";

HttpRequest request(const std::string& method, const std::string& path, const std::string& body,
                    bool withToken) {
  HttpRequest req;
  req.method = method;
  req.path = req.target = path;
  if (method == "POST") req.query["dryRun"] = "true";
  req.body = body;
  if (withToken) req.headers["authorization"] = std::string("Bearer ") + kAlice;
  return req;
}

// Nanoseconds per request over `n` requests.
template <typename F>
double timePerRequest(int n, F&& once) {
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) once();
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() -
                                                                 start)
                .count();
  return static_cast<double>(ns) / n;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::warn);  // no audit line per write
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 9;
  const int perRound = argc > 2 ? std::atoi(argv[2]) : 20000;
  std::string tmpl = (std::filesystem::temp_directory_path() / "tender-auth-bench-XXXXXX").string();
  const std::string dir = ::mkdtemp(tmpl.data());
  RealClock clock;
  auto store = Store::open(dir + "/tender.db", clock);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
    return 1;
  }
  Router checked, unchecked;
  registerResourceApi(checked, **store, clock, ResourceApiOptions{});
  registerResourceApi(unchecked, **store, clock, ResourceApiOptions{});
  auto tokens = TokenTable::parse(std::string(kAlice) + " alice alice-dev\n");
  if (!tokens.ok()) return 1;
  checked.setAuthenticator([&](const HttpRequest& req) { return tokens->authenticate(req); });
  FairShareOptions share;
  share.rate = RequestRate{1e9, 1e9};  // counted, never refused: the cost of the check
  FairShare fairShare(clock, share);
  checked.setAdmission(&fairShare);

  // 50 services in the tenant's namespace, as the API benchmark has.
  std::string manifests;
  for (int i = 1; i <= 50; ++i) {
    manifests += "apiVersion: tender/v1\nkind: Service\nmetadata: {name: svc-" + std::to_string(i) +
                 ", namespace: alice-dev}\nspec: {image: tender-busybox:latest}\n---\n";
  }
  HttpRequest seed = request("POST", "/api/v1/apply", manifests, false);
  seed.query.clear();
  if (unchecked.route(seed).status != 200) return 1;

  const std::string list = "/api/v1/namespaces/alice-dev/services";
  const std::string one =
      "apiVersion: tender/v1\nkind: Service\nmetadata: {name: web, namespace: alice-dev}\n"
      "spec:\n  image: tender-busybox:latest\n  ports: ['8080:80']\n"
      "  volumes: ['data:/data']\n  capAdd: [NET_BIND_SERVICE]\n";
  std::vector<double> readWith, readWithout, writeWith, writeWithout;
  for (int r = 0; r < rounds; ++r) {
    for (bool auth : {r % 2 == 0, r % 2 != 0}) {
      Router& router = auth ? checked : unchecked;
      double t = timePerRequest(perRound, [&] {
        HttpRequest req = request("GET", list, "", auth);
        auto answer = router.routeFast(req);  // served from the cache, as the event loop does
        if (!answer) answer = router.route(req);
        if (answer->status != 200) std::abort();
      });
      (auth ? readWith : readWithout).push_back(t);
      double w = timePerRequest(perRound / 20, [&] {
        HttpRequest req = request("POST", "/api/v1/apply", one, auth);
        if (router.route(req).status != 200) std::abort();
      });
      (auth ? writeWith : writeWithout).push_back(w);
    }
  }
  const double rw = median(readWith), ro = median(readWithout);
  const double ww = median(writeWith), wo = median(writeWithout);
  std::printf("GET list (50 services), %d rounds of %d requests, medians:\n", rounds, perRound);
  std::printf("  with token, fair share and namespace checks: %.0f ns/request (%.0f requests/s)\n",
              rw, 1e9 / rw);
  std::printf("  without checks:                              %.0f ns/request (%.0f requests/s)\n",
              ro, 1e9 / ro);
  std::printf("  checked/unchecked time: %.3f\n", rw / ro);
  std::printf("dry-run apply of one service, %d per round, medians:\n", perRound / 20);
  std::printf("  tenant (admission, baseline policy): %.0f ns/request\n", ww);
  std::printf("  no checks (admin, privileged):       %.0f ns/request\n", wo);
  std::printf("  checked/unchecked time: %.3f\n", ww / wo);
  store->reset();
  std::filesystem::remove_all(dir);
  return 0;
}
