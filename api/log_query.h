// The pure parts of GET .../services/{name}/logs: what ?since= asks of the
// engine, the split of an engine line into its timestamp and text, and the
// merge of several replicas' lines into one time order. No I/O.
#pragma once

#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"

namespace tender {

// ?since=: a duration back from `now` ("10m", "1h30m", "90s") or an RFC 3339
// time ("2026-12-04T10:00:00Z"), as the engine's "seconds.nanoseconds".
// Invalid naming `param` otherwise.
Result<std::string> engineSince(const std::string& param, const std::string& value, WallTime now);

// `t` as the engine's "seconds.nanoseconds" ("1700000000.000000042").
std::string engineTime(WallTime t);

// One line of one replica: the engine's RFC 3339 timestamp ("" when the
// line had none) and the text.
struct TimedLogLine {
  std::string time;
  std::string text;
};

// "2026-12-04T10:00:00.123456789Z text" -> {time, text}; a line without a
// leading timestamp keeps all of it as text.
TimedLogLine splitTimestamp(const std::string& engineLine);

// Whether line `a` was written before `b` (their times parsed; a line
// without a time sorts first).
bool writtenBefore(const TimedLogLine& a, const TimedLogLine& b);

// Each replica's lines (each list in its own time order) merged into one
// time order: a replica's lines keep their order, and lines of the same
// time keep the replicas' order.
std::vector<TimedLogLine> mergeInTimeOrder(const std::vector<std::vector<TimedLogLine>>& replicas);

// A replica's prefix: "web.0 | " ("web.? | " for a container without a
// replica label).
std::string replicaPrefix(const std::string& service, int replica);

// What the API sends for a line: "web.0 | text", with `timestamps` the time
// first ("2026-12-04T10:00:00.123456789Z web.0 | text").
std::string renderLogLine(const std::string& prefix, const TimedLogLine& line, bool timestamps);

}  // namespace tender
