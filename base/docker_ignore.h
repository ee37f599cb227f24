// A build context's .dockerignore, read as Docker reads it: one pattern a
// line ('#' lines and blank ones skipped, spaces around trimmed), paths
// relative to the context with '/' between parts (a leading '/' and "./"
// are dropped, "a//b" and "a/./b" cleaned); '*' any run of characters but
// '/', '?' one such character, '[...]' a class ('^' or '!' negates), '\'
// escapes, "**" any number of whole directories; a pattern that matches a
// directory excludes everything below it; "!pattern" takes a path back; the
// last pattern that matches a path decides.
//
// Thread-safety: immutable after parse().
#pragma once

#include <string>
#include <vector>

namespace tender {

class DockerIgnore {
 public:
  static DockerIgnore parse(const std::string& text);

  // Whether `path` (relative to the context, '/'-separated) is left out.
  bool excluded(const std::string& path) const;
  bool empty() const { return patterns_.empty(); }

 private:
  struct Pattern {
    std::vector<std::string> parts;  // split on '/'; "**" stands alone
    bool exception = false;          // "!pattern"
  };
  std::vector<Pattern> patterns_;
};

}  // namespace tender
