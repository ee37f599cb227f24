// .dockerignore patterns and their matching (docker_ignore.h).
#include "base/docker_ignore.h"

#include <sstream>

namespace tender {
namespace {

std::string trim(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t\r");
  if (a == std::string::npos) return "";
  const size_t b = s.find_last_not_of(" \t\r");
  return s.substr(a, b - a + 1);
}

// "a//b/./c/" -> {"a", "b", "c"}; ".." climbs within the pattern.
std::vector<std::string> cleanParts(const std::string& path) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(path);
  while (std::getline(in, part, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == ".." && !parts.empty() && parts.back() != "..") {
      parts.pop_back();
      continue;
    }
    parts.push_back(part);
  }
  return parts;
}

// One '[...]' class at p[i] (i at '['): whether c is in it; i moves past ']'.
// A class without its ']' matches nothing.
bool classMatches(const std::string& p, size_t& i, char c, bool* wellFormed) {
  size_t j = i + 1;
  bool negate = j < p.size() && (p[j] == '^' || p[j] == '!');
  if (negate) ++j;
  bool in = false;
  bool first = true;
  for (; j < p.size() && (first || p[j] != ']'); first = false) {
    char lo = p[j] == '\\' && j + 1 < p.size() ? p[++j] : p[j];
    ++j;
    char hi = lo;
    if (j + 1 < p.size() && p[j] == '-' && p[j + 1] != ']') {
      hi = p[j + 1] == '\\' && j + 2 < p.size() ? p[j + 2] : p[j + 1];
      j += p[j + 1] == '\\' ? 3 : 2;
    }
    if (lo <= c && c <= hi) in = true;
  }
  *wellFormed = j < p.size();
  i = j + 1;
  return *wellFormed && in != negate;
}

// One path part against one pattern part (no '/' in either).
bool partMatches(const std::string& p, size_t pi, const std::string& s, size_t si) {
  while (pi < p.size()) {
    const char c = p[pi];
    if (c == '*') {
      while (pi < p.size() && p[pi] == '*') ++pi;
      if (pi == p.size()) return true;
      for (size_t k = si; k <= s.size(); ++k) {
        if (partMatches(p, pi, s, k)) return true;
      }
      return false;
    }
    if (si == s.size()) return false;
    if (c == '?') {
      ++pi;
    } else if (c == '[') {
      bool wellFormed = false;
      if (!classMatches(p, pi, s[si], &wellFormed)) return false;
    } else {
      const char want = c == '\\' && pi + 1 < p.size() ? p[++pi] : c;
      if (want != s[si]) return false;
      ++pi;
    }
    ++si;
  }
  return si == s.size();
}

// Pattern parts [pi..] against path parts [si..]: true when the pattern
// matches the path or one of its parent directories.
bool matchesOrParent(const std::vector<std::string>& pattern, size_t pi,
                     const std::vector<std::string>& path, size_t si) {
  if (pi == pattern.size()) return si <= path.size() && si > 0;  // a parent (or the path) matched
  if (pattern[pi] == "**") {
    // Inside a pattern it may stand for no directory at all ("**/x" is x
    // too); at its end it stands for at least one part ("docs/**" is what
    // is in docs, not docs itself).
    const size_t least = pi + 1 == pattern.size() ? si + 1 : si;
    for (size_t k = least; k <= path.size(); ++k) {
      if (matchesOrParent(pattern, pi + 1, path, k)) return true;
    }
    return false;
  }
  if (si == path.size()) return false;
  return partMatches(pattern[pi], 0, path[si], 0) && matchesOrParent(pattern, pi + 1, path, si + 1);
}

}  // namespace

DockerIgnore DockerIgnore::parse(const std::string& text) {
  DockerIgnore out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::string t = trim(line);
    if (t.empty() || t[0] == '#') continue;
    Pattern p;
    if (t[0] == '!') {
      p.exception = true;
      t = trim(t.substr(1));
    }
    p.parts = cleanParts(t);
    if (p.parts.empty()) continue;
    out.patterns_.push_back(std::move(p));
  }
  return out;
}

bool DockerIgnore::excluded(const std::string& path) const {
  const std::vector<std::string> parts = cleanParts(path);
  if (parts.empty()) return false;
  bool out = false;
  for (const Pattern& p : patterns_) {
    if (matchesOrParent(p.parts, 0, parts, 0)) out = !p.exception;
  }
  return out;
}

}  // namespace tender
