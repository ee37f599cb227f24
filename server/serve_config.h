// ServeConfig: what `tender serve`'s flags mean, checked before anything
// starts. serveConfigFrom() is pure (no files, no engine): every flag that
// does not parse comes back as a FieldError naming the flag.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "api/auth.h"
#include "api/fair_share.h"
#include "base/clock.h"
#include "base/status.h"
#include "reconcilers/admission.h"
#include "reconcilers/eviction.h"
#include "reconcilers/janitor.h"
#include "server/serve.h"
#include "store/upload_store.h"
#include "store/store.h"

namespace tender {

struct ServeConfig {
  AdmissionConfig admission;
  EvictionConfig eviction;
  Retention retention;
  Millis engineWait{0};
  Millis cleanupInterval{0};
  LowDiskThreshold lowDisk;
  int workers = 1;
  int startLimit = 1;  // concurrent container starts, host-wide
  FairShareOptions fairShare;  // each token's request budget and stream cap
  UploadLimits buildContexts;
  bool tls = false;    // --tls-cert and --tls-key given
  // Listen addresses other hosts may reach that serve plaintext all the
  // same, by --allow-plaintext: each is warned about at start.
  std::vector<std::string> plaintextReachable;
};

// `hardwareThreads` sets the default start limit (four per CPU).
// Errors: Invalid with one FieldError per bad flag ({"--host-memory", "..."}).
// The TLS flags: one of --tls-cert and --tls-key without the other is an
// error on the missing one; a --listen address that is neither a unix
// socket nor a literal loopback address (isLoopbackListen) is an error
// naming --tls-cert and --allow-plaintext unless one of them is given. The
// files themselves are read later (loadServerTls, server/tls_files.h).
Result<ServeConfig> serveConfigFrom(const ServeOptions& options, unsigned hardwareThreads);

// Where the host's memory is read, and how it is said (/readyz, the log).
struct MemorySource {
  std::string procRoot;
  std::string description;
};
// `asked` when it has a meminfo (`askedReadable`), else /proc: the kernel's
// view from where tender runs, which inside a container on Docker Desktop
// or Colima is the VM's. The host's total always comes from the engine
// (its info) unless --host-memory says it.
MemorySource memorySourceFor(const std::string& asked, bool askedReadable);

// The fair share with the token file's own budgets (rate=, burst=) in
// place of the flags' for those tokens; what a line leaves out is the
// flags'.
FairShareOptions withTokenBudgets(FairShareOptions fairShare,
                                  const std::map<std::string, TokenBudget>& budgets);

}  // namespace tender
