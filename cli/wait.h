// `tender apply --wait`: polls the services an apply touched until each is
// ready, printing a line whenever one's state changes, and says why those
// still not ready are not when the time is up.
//
// The service fetch, the clock and the sleep are parameters, so a test drives
// the loop with canned answers and a simulated clock, and sleeps for nothing.
#pragma once

#include <chrono>
#include <functional>
#include <iosfwd>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"

namespace tender {

struct ServiceRef {
  std::string ns;
  std::string name;
  std::string display;  // how lines name it: "service/api" or "shop/service/api"
};

struct WaitOptions {
  std::chrono::milliseconds timeout = std::chrono::minutes(5);  // the whole wait
  std::chrono::milliseconds interval = std::chrono::milliseconds(500);
};

// GET of one service: its JSON, or why not.
using FetchService = std::function<Result<nlohmann::json>(const ServiceRef&)>;
// Sleeps for the given time; a test advances its simulated clock instead.
using SleepFor = std::function<void(std::chrono::milliseconds)>;

// Polls every service until each is ready (serviceReady in output.h). Returns
// 0 when all are; 1 when the timeout passes, a service is Failed, or a fetch
// fails in a way polling again will not mend (not found, unauthorized,
// forbidden, invalid). Progress lines go to `out`, reasons to `err`.
int waitForServices(const std::vector<ServiceRef>& services, const FetchService& fetch,
                    const Clock& clock, const SleepFor& sleep, const WaitOptions& options,
                    std::ostream& out, std::ostream& err);

}  // namespace tender
