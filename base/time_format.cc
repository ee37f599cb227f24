// Parsing and formatting RFC 3339 times (base/time_format.h).
#include "base/time_format.h"

#include <cstdio>
#include <ctime>

namespace tender {

std::optional<WallTime> parseRfc3339(const std::string& s) {
  int y, mo, d, h, mi, sec;
  int n = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6) {
    return std::nullopt;
  }
  if (y <= 1) return std::nullopt;  // Docker's "never"
  // timegm would carry month 13 into the next year: out of range is no time.
  static const int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (mo < 1 || mo > 12 || d < 1 || d > kDays[mo - 1] || (mo == 2 && d == 29 && !leap) || h > 23 ||
      mi > 59 || sec > 60 || h < 0 || mi < 0 || sec < 0) {
    return std::nullopt;
  }
  size_t i = static_cast<size_t>(n);
  int64_t nanos = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    int digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (digits < 9) {
        nanos = nanos * 10 + (s[i] - '0');
        ++digits;
      }
      ++i;
    }
    for (; digits < 9; ++digits) nanos *= 10;
  }
  int offsetSeconds = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int oh = 0, om = 0;
    if (std::sscanf(s.c_str() + i + 1, "%2d:%2d", &oh, &om) != 2 || oh > 23 || om > 59 || oh < 0 || om < 0) {
      return std::nullopt;
    }
    offsetSeconds = (oh * 3600 + om * 60) * (s[i] == '+' ? 1 : -1);
  } else if (i >= s.size() || (s[i] != 'Z' && s[i] != 'z')) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  time_t t = timegm(&tm);
  auto tp = WallTime(std::chrono::seconds(t - offsetSeconds));
  return tp + std::chrono::duration_cast<WallTime::duration>(std::chrono::nanoseconds(nanos));
}

std::string formatRfc3339(WallTime t) {
  time_t secs = std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string formatRfc3339Millis(int64_t unixMillis) {
  return formatRfc3339(WallTime(std::chrono::milliseconds(unixMillis)));
}

std::string formatRfc3339Precise(int64_t unixMillis) {
  int64_t secs = unixMillis / 1000, ms = unixMillis % 1000;
  if (ms < 0) {
    ms += 1000;
    secs -= 1;
  }
  std::string s = formatRfc3339(WallTime(std::chrono::seconds(secs)));
  char frac[8];
  std::snprintf(frac, sizeof frac, ".%03d", static_cast<int>(ms));
  s.insert(s.size() - 1, frac);
  return s;
}

}  // namespace tender
