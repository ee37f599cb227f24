// Compose's variable syntax: ${VAR} interpolation and .env files.
#include <cctype>
#include <map>
#include <string>
#include <vector>

#include "manifests/compose.h"

namespace tender {
namespace {

bool nameStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool nameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

Status invalidAt(const std::string& text, size_t at) {
  std::string rest = text.substr(at, 20);
  return Status::Invalid("invalid interpolation at \"" + rest +
                         "\" (write $$ for a literal $)");
}

// The text of a ${...} starting at `open` (the '{'), braces nested; npos when unclosed.
size_t closingBrace(const std::string& text, size_t open) {
  int depth = 0;
  for (size_t i = open; i < text.size(); ++i) {
    if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '$') {
      ++i;
    } else if (text[i] == '{') {
      ++depth;
    } else if (text[i] == '}' && --depth == 0) {
      return i;
    }
  }
  return std::string::npos;
}

}  // namespace

Result<std::string> interpolateCompose(const std::string& text,
                                       const std::map<std::string, std::string>& variables,
                                       std::vector<std::string>* unset) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '$') {
      out += text[i];
      continue;
    }
    if (i + 1 >= text.size()) return invalidAt(text, i);
    char next = text[i + 1];
    if (next == '$') {
      out += '$';
      ++i;
      continue;
    }
    auto lookup = [&](const std::string& name) -> const std::string* {
      auto it = variables.find(name);
      return it == variables.end() ? nullptr : &it->second;
    };
    if (nameStart(next)) {
      size_t end = i + 1;
      while (end < text.size() && nameChar(text[end])) ++end;
      std::string name = text.substr(i + 1, end - i - 1);
      if (const std::string* v = lookup(name)) {
        out += *v;
      } else if (unset) {
        unset->push_back(name);
      }
      i = end - 1;
      continue;
    }
    if (next != '{') return invalidAt(text, i);
    size_t close = closingBrace(text, i + 1);
    if (close == std::string::npos) return invalidAt(text, i);
    std::string inner = text.substr(i + 2, close - i - 2);
    size_t n = 0;
    while (n < inner.size() && (n == 0 ? nameStart(inner[n]) : nameChar(inner[n]))) ++n;
    if (n == 0) return invalidAt(text, i);
    std::string name = inner.substr(0, n);
    std::string op, arg;
    if (n < inner.size()) {
      size_t opLen = inner[n] == ':' ? 2 : 1;
      op = inner.substr(n, opLen);
      if (op != ":-" && op != "-" && op != ":?" && op != "?" && op != ":+" && op != "+") {
        return invalidAt(text, i);
      }
      arg = inner.substr(n + opLen);
    }
    const std::string* value = lookup(name);
    const bool colon = !op.empty() && op[0] == ':';
    const bool missing = value == nullptr || (colon && value->empty());
    char kind = op.empty() ? 0 : op.back();
    if (kind == '-') {
      if (missing) {
        auto v = interpolateCompose(arg, variables, unset);
        if (!v.ok()) return v;
        out += *v;
      } else {
        out += *value;
      }
    } else if (kind == '?') {
      if (missing) {
        auto message = interpolateCompose(arg, variables, unset);
        if (!message.ok()) return message;
        return Status::Invalid("required variable " + name + " is missing a value" +
                               (message->empty() ? std::string() : ": " + *message));
      }
      out += *value;
    } else if (kind == '+') {
      if (!missing) {
        auto v = interpolateCompose(arg, variables, unset);
        if (!v.ok()) return v;
        out += *v;
      }
    } else if (value) {
      out += *value;
    } else if (unset) {
      unset->push_back(name);
    }
    i = close;
  }
  return out;
}

Result<std::map<std::string, std::string>> parseDotEnv(const std::string& text) {
  std::map<std::string, std::string> out;
  size_t pos = 0;
  int lineNo = 0;
  while (pos <= text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) eol = text.size();
    std::string line = text.substr(pos, eol - pos);
    size_t lineEnd = eol;
    ++lineNo;
    pos = eol + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    size_t start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] == '#') {
      if (lineEnd >= text.size()) break;
      continue;
    }
    line = line.substr(start);
    if (line.rfind("export ", 0) == 0) line = line.substr(7);
    size_t eq = line.find('=');
    std::string key = line.substr(0, eq);
    while (!key.empty() && (key.back() == ' ' || key.back() == '\t')) key.pop_back();
    auto bad = [&](const std::string& why) {
      return Status::Invalid("line " + std::to_string(lineNo) + ": " + why);
    };
    bool validKey = !key.empty() && nameStart(key[0]);
    for (char c : key) validKey = validKey && (nameChar(c) || c == '.' || c == '-');
    if (!validKey) return bad("\"" + key + "\" is not a variable name");
    if (eq == std::string::npos) {
      // "KEY" alone: set, and empty.
      out[key] = "";
      if (lineEnd >= text.size()) break;
      continue;
    }
    std::string raw = line.substr(eq + 1);
    size_t vs = raw.find_first_not_of(" \t");
    raw = vs == std::string::npos ? "" : raw.substr(vs);
    std::string value;
    if (!raw.empty() && (raw[0] == '\'' || raw[0] == '"')) {
      const char quote = raw[0];
      const int openedOn = lineNo;
      // A quoted value may span lines.
      std::string rest = raw.substr(1);
      size_t close = std::string::npos;
      for (;;) {
        for (size_t i = 0; i < rest.size(); ++i) {
          if (quote == '"' && rest[i] == '\\' && i + 1 < rest.size()) {
            ++i;
            continue;
          }
          if (rest[i] == quote) {
            close = i;
            break;
          }
        }
        if (close != std::string::npos || pos > text.size()) break;
        size_t next = text.find('\n', pos);
        if (next == std::string::npos) next = text.size();
        rest += "\n" + text.substr(pos, next - pos);
        lineEnd = next;
        pos = next + 1;
        ++lineNo;
      }
      if (close == std::string::npos) {
        return Status::Invalid("line " + std::to_string(openedOn) + ": the quote " +
                               std::string(1, quote) + " is not closed");
      }
      std::string body = rest.substr(0, close);
      if (quote == '\'') {
        value = body;
      } else {
        for (size_t i = 0; i < body.size(); ++i) {
          if (body[i] == '\\' && i + 1 < body.size()) {
            char e = body[++i];
            value += e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e;
          } else {
            value += body[i];
          }
        }
      }
    } else {
      size_t comment = raw.find(" #");
      if (comment == std::string::npos) comment = raw.find("\t#");
      value = raw.substr(0, comment);
      while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.pop_back();
    }
    out[key] = value;
    if (lineEnd >= text.size()) break;
  }
  return out;
}

}  // namespace tender
