#include "api/log_query.h"

#include <cstdio>
#include <optional>

#include "base/time_format.h"
#include "manifests/manifest.h"

namespace tender {

std::string engineTime(WallTime t) {
  const int64_t ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  char buf[40];
  std::snprintf(buf, sizeof buf, "%lld.%09lld", static_cast<long long>(ns / 1'000'000'000),
                static_cast<long long>(ns % 1'000'000'000));
  return buf;
}

Result<std::string> engineSince(const std::string& param, const std::string& value, WallTime now) {
  const std::string why =
      "\"" + value + "\" is neither a duration (10m, 1h30m) nor an RFC 3339 time";
  if (value.empty()) return Status::Invalid(param + ": " + why, {{param, why}});
  if (auto t = parseRfc3339(value)) return engineTime(*t);
  auto ms = parseDurationMs(value);
  if (!ms.ok() || *ms < 0 || value.find_first_not_of("0123456789.") == std::string::npos) {
    // A bare number would be seconds to parseDurationMs; here it is more
    // likely a Unix time or a typo, so it is refused rather than guessed.
    return Status::Invalid(param + ": " + why, {{param, why}});
  }
  return engineTime(now - std::chrono::milliseconds(*ms));
}

TimedLogLine splitTimestamp(const std::string& engineLine) {
  size_t space = engineLine.find(' ');
  if (space == std::string::npos || space < 20 || !parseRfc3339(engineLine.substr(0, space))) {
    return {"", engineLine};
  }
  return {engineLine.substr(0, space), engineLine.substr(space + 1)};
}

bool writtenBefore(const TimedLogLine& a, const TimedLogLine& b) {
  std::optional<WallTime> ta = a.time.empty() ? std::nullopt : parseRfc3339(a.time);
  std::optional<WallTime> tb = b.time.empty() ? std::nullopt : parseRfc3339(b.time);
  if (!tb) return false;
  if (!ta) return true;
  return *ta < *tb;
}

std::vector<TimedLogLine> mergeInTimeOrder(const std::vector<std::vector<TimedLogLine>>& replicas) {
  std::vector<size_t> next(replicas.size(), 0);
  size_t total = 0;
  for (const auto& r : replicas) total += r.size();
  std::vector<TimedLogLine> out;
  out.reserve(total);
  while (out.size() < total) {
    size_t pick = replicas.size();
    for (size_t i = 0; i < replicas.size(); ++i) {
      if (next[i] >= replicas[i].size()) continue;
      // Strictly earlier only: a tie goes to the replica listed first.
      if (pick == replicas.size() || writtenBefore(replicas[i][next[i]], replicas[pick][next[pick]]))
        pick = i;
    }
    out.push_back(replicas[pick][next[pick]++]);
  }
  return out;
}

std::string renderLogLine(const std::string& prefix, const TimedLogLine& line, bool timestamps) {
  std::string out;
  if (timestamps && !line.time.empty()) out = line.time + " ";
  out += prefix;
  out += line.text;
  out += '\n';
  return out;
}

std::string replicaPrefix(const std::string& service, int replica) {
  return service + "." + (replica >= 0 ? std::to_string(replica) : std::string("?")) + " | ";
}

}  // namespace tender
