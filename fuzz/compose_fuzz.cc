// libFuzzer target: the Compose import (interpolation, merge, profiles and
// translation) on one file, then the same file merged over itself, and the
// .env parser. Everything a Compose file turns into must be a resource the
// store can take back (see manifest_fuzz.cc): it aborts otherwise.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "manifests/compose.h"
#include "manifests/manifest.h"

using namespace tender;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  ComposeOptions options;
  options.projectName = "fuzz";
  options.environment = {{"TAG", "1"}, {"PORT", "8080"}};
  options.profiles = {"debug"};
  (void)isComposeDocument(text);
  auto project = loadCompose({ComposeFile{"compose.yaml", text}}, options);
  if (project.ok()) {
    for (const Resource& r : project->resources) {
      nlohmann::json labels = nlohmann::json::object();
      for (const auto& [k, v] : r.metadata.labels) labels[k] = v;
      auto back = decodeStored(r.kind, r.metadata.namespace_, r.metadata.name, labels, encodeSpec(r));
      if (!back.ok()) {
        std::fprintf(stderr, "Compose made %s \"%s\" that does not decode from its stored spec %s: %s\n",
                     r.kind.c_str(), r.metadata.name.c_str(), encodeSpec(r).dump().c_str(),
                     back.status().ToString().c_str());
        std::abort();
      }
    }
    options.strict = true;
    (void)loadCompose({ComposeFile{"compose.yaml", text}, ComposeFile{"override.yaml", text}}, options);
  }
  (void)parseDotEnv(text);
  std::vector<std::string> unset;
  (void)interpolateCompose(text, options.environment, &unset);
  return 0;
}
