// RFC 3339 times as the Engine API and tender's API write them.
#pragma once

#include <optional>
#include <string>

#include "base/clock.h"

namespace tender {

// "2026-11-21T23:48:11.123456789Z" (or with an offset) -> time. nullopt on
// malformed input and on Docker's zero time "0001-01-01T00:00:00Z".
std::optional<WallTime> parseRfc3339(const std::string& text);
// UTC, second precision: "2026-11-21T23:48:11Z".
std::string formatRfc3339(WallTime t);
std::string formatRfc3339Millis(int64_t unixMillis);
// UTC with milliseconds: "2026-11-21T23:48:11.123Z" (restart delays and run
// times are read from these).
std::string formatRfc3339Precise(int64_t unixMillis);

}  // namespace tender
