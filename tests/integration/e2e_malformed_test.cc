// A catalogue of malformed manifests and requests sent to a running
// `tender serve`: each one gets a 4xx whose error body names the field or
// parameter at fault (where there is one), none brings the server down, and
// the stored resources and their resourceVersions are the same after the
// whole catalogue as before it.
#include <gtest/gtest.h>

#include <map>
#include <thread>

#include <nlohmann/json.hpp>

#include "engine/docker_engine_beast.h"
#include "engine/labels.h"
#include "tests/support/raw_http.h"
#include "tests/support/tender_process.h"

namespace tender {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::RawHttp;
using testing::RawReply;
using testing::TenderProcess;
using testing::uniqueName;

struct BadRequest {
  std::string what;         // one line: what is wrong
  std::string method;
  std::string target;       // path and query, $NS replaced by the test's namespace
  std::string contentType;  // "" sends none
  std::string body;         // $NS replaced too
  int status;               // the exact 4xx expected
  std::string field;        // a details[].field the answer must hold; "" when none applies
};

std::string replaceAll(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
  return s;
}

// A valid Service in $NS with `spec` lines appended (two-space indented).
std::string service(const std::string& name, const std::string& specLines,
                    const std::string& image = "  image: tender-busybox:latest\n") {
  return "apiVersion: tender/v1\nkind: Service\nmetadata: {name: " + name + ", namespace: $NS}\nspec:\n" + image +
         specLines;
}
std::string web(const std::string& specLines) { return service("web", specLines); }

const char* kYaml = "application/yaml";
const char* kJson = "application/json";

std::vector<BadRequest> catalogue() {
  const std::string apply = "/api/v1/apply";
  const std::string svcPath = "/api/v1/namespaces/$NS/services/web";
  return {
      // --- the body as a whole --------------------------------------------
      {"empty body", "POST", apply, kYaml, "", 400, ""},
      {"only whitespace", "POST", apply, kYaml, " \n\t\n", 400, ""},
      {"YAML that does not parse", "POST", apply, kYaml, "apiVersion: tender/v1\nkind: [Service\n", 400, ""},
      {"a YAML scalar, not an object", "POST", apply, kYaml, "just words\n", 400, ""},
      {"a YAML list, not an object", "POST", apply, kYaml, "- a\n- b\n", 400, ""},
      {"JSON that does not parse", "POST", apply, kJson, "{\"apiVersion\": \"tender/v1\", ", 400, ""},
      {"JSON with a trailing comma", "POST", apply, kJson,
       "{\"apiVersion\":\"tender/v1\",\"kind\":\"Service\",}", 400, ""},
      {"tab-indented YAML", "POST", apply, kYaml, "apiVersion: tender/v1\nkind: Service\nmetadata:\n\tname: web\n",
       400, ""},
      // --- apiVersion, kind, metadata ---------------------------------------
      {"no apiVersion", "POST", apply, kYaml,
       "kind: Service\nmetadata: {name: web, namespace: $NS}\nspec: {image: tender-busybox:latest}\n", 400,
       "apiVersion"},
      {"unknown apiVersion", "POST", apply, kYaml,
       "apiVersion: tender/v9\nkind: Service\nmetadata: {name: web, namespace: $NS}\nspec: {image: x}\n", 400,
       "apiVersion"},
      {"unknown kind", "POST", apply, kYaml,
       "apiVersion: tender/v1\nkind: Pod\nmetadata: {name: web, namespace: $NS}\nspec: {image: x}\n", 400, "kind"},
      {"kind not a string", "POST", apply, kYaml,
       "apiVersion: tender/v1\nkind: [Service]\nmetadata: {name: web, namespace: $NS}\nspec: {image: x}\n", 400,
       "kind"},
      {"no metadata.name", "POST", apply, kYaml,
       "apiVersion: tender/v1\nkind: Service\nmetadata: {namespace: $NS}\nspec: {image: x}\n", 400,
       "metadata.name"},
      {"name with capitals and an underscore", "POST", apply, kYaml, service("Web_1", ""), 400, "metadata.name"},
      {"name of 64 characters", "POST", apply, kYaml, service(std::string(64, 'a'), ""), 400, "metadata.name"},
      {"name with a dot", "POST", apply, kYaml, service("web.1", ""), 400, "metadata.name"},
      {"namespace with capitals", "POST", apply, kYaml,
       "apiVersion: tender/v1\nkind: Service\nmetadata: {name: web, namespace: Bad_NS}\nspec: {image: x}\n", 400,
       "metadata.namespace"},
      {"metadata is a list", "POST", apply, kYaml,
       "apiVersion: tender/v1\nkind: Service\nmetadata: [web]\nspec: {image: x}\n", 400, "metadata"},
      {"a label value that is a list", "POST", apply, kYaml,
       "apiVersion: tender/v1\nkind: Service\nmetadata: {name: web, namespace: $NS, labels: {tier: [a]}}\n"
       "spec: {image: x}\n",
       400, "metadata.labels.tier"},
      {"unknown top-level field", "POST", apply, kYaml, web("") + "extra: 1\n", 400, "extra"},
      {"resourceVersion not a number", "POST", apply, kYaml,
       "apiVersion: tender/v1\nkind: Service\nmetadata: {name: web, namespace: $NS, resourceVersion: abc}\n"
       "spec: {image: x}\n",
       400, "metadata.resourceVersion"},
      {"stale resourceVersion", "POST", apply, kYaml,
       "apiVersion: tender/v1\nkind: Service\nmetadata: {name: web, namespace: $NS, resourceVersion: \"1\"}\n"
       "spec: {image: tender-busybox:latest, replicas: 0}\n",
       409, ""},
      // --- the Service spec -------------------------------------------------
      {"spec is a string", "POST", apply, kYaml,
       "apiVersion: tender/v1\nkind: Service\nmetadata: {name: web, namespace: $NS}\nspec: run it\n", 400, "spec"},
      {"unknown spec field", "POST", apply, kYaml, web("  imagee: x\n"), 400, "spec.imagee"},
      {"no image and no build", "POST", apply, kYaml, service("web", "  replicas: 1\n", ""), 400, "spec"},
      {"image is a list", "POST", apply, kYaml, service("web", "", "  image: [a, b]\n"), 400, "spec.image"},
      {"negative replicas", "POST", apply, kYaml, web("  replicas: -1\n"), 400, "spec.replicas"},
      {"replicas as a word", "POST", apply, kYaml, web("  replicas: two\n"), 400, "spec.replicas"},
      {"fractional replicas", "POST", apply, kYaml, web("  replicas: 1.5\n"), 400, "spec.replicas"},
      {"command is a number", "POST", apply, kYaml, web("  command: 42\n"), 400, "spec.command"},
      {"command with an unclosed quote", "POST", apply, kYaml, web("  command: \"sh -c 'echo\"\n"), 400,
       "spec.command"},
      {"env is a string", "POST", apply, kYaml, web("  env: LOG=debug\n"), 400, "spec.env"},
      {"env value is an object", "POST", apply, kYaml, web("  env: {A: {b: c}}\n"), 400, "spec.env.A"},
      {"memory limit with an unknown unit", "POST", apply, kYaml,
       web("  resources: {limits: {memory: 12XB}}\n"), 400, "spec.resources.limits.memory"},
      {"negative memory limit", "POST", apply, kYaml, web("  resources: {limits: {memory: -5Mi}}\n"), 400,
       "spec.resources.limits.memory"},
      {"memory limit as a list", "POST", apply, kYaml, web("  resources: {limits: {memory: [1]}}\n"), 400,
       "spec.resources.limits.memory"},
      {"cpus as a word", "POST", apply, kYaml, web("  resources: {limits: {cpus: lots}}\n"), 400,
       "spec.resources.limits.cpus"},
      {"zero cpus", "POST", apply, kYaml, web("  resources: {limits: {cpus: 0}}\n"), 400,
       "spec.resources.limits.cpus"},
      {"swap below the memory limit", "POST", apply, kYaml,
       web("  resources: {limits: {memory: 256Mi, memorySwap: 128Mi}}\n"), 400,
       "spec.resources.limits.memorySwap"},
      {"unknown resources field", "POST", apply, kYaml, web("  resources: {limit: {memory: 1Mi}}\n"), 400,
       "spec.resources.limit"},
      {"host port out of range", "POST", apply, kYaml, web("  ports: [\"99999:80\"]\n"), 400, "spec.ports[0]"},
      {"port that is a word", "POST", apply, kYaml, web("  ports: [\"http\"]\n"), 400, "spec.ports[0]"},
      {"long-syntax port with target 0", "POST", apply, kYaml, web("  ports: [{target: 0}]\n"), 400,
       "spec.ports[0].target"},
      {"ports as an object", "POST", apply, kYaml, web("  ports: {a: 1}\n"), 400, "spec.ports"},
      {"volume target not absolute", "POST", apply, kYaml, web("  volumes: [\"data:relative/path\"]\n"), 400,
       "spec.volumes[0]"},
      {"volume as a number", "POST", apply, kYaml, web("  volumes: [7]\n"), 400, "spec.volumes[0]"},
      {"unknown restart policy", "POST", apply, kYaml, web("  restartPolicy: Sometimes\n"), 400,
       "spec.restartPolicy"},
      {"backoff initial not a duration", "POST", apply, kYaml, web("  backoff: {initial: ten seconds}\n"), 400,
       "spec.backoff.initial"},
      {"backoff factor below 1", "POST", apply, kYaml, web("  backoff: {factor: 0.5}\n"), 400,
       "spec.backoff.factor"},
      {"backoff max below initial", "POST", apply, kYaml, web("  backoff: {initial: 10s, max: 1s}\n"), 400,
       "spec.backoff.max"},
      {"healthcheck with exec and http", "POST", apply, kYaml,
       web("  healthcheck: {exec: [\"true\"], http: {port: 80, path: /}}\n"), 400, "spec.healthcheck"},
      {"healthcheck interval negative", "POST", apply, kYaml,
       web("  healthcheck: {exec: [\"true\"], interval: -1s}\n"), 400, "spec.healthcheck.interval"},
      {"healthcheck http port out of range", "POST", apply, kYaml,
       web("  healthcheck: {http: {port: 70000, path: /}}\n"), 400, "spec.healthcheck.http.port"},
      {"dependsOn condition unknown", "POST", apply, kYaml,
       web("  dependsOn: {db: {condition: ready}}\n") + "---\n" + service("db", ""), 400,
       "[0].spec.dependsOn.db.condition"},
      {"dependsOn an unknown service", "POST", apply, kYaml, web("  dependsOn: {ghost: {condition: started}}\n"),
       400, "spec.dependsOn.ghost"},
      {"dependsOn itself", "POST", apply, kYaml, web("  dependsOn: {web: {condition: started}}\n"), 400,
       "spec.dependsOn.web"},
      {"a dependency cycle", "POST", apply, kYaml,
       web("  dependsOn: {db: {condition: started}}\n") + "---\n" +
           service("db", "  dependsOn: {web: {condition: started}}\n"),
       400, "[1].spec.dependsOn"},
      {"an undeclared network", "POST", apply, kYaml, web("  networks: [ghostnet]\n"), 400, "spec.networks[0]"},
      {"priority as a word", "POST", apply, kYaml, web("  priority: high\n"), 400, "spec.priority"},
      {"a build folder (the server reads none a request names)", "POST", apply, kYaml,
       service("web", "  build: {context: /etc}\n", ""), 403, "spec.build.context"},
      {"a build context never uploaded", "POST", apply, kYaml,
       service("web", "  build: {contextDigest: \"sha256:" + std::string(64, 'e') + "\"}\n", ""), 400,
       "spec.build.contextDigest"},
      {"a context digest that is not one", "POST", apply, kYaml,
       service("web", "  build: {contextDigest: \"sha256:XYZ\"}\n", ""), 400, "spec.build.contextDigest"},
      {"a secret file (the server reads none a request names)", "POST", apply, kYaml,
       web("  secrets: [{name: pw, file: /etc/shadow}]\n"), 403, "spec.secrets[0].file"},
      {"a secret never uploaded", "POST", apply, kYaml,
       web("  secrets: [{name: pw, digest: \"sha256:" + std::string(64, 'e') + "\"}]\n"), 400,
       "spec.secrets[0].digest"},
      {"a config's content inline (it is uploaded, not sent)", "POST", apply, kYaml,
       web("  configs: [{name: conf, content: x}]\n"), 400, "spec.configs[0].content"},
      {"a secret's mode that is not octal", "POST", apply, kYaml,
       web("  secrets: [{name: pw, digest: \"sha256:" + std::string(64, 'e') + "\", mode: \"0999\"}]\n"), 400,
       "spec.secrets[0].mode"},
      {"a secret file over 1 MiB", "POST", "/api/v1/namespaces/$NS/files", "application/octet-stream",
       std::string((1 << 20) + 1, 'x'), 413, ""},
      {"a build context that is not a tar", "POST", "/api/v1/namespaces/$NS/buildcontexts",
       "application/x-tar", "FROM scratch\n", 400, ""},
      {"a build context for a namespace that is no namespace name", "POST", "/api/v1/namespaces/Bad_Ns/buildcontexts",
       "application/x-tar", std::string(1024, '\0'), 400, "namespace"},
      {"the second document is bad", "POST", apply, kYaml, web("  replicas: 0\n") + "---\n" + service("db", "", ""),
       400, "[1].spec"},
      {"the same object twice", "POST", apply, kYaml, web("  replicas: 0\n") + "---\n" + web("  replicas: 0\n"),
       400, "[1].metadata.name"},
      {"JSON with spec.replicas a string", "POST", apply, kJson,
       "{\"apiVersion\":\"tender/v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"web\",\"namespace\":\"$NS\"},"
       "\"spec\":{\"image\":\"tender-busybox:latest\",\"replicas\":\"3\"}}",
       400, "spec.replicas"},
      // --- other kinds -------------------------------------------------------
      {"namespace quota memory not a quantity", "POST", apply, kYaml,
       "apiVersion: tender/v1\nkind: Namespace\nmetadata: {name: $NS}\nspec: {quota: {memory: lots}}\n", 400,
       "spec.quota.memory"},
      {"namespace ttl not a duration", "POST", apply, kYaml,
       "apiVersion: tender/v1\nkind: Namespace\nmetadata: {name: $NS}\nspec: {ttl: forever}\n", 400, "spec.ttl"},
      {"network with an unknown field", "POST", apply, kYaml,
       "apiVersion: tender/v1\nkind: Network\nmetadata: {name: back, namespace: $NS}\nspec: {drivr: bridge}\n",
       400, "spec.drivr"},
      {"volume with an unknown field", "POST", apply, kYaml,
       "apiVersion: tender/v1\nkind: Volume\nmetadata: {name: data, namespace: $NS}\nspec: {sizee: 1Gi}\n", 400,
       "spec.sizee"},
      // --- Compose bodies ------------------------------------------------------
      {"Compose service without image or build", "POST", apply + "?project=$NS", kYaml,
       "services:\n  web:\n    command: [\"true\"]\n", 400, "services.web"},
      {"Compose mem_limit not a quantity", "POST", apply + "?project=$NS", kYaml,
       "services:\n  web:\n    image: tender-busybox:latest\n    mem_limit: lots\n", 400,
       "services.web.mem_limit"},
      {"Compose port that is a word", "POST", apply + "?project=$NS", kYaml,
       "services:\n  web:\n    image: tender-busybox:latest\n    ports: [\"http\"]\n", 400,
       "services.web.ports[0]"},
      {"Compose depends_on an unknown service", "POST", apply + "?project=$NS", kYaml,
       "services:\n  web:\n    image: tender-busybox:latest\n    depends_on: [ghost]\n", 400,
       "services.web.depends_on[0]"},
      {"Compose env_file, which the server cannot read", "POST", apply + "?project=$NS", kYaml,
       "services:\n  web:\n    image: tender-busybox:latest\n    env_file: .env\n", 400,
       "services.web.env_file"},
      {"Compose services as a list", "POST", apply + "?project=$NS", kYaml, "services:\n  - web\n", 400,
       "services"},
      {"Compose project name with capitals", "POST", apply + "?project=Bad_Project", kYaml,
       "services:\n  web:\n    image: tender-busybox:latest\n", 400, "project"},
      // --- query parameters ----------------------------------------------------
      {"apply namespace parameter with capitals", "POST", apply + "?namespace=Bad_NS", kYaml,
       "apiVersion: tender/v1\nkind: Service\nmetadata: {name: web}\nspec: {image: tender-busybox:latest}\n", 400,
       "namespace"},
      {"apply ttl not a duration", "POST", apply + "?ttl=soon", kYaml, web("  replicas: 0\n"), 400, "ttl"},
      {"apply ttl of zero", "POST", apply + "?ttl=0s", kYaml, web("  replicas: 0\n"), 400, "ttl"},
      {"labelSelector without a value", "GET", "/api/v1/services?labelSelector=tier", "", "", 400,
       "labelSelector"},
      {"events since not a number", "GET", "/api/v1/events?since=yesterday", "", "", 400, "since"},
      {"events limit of zero", "GET", "/api/v1/events?limit=0", "", "", 400, "limit"},
      {"events limit negative", "GET", "/api/v1/events?limit=-3", "", "", 400, "limit"},
      {"prune dryRun not a boolean", "POST", "/api/v1/prune?dryRun=maybe", "", "", 400, "dryRun"},
      {"logs tail not a number", "GET", svcPath + "/logs?tail=all-of-it", "", "", 400, "tail"},
      {"terminations limit not a number", "GET", svcPath + "/terminations?limit=x", "", "", 400, "limit"},
      {"terminations replica not a number", "GET", svcPath + "/terminations?replica=first", "", "", 400,
       "replica"},
      {"bad percent-encoding in the query", "GET", "/api/v1/services?labelSelector=%zz", "", "", 400, ""},
      // --- methods and paths ---------------------------------------------------
      {"PATCH a service", "PATCH", svcPath, kJson, "{}", 405, ""},
      {"DELETE the apply route", "DELETE", apply, "", "", 405, ""},
      {"POST to a list", "POST", "/api/v1/services", kYaml, web(""), 405, ""},
      {"an unknown route", "GET", "/api/v1/pods", "", "", 404, ""},
      {"an unknown API version", "GET", "/api/v2/services", "", "", 404, ""},
      {"bad percent-encoding in the path", "GET", "/api/v1/namespaces/%zz/services", "", "", 400, ""},
      {"a service that does not exist", "GET", "/api/v1/namespaces/$NS/services/ghost", "", "", 404, ""},
      {"DELETE a service that does not exist", "DELETE", "/api/v1/namespaces/$NS/services/ghost", "", "", 404, ""},
      {"restart a service that does not exist", "POST", "/api/v1/namespaces/$NS/services/ghost/restart", "", "",
       404, ""},
      {"PUT whose name differs from the path", "PUT", svcPath, kYaml, service("other", "  replicas: 0\n"), 400,
       "metadata.name"},
      {"PUT whose kind differs from the path", "PUT", svcPath, kYaml,
       "apiVersion: tender/v1\nkind: Network\nmetadata: {name: web, namespace: $NS}\nspec: {}\n", 400, "kind"},
      {"PUT whose namespace differs from the path", "PUT", svcPath, kYaml,
       "apiVersion: tender/v1\nkind: Service\nmetadata: {name: web, namespace: elsewhere}\n"
       "spec: {image: tender-busybox:latest}\n",
       400, "metadata.namespace"},
      {"PUT of two objects", "PUT", svcPath, kYaml, web("  replicas: 0\n") + "---\n" + service("db", ""), 400, ""},
      {"PUT with a stale resourceVersion", "PUT", svcPath, kYaml,
       "apiVersion: tender/v1\nkind: Service\nmetadata: {name: web, namespace: $NS, resourceVersion: \"1\"}\n"
       "spec: {image: tender-busybox:latest, replicas: 0}\n",
       409, ""},
      {"PUT with an invalid spec", "PUT", svcPath, kYaml, web("  replicas: -4\n"), 400, "spec.replicas"},
      {"PUT a namespace with capitals", "PUT", "/api/v1/namespaces/Bad_NS", kYaml,
       "apiVersion: tender/v1\nkind: Namespace\nmetadata: {name: Bad_NS}\n", 400, "metadata.name"},
      // --- size ------------------------------------------------------------------
      {"a body over the 4 MiB limit", "POST", apply, kYaml, web("  replicas: 0\n") + "# " + std::string(5 << 20, 'x'),
       413, ""},
  };
}

// Every stored resource as "kind/namespace/name" -> "generation/resourceVersion".
std::map<std::string, std::string> storedState(TenderProcess& server) {
  std::map<std::string, std::string> out;
  for (const char* list : {"/api/v1/namespaces", "/api/v1/services", "/api/v1/networks", "/api/v1/volumes"}) {
    auto r = server.client().call("GET", list);
    if (!r.ok()) {
      out[std::string("error ") + list] = r.status().ToString();
      continue;
    }
    const json answer = json::parse(r->body, nullptr, false);
    if (!answer.contains("items")) {
      out[std::string("no items in ") + list] = r->body.substr(0, 200);
      continue;
    }
    for (const json& item : answer["items"]) {
      const json& m = item["metadata"];
      out[item.value("kind", "") + "/" + m.value("namespace", "") + "/" + m.value("name", "")] =
          std::to_string(m.value("generation", 0)) + "/" + m.value("resourceVersion", "");
    }
  }
  return out;
}

std::string fieldsOf(const json& answer) {
  std::string fields;
  if (answer.contains("error") && answer["error"].contains("details")) {
    for (const json& d : answer["error"]["details"]) fields += " \"" + d.value("field", "") + "\"";
  }
  return fields.empty() ? " (none)" : fields;
}

TEST(MalformedCatalogue, EveryBadRequestGetsA4xxNamingItsFieldAndChangesNothing) {
  auto engine = makeStandaloneBeastDockerEngine();
  ASSERT_TRUE(engine->ping().ok()) << "no Docker engine answers (run scripts/setup)";
  TenderProcess server(uniqueName("bad"));
  ASSERT_TRUE(server.start()) << "see " << server.logPath();
  const std::string ns = uniqueName("bad");

  // Something stored for the bad requests to (fail to) change.
  const std::string seed = replaceAll(
      "apiVersion: tender/v1\nkind: Network\nmetadata: {name: back, namespace: $NS}\n---\n"
      "apiVersion: tender/v1\nkind: Volume\nmetadata: {name: data, namespace: $NS}\n---\n" +
          web("  replicas: 0\n  networks: [back]\n  volumes: [\"data:/data\"]\n") + "---\n" +
          service("db", "  replicas: 0\n"),
      "$NS", ns);
  auto applied = server.client().call("POST", "/api/v1/apply", seed, kYaml);
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  // Let the reconcilers write their statuses before the state is taken.
  auto before = storedState(server);
  for (int i = 0; i < 30; ++i) {
    std::this_thread::sleep_for(1s);
    auto now = storedState(server);
    if (now == before) break;
    before = now;
  }
  ASSERT_FALSE(before.empty());

  const auto cases = catalogue();
  ASSERT_GE(cases.size(), 50u);
  int failures = 0;
  for (const BadRequest& c : cases) {
    RawHttp http = RawHttp::tcp(server.port());
    ASSERT_TRUE(http.connected()) << "the server stopped answering before: " << c.what;
    std::string headers = server.authHeader();
    if (!c.contentType.empty()) headers += "\r\nContent-Type: " + c.contentType;
    http.send(c.method, replaceAll(c.target, "$NS", ns), headers, replaceAll(c.body, "$NS", ns));
    auto reply = http.reply(15s);
    if (!reply) {
      ADD_FAILURE() << c.what << ": no answer within 15 s";
      ++failures;
      continue;
    }
    json answer = json::parse(reply->body, nullptr, false);
    bool fieldNamed = c.field.empty();
    if (!answer.is_discarded() && answer.contains("error") && answer["error"].contains("details")) {
      for (const json& d : answer["error"]["details"]) fieldNamed = fieldNamed || d.value("field", "") == c.field;
    }
    const bool errorShape = reply->status == 413 || (!answer.is_discarded() && answer.contains("error"));
    if (reply->status != c.status || !fieldNamed || !errorShape) {
      ++failures;
      ADD_FAILURE() << c.what << " (" << c.method << " " << c.target << "): got " << reply->status
                    << " with fields" << (answer.is_discarded() ? " (not JSON)" : fieldsOf(answer)) << ", wanted "
                    << c.status << (c.field.empty() ? "" : " naming \"" + c.field + "\"") << "\n  body: "
                    << reply->body.substr(0, 400);
    }
    auto alive = server.client().call("GET", "/healthz");
    ASSERT_TRUE(alive.ok()) << "the server stopped answering after: " << c.what << " (see " << server.logPath()
                            << ")";
  }
  EXPECT_EQ(0, failures) << "of " << cases.size() << " bad requests";
  EXPECT_EQ(before, storedState(server)) << "a bad request changed what is stored";

  // Purged: the namespace's volume goes too, leaving the engine as it was.
  server.client().call("DELETE", "/api/v1/namespaces/" + ns + "?purge=true");
  for (int i = 0; i < 50; ++i) {
    auto nets = engine->listNetworks(ownedFilters(server.instance()));
    auto vols = engine->listVolumes(ownedFilters(server.instance()));
    if (nets.ok() && nets->empty() && vols.ok() && vols->empty()) break;
    std::this_thread::sleep_for(200ms);
  }
}

}  // namespace
}  // namespace tender
