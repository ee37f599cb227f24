// `tender serve --config FILE`: the serve settings as YAML, one key per flag
// (the flag's name in camelCase: --state-dir is stateDir, --listen a list).
// A flag given on the command line wins over the file, at start and when
// SIGHUP re-reads it. Everything here is pure: text in, settings or errors
// out (the file is read by runServe, server/serve.cc).
//
// Errors are Invalid with one FieldError per bad setting, its field the key
// and its message starting with the key's line ("line 4: ...").
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "server/serve.h"

namespace tender {

struct ServeConfigFile {
  ServeOptions options;              // the defaults, with the file's settings over them
  std::map<std::string, int> lines;  // each key the file sets -> its line (1-based)
};

// A file of no settings (empty, or comments only) gives the defaults; a
// setting whose value is null (`hostMemory:`) keeps its default.
Result<ServeConfigFile> parseServeConfigFile(const std::string& text);

// `file`'s settings, with the value of each flag named in `flagsGiven`
// ("--workers") taken from `flags` instead.
ServeOptions withFlagsOver(const ServeOptions& file, const ServeOptions& flags,
                           const std::vector<std::string>& flagsGiven);

// serveConfigFrom()'s errors name flags: for a setting the file gave (and
// no flag overrode), this names its key and line instead.
Status inTermsOfFile(const Status& flagErrors, const ServeConfigFile& file,
                     const std::vector<std::string>& flagsGiven);

struct ServeSetting {
  std::string flag;  // "--keep-events"
  std::string key;   // "keepEvents"
  bool atRunTime;    // a re-read applies it to the running server
};
// Every setting, in the order `tender serve --help` lists the flags.
const std::vector<ServeSetting>& serveSettings();

// The keys whose values differ between `before` and `after`, in
// serveSettings() order.
std::vector<std::string> changedSettings(const ServeOptions& before, const ServeOptions& after);
// Whether a changed `key` takes effect without a restart.
bool changesAtRunTime(const std::string& key);
// `running` with the value of every setting that changes at run time taken
// from `next`: what a re-read puts in force.
ServeOptions withRunTimeSettingsOf(const ServeOptions& running, const ServeOptions& next);

}  // namespace tender
