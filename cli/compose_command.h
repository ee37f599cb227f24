// The `tender` command's side of Compose files: it reads the files, the
// .env beside them, env_files and the process environment (all of them the
// client's), converts locally with loadCompose, and sends native manifests.
// `tender convert` prints what would be sent.
#pragma once

#include <iosfwd>
#include <map>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "base/status.h"
#include "manifests/compose.h"

namespace tender {

struct ComposeCliOptions {
  std::string projectName;            // -p
  std::vector<std::string> profiles;  // --profile
  bool strict = false;                // --strict
};

struct ConvertOptions {
  std::vector<std::string> files;  // -f: Compose files, merged in order
  ComposeCliOptions compose;
  std::string output = "yaml";  // yaml | json
};

// Whether the sources are Compose files: all of them (true), none (false),
// or a mix (Invalid: one apply cannot be both).
Result<bool> areComposeSources(const std::vector<ManifestSource>& sources);

// Loads Compose sources as one project. With a single file named as Compose
// names its default files (compose.yaml, docker-compose.yml...), an override
// file beside it (compose.override.yaml, docker-compose.override.yml...) is
// merged on top. `.env` is read from the first file's folder (the current
// one for stdin), which also names the project when nothing else does.
Result<ComposeProject> loadComposeSources(const std::vector<ManifestSource>& sources,
                                          const ComposeCliOptions& options,
                                          const std::map<std::string, std::string>& environment);

// The first source's folder, absolute: where relative paths resolve.
std::string projectDirOf(const std::vector<ManifestSource>& sources);

// The environment of this process, as a map.
std::map<std::string, std::string> processEnvironment();

// The variables a project's interpolation reads: its .env, then `environment` over it.
Result<std::map<std::string, std::string>> projectVariables(
    const std::vector<ManifestSource>& sources, const std::map<std::string, std::string>& environment);

// Native manifests as `tender apply -f` reads them: YAML documents with
// "---" between them, or a JSON list.
std::string renderManifests(const std::vector<Resource>& resources, const std::string& output);

// Prints the native manifests of a Compose project; warnings go to `err`.
int runConvert(const ConvertOptions& options, std::istream& in, std::ostream& out,
               std::ostream& err);

}  // namespace tender
