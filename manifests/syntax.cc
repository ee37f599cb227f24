// Small textual syntaxes: shell words, DNS labels, Compose port and volume
// short syntax, RFC 3339 times.
#include <arpa/inet.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "manifests/manifest.h"
#include "manifests/manifest_syntax.h"

namespace tender {
namespace {

constexpr size_t kQuoteLimit = 80;

bool isDigits(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t at = s.find(sep, start);
    if (at == std::string::npos) {
      parts.push_back(s.substr(start));
      return parts;
    }
    parts.push_back(s.substr(start, at - start));
    start = at + 1;
  }
}

// "80" or "80-82" into [first, last]; `ok` false when it is neither. Range
// checks are left to the caller so it can name the port.
struct PortRange {
  long first = 0;
  long last = 0;
};

bool parsePortRange(const std::string& text, PortRange* out) {
  size_t dash = text.find('-');
  std::string a = text.substr(0, dash);
  std::string b = dash == std::string::npos ? a : text.substr(dash + 1);
  if (!isDigits(a) || !isDigits(b) || a.size() > 9 || b.size() > 9) return false;
  out->first = std::stol(a);
  out->last = std::stol(b);
  return true;
}

std::string rangeText(int first, int last) {
  return last != first ? std::to_string(first) + "-" + std::to_string(last) : std::to_string(first);
}

bool isLeapYear(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

}  // namespace

std::string quoteJson(const nlohmann::json& value) {
  std::string text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (text.size() > kQuoteLimit) {
    size_t cut = kQuoteLimit - 3;
    // Do not cut a UTF-8 sequence in half.
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    text = text.substr(0, cut) + "...";
  }
  return text;
}

bool isDnsLabel(const std::string& s) {
  if (s.empty() || s.size() > 63) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return false;
  }
  return s.front() != '-' && s.back() != '-';
}

namespace {
bool isLowerOrDigit(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool isAlnum(char c) { return isLowerOrDigit(c) || (c >= 'A' && c <= 'Z'); }
}  // namespace

bool isNamespaceName(const std::string& s) {
  if (s.empty() || s.size() > 63 || !isLowerOrDigit(s.front())) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return isLowerOrDigit(c) || c == '_' || c == '-'; });
}

bool isObjectName(const std::string& s) {
  if (s.empty() || s.size() > 128 || !isAlnum(s.front())) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return isAlnum(c) || c == '_' || c == '.' || c == '-'; });
}

bool isResourceName(const std::string& kind, const std::string& s) {
  if (kind == "Namespace") return isNamespaceName(s);
  if (kind == "Volume" || kind == "Network") return isObjectName(s);
  return isDnsLabel(s);
}

const char* resourceNameRule(const std::string& kind) {
  if (kind == "Namespace") {
    return " is not a namespace name (lowercase letters, digits, '_' and '-', starting with a "
           "letter or digit, at most 63 characters, as Compose names a project)";
  }
  if (kind == "Volume" || kind == "Network") {
    return " is not a volume or network name (letters, digits, '_', '.' and '-', starting with a "
           "letter or digit, at most 128 characters, as Compose names them)";
  }
  return " is not a DNS label (lowercase letters, digits and '-', at most 63 characters)";
}

Result<std::vector<std::string>> shellSplit(const std::string& text) {
  std::vector<std::string> words;
  std::string word;
  bool inWord = false;  // "" is a word of its own, so track it apart from word.empty()
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (inWord) words.push_back(word);
      word.clear();
      inWord = false;
      ++i;
    } else if (c == '\'') {
      size_t end = text.find('\'', i + 1);
      if (end == std::string::npos) {
        return Status::Invalid(quoteJson(text) + " has an unterminated single quote");
      }
      word += text.substr(i + 1, end - i - 1);
      inWord = true;
      i = end + 1;
    } else if (c == '"') {
      ++i;
      bool closed = false;
      while (i < text.size()) {
        char d = text[i];
        if (d == '"') {
          closed = true;
          ++i;
          break;
        }
        // Inside double quotes a backslash escapes only these, as in POSIX sh.
        if (d == '\\' && i + 1 < text.size() &&
            std::string("\"\\$`\n").find(text[i + 1]) != std::string::npos) {
          if (text[i + 1] != '\n') word += text[i + 1];
          i += 2;
          continue;
        }
        word += d;
        ++i;
      }
      if (!closed) return Status::Invalid(quoteJson(text) + " has an unterminated double quote");
      inWord = true;
    } else if (c == '\\') {
      if (i + 1 >= text.size()) return Status::Invalid(quoteJson(text) + " ends with a backslash");
      if (text[i + 1] != '\n') {  // backslash-newline continues the line
        word += text[i + 1];
        inWord = true;
      }
      i += 2;
    } else {
      word += c;
      inWord = true;
      ++i;
    }
  }
  if (inWord) words.push_back(word);
  return words;
}

bool isIpAddress(const std::string& text) {
  unsigned char buf[16];
  return inet_pton(AF_INET, text.c_str(), buf) == 1 || inet_pton(AF_INET6, text.c_str(), buf) == 1;
}

Result<PortMapping> parsePortSpec(const std::string& text) {
  const std::string q = quoteJson(text);
  auto notAMapping = [&] {
    return Status::Invalid(q +
                           " is not a port mapping (e.g. \"8080:80\", \"127.0.0.1:8080:80/udp\")");
  };
  PortMapping port;
  std::string rest = text;
  size_t slash = rest.rfind('/');
  if (slash != std::string::npos) {
    port.protocol = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
    if (port.protocol != "tcp" && port.protocol != "udp" && port.protocol != "sctp") {
      return Status::Invalid(q + ": protocol " + quoteJson(port.protocol) +
                             " is not one of tcp, udp, sctp");
    }
  }
  std::string hostPart;
  std::string containerPart;
  bool hasHost = false;
  if (!rest.empty() && rest[0] == '[') {
    // "[::1]:8080:80": an IPv6 address needs brackets to be told from the ports.
    size_t close = rest.find("]:");
    if (close == std::string::npos) return notAMapping();
    port.hostIp = rest.substr(1, close - 1);
    std::vector<std::string> ports = split(rest.substr(close + 2), ':');
    if (ports.size() != 2) return notAMapping();
    hostPart = ports[0];
    containerPart = ports[1];
    hasHost = true;
  } else {
    std::vector<std::string> parts = split(rest, ':');
    if (parts.size() == 1) {
      containerPart = parts[0];
    } else if (parts.size() == 2) {
      hostPart = parts[0];
      containerPart = parts[1];
      hasHost = true;
      if (hostPart.empty()) return notAMapping();
    } else if (parts.size() == 3) {
      port.hostIp = parts[0];
      hostPart = parts[1];
      containerPart = parts[2];
      hasHost = true;
    } else {
      return notAMapping();
    }
  }
  if (hasHost && !port.hostIp.empty() && !isIpAddress(port.hostIp)) {
    return Status::Invalid(q + ": " + quoteJson(port.hostIp) + " is not an IP address");
  }
  if (hasHost && port.hostIp.empty() && rest.find(':') != rest.rfind(':')) {
    return Status::Invalid(q + ": the host IP is empty");
  }
  PortRange container;
  if (!parsePortRange(containerPart, &container)) return notAMapping();
  PortRange host;
  if (!hostPart.empty() && !parsePortRange(hostPart, &host)) return notAMapping();
  auto checkRange = [&](const PortRange& r, bool optional) -> Status {
    for (long p : {r.first, r.last}) {
      if (optional && r.first == 0 && r.last == 0) break;
      if (p < 1 || p > 65535) {
        return Status::Invalid(q + ": port " + std::to_string(p) + " is out of range (1-65535)");
      }
    }
    if (r.last < r.first)
      return Status::Invalid(q + ": range " + std::to_string(r.first) + "-" +
                             std::to_string(r.last) + " is backwards");
    return Status::Ok();
  };
  Status s = checkRange(container, false);
  if (!s.ok()) return s;
  s = checkRange(host, hostPart.empty());
  if (!s.ok()) return s;
  if (!hostPart.empty() && host.last - host.first != container.last - container.first) {
    return Status::Invalid(q + ": host range " + rangeText(host.first, host.last) +
                           " and container range " + rangeText(container.first, container.last) +
                           " differ in length");
  }
  port.containerPort = static_cast<int>(container.first);
  port.containerPortEnd = static_cast<int>(container.last);
  port.hostPort = static_cast<int>(host.first);
  port.hostPortEnd = static_cast<int>(host.last);
  return port;
}

std::string formatPortSpec(const PortMapping& port) {
  std::string out;
  std::string host = port.hostPort != 0 ? rangeText(port.hostPort, port.hostPortEnd) : "";
  if (!port.hostIp.empty()) {
    bool v6 = port.hostIp.find(':') != std::string::npos;
    out = (v6 ? "[" + port.hostIp + "]" : port.hostIp) + ":" + host + ":";
  } else if (!host.empty()) {
    out = host + ":";
  }
  out += rangeText(port.containerPort, port.containerPortEnd);
  if (port.protocol != "tcp") out += "/" + port.protocol;
  return out;
}

bool isBindSource(const std::string& source) {
  return source == "." || source == ".." || source.rfind("/", 0) == 0 ||
         source.rfind("./", 0) == 0 || source.rfind("../", 0) == 0;
}

std::string secretTarget(const FileMount& m) {
  return m.target.empty() ? "/run/secrets/" + m.name : m.target;
}

std::string configTarget(const FileMount& m) { return m.target.empty() ? "/" + m.name : m.target; }

int fileMountMode(const FileMount& m) { return m.mode.value_or(0444); }

bool isContextDigest(const std::string& text) {
  return text.size() == 71 && text.compare(0, 7, "sha256:") == 0 &&
         text.find_first_not_of("0123456789abcdef", 7) == std::string::npos;
}

Result<VolumeMount> parseVolumeSpec(const std::string& text) {
  const std::string q = quoteJson(text);
  std::vector<std::string> parts = split(text, ':');
  VolumeMount mount;
  mount.type = "volume";
  if (parts.size() > 3) {
    return Status::Invalid(q + " is not a volume (e.g. \"data:/var/lib/data\", \"./src:/src:ro\")");
  }
  for (const std::string& part : parts) {
    if (part.empty()) {
      return Status::Invalid(q +
                             " is not a volume (e.g. \"data:/var/lib/data\", \"./src:/src:ro\")");
    }
  }
  if (parts.size() == 1) {
    mount.target = parts[0];  // an anonymous volume
  } else {
    mount.source = parts[0];
    mount.target = parts[1];
    if (parts.size() == 3) {
      if (parts[2] != "ro" && parts[2] != "rw") {
        return Status::Invalid(q + ": mode " + quoteJson(parts[2]) + " is not one of ro, rw");
      }
      mount.readOnly = parts[2] == "ro";
    }
    if (isBindSource(mount.source)) {
      mount.type = "bind";
    } else if (!isObjectName(mount.source)) {
      return Status::Invalid(q + ": volume name " + quoteJson(mount.source) +
                             " is not a volume name (letters, digits, '_', '.' and '-'; a host path "
                             "starts with /, ./ or ../)");
    }
  }
  if (mount.target.front() != '/') {
    return Status::Invalid(q + ": target " + quoteJson(mount.target) + " is not an absolute path");
  }
  return mount;
}

bool isRfc3339(const std::string& s) {
  // YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)
  auto num = [&](size_t at, size_t len, int* out) {
    if (at + len > s.size()) return false;
    int v = 0;
    for (size_t i = at; i < at + len; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
  };
  int year, month, day, hour, minute, second;
  if (!num(0, 4, &year) || s.size() < 20 || s[4] != '-' || !num(5, 2, &month) || s[7] != '-' ||
      !num(8, 2, &day) || (s[10] != 'T' && s[10] != 't') || !num(11, 2, &hour) || s[13] != ':' ||
      !num(14, 2, &minute) || s[16] != ':' || !num(17, 2, &second)) {
    return false;
  }
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12) return false;
  int maxDay = kDays[month - 1] + (month == 2 && isLeapYear(year) ? 1 : 0);
  if (day < 1 || day > maxDay || hour > 23 || minute > 59 || second > 60) return false;
  size_t i = 19;
  if (i < s.size() && s[i] == '.') {
    ++i;
    size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == start) return false;
  }
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) return i + 1 == s.size();
  int offHour, offMinute;
  return i + 6 == s.size() && (s[i] == '+' || s[i] == '-') && num(i + 1, 2, &offHour) &&
         s[i + 3] == ':' && num(i + 4, 2, &offMinute) && offHour <= 23 && offMinute <= 59;
}

const char* restartPolicyName(RestartPolicy policy) {
  switch (policy) {
    case RestartPolicy::kAlways:
      return "Always";
    case RestartPolicy::kOnFailure:
      return "OnFailure";
    case RestartPolicy::kNever:
      return "Never";
  }
  return "Always";
}

const char* dependencyConditionName(DependencyCondition condition) {
  switch (condition) {
    case DependencyCondition::kStarted:
      return "started";
    case DependencyCondition::kHealthy:
      return "healthy";
    case DependencyCondition::kCompleted:
      return "completed";
  }
  return "started";
}

const char* securityLevelName(SecurityLevel level) {
  switch (level) {
    case SecurityLevel::kPrivileged:
      return "privileged";
    case SecurityLevel::kBaseline:
      return "baseline";
    case SecurityLevel::kRestricted:
      return "restricted";
  }
  return "baseline";
}

std::optional<SecurityLevel> parseSecurityLevel(const std::string& text) {
  for (SecurityLevel l :
       {SecurityLevel::kPrivileged, SecurityLevel::kBaseline, SecurityLevel::kRestricted}) {
    if (text == securityLevelName(l)) return l;
  }
  return std::nullopt;
}

Result<DeviceMapping> parseDeviceSpec(const std::string& text) {
  std::vector<std::string> parts;
  for (size_t start = 0;;) {
    size_t colon = text.find(':', start);
    parts.push_back(text.substr(start, colon == std::string::npos ? std::string::npos : colon - start));
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  auto invalid = [&](const std::string& why) {
    return Status::Invalid(quoteJson(text) + ": " + why +
                           " (HOST[:CONTAINER[:PERMISSIONS]], e.g. /dev/fuse or /dev/sda:/dev/xvda:r)");
  };
  if (parts.size() > 3) return invalid("too many ':'");
  DeviceMapping d;
  d.hostPath = parts[0];
  d.containerPath = parts.size() > 1 ? parts[1] : parts[0];
  d.permissions = parts.size() > 2 ? parts[2] : "rwm";
  if (d.hostPath.empty() || d.hostPath.front() != '/') return invalid("the host path is not absolute");
  if (d.containerPath.empty() || d.containerPath.front() != '/')
    return invalid("the container path is not absolute");
  if (d.permissions.empty() ||
      d.permissions.find_first_not_of("rwm") != std::string::npos) {
    return invalid("the permissions are not a mix of r, w and m");
  }
  return d;
}

}  // namespace tender
