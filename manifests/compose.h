// Docker Compose files as tender manifests.
//
// A Compose project maps onto one namespace (the project name): its services,
// networks and volumes become Service, Network and Volume resources of that
// namespace, which then reconcile like any manifest. loadCompose does what
// `docker compose config` does before that — interpolation, merging of
// several files, profiles — and translates the result, collecting every error
// with its Compose path ("services.web.depends_on.db.condition") and a
// warning for every key tender does not support (an error when strict), so
// nothing is dropped silently.
//
// Pure: files, the environment, .env and env_file contents come in through
// ComposeOptions, so the `tender` command (which reads them on the client)
// and the API (which has none of them) share one translation.
//
// Thread-safety: pure functions.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "manifests/resource.h"

namespace tender {

struct ComposeFile {
  std::string name;  // for messages: a path, or "<body>"
  std::string text;
};

struct ComposeOptions {
  // The project (namespace) name, in Compose's order: this (-p), then
  // COMPOSE_PROJECT_NAME from the environment or .env, then the file's
  // `name:`, then `folderName`, made a project name as Compose makes one.
  std::string projectName;
  std::string folderName;
  // The field the error for a missing project name names: the option or
  // parameter that would give one ("--project-name", "project").
  std::string nameParameter = "--project-name";
  // The folder of the first file: relative build contexts, bind mounts and
  // env_files resolve against it. "" leaves them relative (a relative bind
  // mount is then an error).
  std::string projectDir;
  // Variables for interpolation and for environment entries without a
  // value: `environment` wins over `dotenv` (the text of a .env file).
  std::map<std::string, std::string> environment;
  std::string dotenv;
  std::vector<std::string> profiles;  // active profiles; COMPOSE_PROFILES adds to them
  bool strict = false;                // unsupported keys are errors, not warnings
  // Reads an env_file, an included Compose file or an extends file, given
  // as an absolute path (resolved against projectDir, or the folder of the
  // file naming it). Unset: those keys are errors (the API cannot read the
  // client's files).
  std::function<Result<std::string>(const std::string& path)> readFile;
};

struct ComposeProject {
  std::string name;                  // the namespace
  std::vector<Resource> resources;   // Namespace (only when x-tender sets one), Networks, Volumes, Services
  std::vector<std::string> warnings; // "services.web.container_name: not supported by tender; ignored"
};

// True when `text` is one YAML/JSON document holding `services:` and no
// `apiVersion`: a Compose file rather than a tender manifest.
bool isComposeDocument(const std::string& text);

// Interpolates, resolves include and extends, merges (later files override
// earlier ones, as Compose merges), selects profiled services, translates
// and checks the dependency graph (cycles). Status::Invalid with
// every error as a detail.
Result<ComposeProject> loadCompose(const std::vector<ComposeFile>& files,
                                   const ComposeOptions& options);

// A .env file: KEY=VALUE lines, `export ` prefixes, # comments, single
// quotes (literal) and double quotes (\n, \t, \" and \\ escapes); a value
// without quotes ends at " #". Errors name the line.
Result<std::map<std::string, std::string>> parseDotEnv(const std::string& text);

// Compose interpolation of one string: $$, $VAR, ${VAR}, ${VAR:-default},
// ${VAR-default}, ${VAR:?error}, ${VAR?error}, ${VAR:+alt}, ${VAR+alt}
// (defaults interpolated too). An unset variable without a default is ""
// and its name is added to `unset`. Invalid with the message alone.
Result<std::string> interpolateCompose(const std::string& text,
                                       const std::map<std::string, std::string>& variables,
                                       std::vector<std::string>* unset);

}  // namespace tender
