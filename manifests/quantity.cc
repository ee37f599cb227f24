// Memory, CPU and duration quantities as users write them.
//
// Numbers are read as exact decimals (digits and a power of ten) and scaled
// with 128-bit integers, so "1.5Gi" is exactly 1610612736 and "0.1" CPUs is
// exactly 100000000 nano-CPUs; no binary floating point is involved. A value
// finer than the unit (a fraction of a byte, of a nano-CPU, of a millisecond)
// rounds up, as Kubernetes does, so a small non-zero value never becomes 0.
#include <cctype>
#include <cstdlib>
#include <cstdint>
#include <limits>
#include <string>

#include "manifests/manifest.h"

#include <cstdlib>
#include "manifests/manifest_syntax.h"

namespace tender {
namespace {

using u128 = unsigned __int128;
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

// A non-negative decimal: significant * 10^exponent.
struct Decimal {
  uint64_t significant = 0;
  int exponent = 0;
};

enum class ParseStatus { kOk, kSyntax };

// Reads digits with an optional '.' fraction (and, when allowed, an exponent
// "e3" / "E-2" that must be followed by a digit, so "1E" leaves the "E" as a
// suffix) starting at *pos. Leaves *pos after the number.
ParseStatus readDecimal(const std::string& s, size_t* pos, bool allowExponent, Decimal* out) {
  size_t i = *pos;
  std::string digits;
  int fractionDigits = 0;
  bool any = false;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') digits += s[i++], any = true;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      digits += s[i++];
      ++fractionDigits;
      any = true;
    }
  }
  if (!any) return ParseStatus::kSyntax;
  long exponent = -fractionDigits;
  if (allowExponent && i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    size_t j = i + 1;
    bool negative = false;
    if (j < s.size() && (s[j] == '+' || s[j] == '-')) negative = s[j++] == '-';
    if (j < s.size() && s[j] >= '0' && s[j] <= '9') {
      long e = 0;
      while (j < s.size() && s[j] >= '0' && s[j] <= '9') {
        if (e < 100000) e = e * 10 + (s[j] - '0');
        ++j;
      }
      exponent += negative ? -e : e;
      i = j;
    }
  }
  // Drop leading zeros, and trailing zeros into the exponent.
  size_t first = digits.find_first_not_of('0');
  if (first == std::string::npos) {
    *out = Decimal{};
    *pos = i;
    return ParseStatus::kOk;
  }
  digits = digits.substr(first);
  while (digits.size() > 1 && digits.back() == '0') {
    digits.pop_back();
    ++exponent;
  }
  // Beyond 19 digits keep the first 19, rounded up: the value is then either
  // far too large anyway or off by less than one unit in the 19th digit.
  bool roundUp = false;
  if (digits.size() > 19) {
    roundUp = digits.find_first_not_of('0', 19) != std::string::npos;
    exponent += static_cast<long>(digits.size() - 19);
    digits.resize(19);
  }
  uint64_t significant = 0;
  for (char c : digits) significant = significant * 10 + static_cast<uint64_t>(c - '0');
  if (roundUp) ++significant;  // at most 10^19, still within 64 bits
  if (exponent > 100000 || exponent < -100000) exponent = exponent > 0 ? 100000 : -100000;
  *out = Decimal{significant, static_cast<int>(exponent)};
  *pos = i;
  return ParseStatus::kOk;
}

// d * multiplier * 10^shift, rounded up; false when it exceeds int64.
// REQUIRES: multiplier <= 2^62.
bool scale(const Decimal& d, uint64_t multiplier, int shift, int64_t* out) {
  u128 v = static_cast<u128>(d.significant) * multiplier;
  int e = d.exponent + shift;
  if (v == 0) {
    *out = 0;
    return true;
  }
  if (e >= 0) {
    for (int k = 0; k < e; ++k) {
      if (v > static_cast<u128>(kMax)) return false;
      v *= 10;
    }
  } else if (-e > 38) {
    v = 1;  // far below one unit, rounded up
  } else {
    u128 p = 1;
    for (int k = 0; k < -e; ++k) p *= 10;
    v = (v + p - 1) / p;
  }
  if (v > static_cast<u128>(kMax)) return false;
  *out = static_cast<int64_t>(v);
  return true;
}

std::string q(const std::string& text) { return quoteJson(text); }

Status notA(const std::string& text, const char* what) {
  return Status::Invalid(q(text) + " is not a " + what);
}

}  // namespace

Result<int64_t> parseMemoryQuantity(const std::string& text) {
  const char* what = "memory quantity";
  size_t i = 0;
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
    if (text[0] == '-') return Status::Invalid(q(text) + " must not be negative");
    ++i;
  }
  Decimal d;
  size_t numberStart = i;
  ParseStatus ps = readDecimal(text, &i, /*allowExponent=*/true, &d);
  if (ps == ParseStatus::kSyntax) return notA(text, what);
  bool hasExponent = text.find_first_of("eE", numberStart) < i;
  std::string suffix = text.substr(i);
  uint64_t multiplier = 1;
  int shift = 0;
  if (!suffix.empty()) {
    if (hasExponent) return notA(text, what);
    static const char kDecimal[] = "kMGTPE";
    static const char kBinary[] = "KMGTPE";
    if (suffix.size() == 1 && suffix.find_first_of(kDecimal) == 0) {
      shift = 3 * (1 + static_cast<int>(std::string(kDecimal).find(suffix[0])));
    } else if (suffix.size() == 2 && suffix[1] == 'i' &&
               std::string(kBinary).find(suffix[0]) != std::string::npos) {
      multiplier = uint64_t{1} << (10 * (1 + std::string(kBinary).find(suffix[0])));
    } else if (suffix.find_first_of("mgtpb") != std::string::npos &&
               suffix.find_first_not_of("kmgtpbKMGTPB") == std::string::npos) {
      // "512m" is 0.512 bytes to Kubernetes and "512mb" means nothing: both
      // are Docker habits worth a hint rather than a bare refusal.
      return Status::Invalid(q(text) +
                             " is not a memory quantity (Kubernetes units: Ki, Mi, Gi or k, M, G)");
    } else {
      return notA(text, what);
    }
  }
  int64_t bytes = 0;
  if (!scale(d, multiplier, shift, &bytes)) return Status::Invalid(q(text) + " is too large");
  return bytes;
}

Result<int64_t> parseDockerMemory(const std::string& text) {
  const char* what = "memory quantity";
  size_t i = 0;
  if (!text.empty() && text[0] == '-') return Status::Invalid(q(text) + " must not be negative");
  Decimal d;
  ParseStatus ps = readDecimal(text, &i, /*allowExponent=*/false, &d);
  if (ps == ParseStatus::kSyntax) return notA(text, what);
  std::string suffix;
  for (char c : text.substr(i))
    suffix += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  // b, k, m, g, t, p, each optionally followed by "b" ("512mb").
  if (suffix.size() == 2 && suffix[1] == 'b' && suffix[0] != 'b') suffix.pop_back();
  int power = 0;
  if (suffix.empty() || suffix == "b") {
    power = 0;
  } else if (suffix.size() == 1 && std::string("kmgtp").find(suffix[0]) != std::string::npos) {
    power = 1 + static_cast<int>(std::string("kmgtp").find(suffix[0]));
  } else {
    return notA(text, what);
  }
  int64_t bytes = 0;
  if (!scale(d, uint64_t{1} << (10 * power), 0, &bytes)) {
    return Status::Invalid(q(text) + " is too large");
  }
  return bytes;
}

Result<double> parsePercentage(const std::string& text) {
  const std::string number = text.empty() || text.back() != '%' ? std::string() : text.substr(0, text.size() - 1);
  char* end = nullptr;
  const double pct = number.empty() ? -1 : std::strtod(number.c_str(), &end);
  if (number.empty() || end != number.c_str() + number.size() || !(pct >= 0 && pct < 100)) {
    return Status::Invalid("\"" + text + "\" is not a percentage below 100 (10%)");
  }
  return pct / 100.0;
}

Result<int64_t> parseCpuQuantity(const std::string& text) {
  const char* what = "CPU quantity (e.g. 0.5, 2, 500m)";
  size_t i = 0;
  if (!text.empty() && text[0] == '-') return Status::Invalid(q(text) + " must not be negative");
  if (!text.empty() && text[0] == '+') ++i;
  Decimal d;
  ParseStatus ps = readDecimal(text, &i, /*allowExponent=*/true, &d);
  if (ps == ParseStatus::kSyntax) return notA(text, what);
  int shift = 9;
  std::string suffix = text.substr(i);
  if (suffix == "m") {
    shift = 6;
  } else if (!suffix.empty()) {
    return notA(text, what);
  }
  int64_t nano = 0;
  if (!scale(d, 1, shift, &nano)) return Status::Invalid(q(text) + " is too large");
  return nano;
}

Result<int64_t> parseDurationMs(const std::string& text) {
  const char* what = "duration (e.g. 500ms, 10s, 5m, 1h30m)";
  if (!text.empty() && text[0] == '-') return Status::Invalid(q(text) + " must not be negative");
  size_t i = (!text.empty() && text[0] == '+') ? 1 : 0;
  // A bare number is seconds, as in Compose's stop_grace_period "10".
  {
    size_t j = i;
    Decimal d;
    ParseStatus ps = readDecimal(text, &j, /*allowExponent=*/false, &d);
    if (ps == ParseStatus::kOk && j == text.size()) {
      int64_t ms = 0;
      if (!scale(d, 1, 3, &ms)) return Status::Invalid(q(text) + " is too large");
      return ms;
    }
  }
  struct Unit {
    const char* name;
    uint64_t nanos;
  };
  // Longest names first, so "ms" is not read as "m" then "s".
  static const Unit kUnits[] = {
      {"ns", 1},
      {"us", 1000},
      {"\xC2\xB5s", 1000},  // U+00B5 micro sign
      {"\xCE\xBCs", 1000},  // U+03BC Greek mu
      {"ms", 1000000},
      {"s", 1000000000ull},
      {"m", 60ull * 1000000000ull},
      {"h", 3600ull * 1000000000ull},
      {"d", 86400ull * 1000000000ull},
  };
  int64_t totalNanos = 0;
  bool any = false;
  while (i < text.size()) {
    Decimal d;
    ParseStatus ps = readDecimal(text, &i, /*allowExponent=*/false, &d);
    if (ps == ParseStatus::kSyntax) return notA(text, what);
    const Unit* unit = nullptr;
    for (const Unit& u : kUnits) {
      size_t len = std::char_traits<char>::length(u.name);
      if (text.compare(i, len, u.name) == 0 &&
          (unit == nullptr || len > std::char_traits<char>::length(unit->name))) {
        unit = &u;
      }
    }
    if (unit == nullptr) return notA(text, what);
    i += std::char_traits<char>::length(unit->name);
    int64_t part = 0;
    if (!scale(d, unit->nanos, 0, &part) || part > kMax - totalNanos) {
      return Status::Invalid(q(text) + " is too large");
    }
    totalNanos += part;
    any = true;
  }
  if (!any) return notA(text, what);
  return totalNanos / 1000000 + (totalNanos % 1000000 != 0 ? 1 : 0);
}

std::string formatDurationMs(int64_t ms) {
  if (ms < 0) {
    if (ms == std::numeric_limits<int64_t>::min()) return "-" + formatDurationMs(kMax);
    return "-" + formatDurationMs(-ms);
  }
  if (ms == 0) return "0s";
  if (ms < 1000) return std::to_string(ms) + "ms";
  std::string out;
  int64_t hours = ms / 3600000;
  int64_t minutes = ms / 60000 % 60;
  int64_t seconds = ms / 1000 % 60;
  int64_t millis = ms % 1000;
  if (hours > 0) out += std::to_string(hours) + "h";
  if (minutes > 0) out += std::to_string(minutes) + "m";
  if (seconds > 0 || millis > 0) {
    out += std::to_string(seconds);
    if (millis > 0) {
      std::string frac = std::to_string(1000 + millis).substr(1);  // zero-padded to 3
      while (frac.back() == '0') frac.pop_back();
      out += "." + frac;
    }
    out += "s";
  }
  return out;
}

std::string formatCpuQuantity(int64_t nanoCpus) {
  if (nanoCpus < 0) {
    return "-" +
           formatCpuQuantity(nanoCpus == std::numeric_limits<int64_t>::min() ? kMax : -nanoCpus);
  }
  std::string out = std::to_string(nanoCpus / 1000000000);
  int64_t frac = nanoCpus % 1000000000;
  if (frac > 0) {
    std::string digits = std::to_string(1000000000 + frac).substr(1);  // zero-padded to 9
    while (digits.back() == '0') digits.pop_back();
    out += "." + digits;
  }
  return out;
}

}  // namespace tender
