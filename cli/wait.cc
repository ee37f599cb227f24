// `tender apply --wait`: the polling loop over the touched services (cli/wait.h).
#include "cli/wait.h"

#include <map>
#include <ostream>

#include "cli/commands.h"
#include "cli/output.h"

namespace tender {
namespace {

using nlohmann::json;

std::string durationText(std::chrono::milliseconds d) {
  auto ms = d.count();
  if (ms % 1000 != 0) return std::to_string(ms) + "ms";
  auto s = ms / 1000;
  std::string out;
  if (s >= 3600) out += std::to_string(s / 3600) + "h";
  if (s % 3600 >= 60) out += std::to_string(s % 3600 / 60) + "m";
  if (s % 60 != 0 || out.empty()) out += std::to_string(s % 60) + "s";
  return out;
}

struct Watched {
  const ServiceRef* ref;
  json last;           // the last answer, null before the first
  Status lastError;    // of the last fetch
  std::string shown;   // the last progress line printed
  bool ready = false;
};

}  // namespace

int waitForServices(const std::vector<ServiceRef>& services, const FetchService& fetch,
                    const Clock& clock, const SleepFor& sleep, const WaitOptions& options,
                    std::ostream& out, std::ostream& err) {
  std::vector<Watched> watched;
  for (const ServiceRef& s : services) watched.push_back({&s, json(), Status::Ok(), "", false});
  const MonoTime deadline = clock.monotonic() + options.timeout;
  while (true) {
    bool allReady = true;
    for (Watched& w : watched) {
      if (w.ready) continue;
      Result<json> got = fetch(*w.ref);
      if (!got.ok()) {
        w.lastError = got.status();
        if (isPermanentError(got.status())) {
          printError(got.status(), err, w.ref->display);
          return 1;
        }
        allReady = false;
        continue;
      }
      w.lastError = Status::Ok();
      w.last = std::move(*got);
      std::string line = waitProgressLine(w.ref->display, w.last);
      if (line != w.shown) {
        out << line << "\n" << std::flush;
        w.shown = line;
      }
      if (serviceFailed(w.last)) {
        err << "error: " << waitFailureLine(w.ref->display, w.last) << "\n";
        return 1;
      }
      w.ready = serviceReady(w.last);
      allReady = allReady && w.ready;
    }
    if (allReady) return 0;
    const MonoTime now = clock.monotonic();
    if (now >= deadline) break;
    sleep(std::min<std::chrono::milliseconds>(
        options.interval, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now)));
  }
  int notReady = 0;
  for (const Watched& w : watched) notReady += !w.ready;
  err << "error: timed out after " << durationText(options.timeout) << " waiting for " << notReady
      << (notReady == 1 ? " service" : " services") << " to be ready\n";
  for (const Watched& w : watched) {
    if (w.ready) continue;
    if (w.last.is_null()) {
      err << "  " << w.ref->display << " is not ready: "
          << (w.lastError.ok() ? std::string("no answer yet") : w.lastError.message()) << "\n";
    } else {
      err << "  " << waitFailureLine(w.ref->display, w.last) << "\n";
    }
  }
  return 1;
}

}  // namespace tender
