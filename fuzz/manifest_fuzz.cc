// libFuzzer target: manifest parsing and validation (YAML and JSON), and
// the round trip every accepted object takes through the store: what
// parseManifests accepts, encodeSpec writes and decodeStored must read back
// unchanged. A failed round trip would be an object that cannot be loaded
// after a restart: it aborts, as a crash.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "manifests/dependencies.h"
#include "manifests/manifest.h"

using namespace tender;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  ParseOptions options;
  options.defaultNamespace = "fuzz";
  options.maxDocumentBytes = 1 << 20;
  auto parsed = parseManifests(text, options);
  if (parsed.ok()) {
    std::vector<ServiceDependencies> graph;
    for (const Resource& r : *parsed) {
      if (r.kind == "Service") graph.push_back({r.metadata.name, r.service().dependsOn, "", true});
    }
    (void)checkDependencies("fuzz", graph);
    for (const Resource& r : *parsed) {
      const nlohmann::json spec = encodeSpec(r);
      nlohmann::json labels = nlohmann::json::object();
      for (const auto& [k, v] : r.metadata.labels) labels[k] = v;
      auto back = decodeStored(r.kind, r.metadata.namespace_, r.metadata.name, labels, spec);
      if (!back.ok()) {
        std::fprintf(stderr, "accepted %s \"%s\" does not decode from its stored spec %s: %s\n", r.kind.c_str(),
                     r.metadata.name.c_str(), spec.dump().c_str(), back.status().ToString().c_str());
        std::abort();
      }
      if (encodeSpec(*back) != spec) {
        std::fprintf(stderr, "%s \"%s\" changes on a round trip through the store:\n%s\n%s\n", r.kind.c_str(),
                     r.metadata.name.c_str(), spec.dump().c_str(), encodeSpec(*back).dump().c_str());
        std::abort();
      }
      (void)encodeResource(r).dump();
    }
  }
  // The value parsers on their own, on the first line.
  const std::string line = text.substr(0, text.find('\n'));
  (void)parseMemoryQuantity(line);
  (void)parseDockerMemory(line);
  (void)parseCpuQuantity(line);
  if (auto ms = parseDurationMs(line); ms.ok() && *ms >= 0) (void)formatDurationMs(*ms);
  (void)shellSplit(line);
  return 0;
}
