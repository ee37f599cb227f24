// The token file's parser and the bearer-token check of each request (auth.h).

#include "api/auth.h"

#include "base/private_file.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "manifests/manifest.h"

namespace tender {
namespace {

// Compares without stopping at the first difference, so the time taken does
// not tell an attacker how much of a guess was right.
bool sameToken(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

std::vector<std::string> words(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  std::string w;
  while (in >> w) out.push_back(w);
  return out;
}

// One `rate=R` or `burst=B` of a token's line.
Status readBudget(const std::string& word, TokenBudget* budget) {
  const size_t eq = word.find('=');
  const std::string key = word.substr(0, eq == std::string::npos ? 0 : eq);
  const std::string value = eq == std::string::npos ? "" : word.substr(eq + 1);
  const std::string expected = "expected rate=R (requests a second, 0 for none) or burst=B after the namespaces, found \"" + word + "\"";
  if (key == "rate" && !budget->rate) {
    char* end = nullptr;
    const double rate = std::strtod(value.c_str(), &end);
    if (value.empty() || *end != '\0' || !std::isfinite(rate) || rate < 0)
      return Status::Invalid("rate=" + value + " is not a rate: give requests a second (20, 0.5), or 0 for no budget");
    budget->rate = rate;
    return Status::Ok();
  }
  if (key == "burst" && !budget->burst) {
    char* end = nullptr;
    const long burst = std::strtol(value.c_str(), &end, 10);
    if (value.empty() || *end != '\0' || burst < 1 || burst > 1'000'000)
      return Status::Invalid("burst=" + value + " is not a burst: give the requests the token may send at once, 1 or more");
    budget->burst = static_cast<int>(burst);
    return Status::Ok();
  }
  if (key == "rate" || key == "burst") return Status::Invalid(key + "= is given twice");
  return Status::Invalid(expected);
}

}  // namespace

std::map<std::string, TokenBudget> TokenTable::budgets() const {
  std::map<std::string, TokenBudget> out;
  for (const Entry& e : entries_) {
    if (e.budget.rate || e.budget.burst) out[e.principal.name] = e.budget;
  }
  return out;
}

Result<TokenTable> TokenTable::load(const std::string& path) {
  auto text = readPrivateFile(path, "token file");
  if (!text.ok()) {
    if (text.status().IsInvalid()) return text.status();
    return Status::Unavailable("cannot read the " + text.status().message());
  }
  return parse(*text, path);
}

Status TokenTable::add(const std::string& token, Principal principal) {
  if (token.size() < 16) return Status::Invalid("the token of \"" + principal.name + "\" is shorter than 16 characters");
  for (const Entry& e : entries_) {
    if (e.token == token) return Status::Invalid("the token of \"" + principal.name + "\" is used by \"" + e.principal.name + "\" too");
    if (e.principal.name == principal.name) return Status::Invalid("the name \"" + principal.name + "\" is used twice");
  }
  Entry e;
  e.token = token;
  e.principal = std::move(principal);
  entries_.push_back(std::move(e));
  return Status::Ok();
}

Result<TokenTable> TokenTable::parse(const std::string& text, const std::string& source) {
  TokenTable table;
  std::set<std::string> tokens, names;
  std::istringstream in(text);
  std::string line;
  int lineNo = 0;
  auto bad = [&](const std::string& why) {
    return Status::Invalid(source + ": line " + std::to_string(lineNo) + ": " + why,
                           {{"line " + std::to_string(lineNo), why}});
  };
  while (std::getline(in, line)) {
    ++lineNo;
    std::vector<std::string> w = words(line);
    if (w.empty() || w[0][0] == '#') continue;
    if (w.size() < 3)
      return bad("expected TOKEN NAME NAMESPACES [rate=R] [burst=B], found " + std::to_string(w.size()) + " fields");
    Entry e;
    e.token = w[0];
    e.principal.name = w[1];
    for (size_t i = 3; i < w.size(); ++i) {
      Status s = readBudget(w[i], &e.budget);
      if (!s.ok()) return bad(s.message());
    }
    if (e.token.size() < 16) return bad("token of \"" + e.principal.name + "\" is shorter than 16 characters");
    if (!tokens.insert(e.token).second) return bad("token of \"" + e.principal.name + "\" is used twice");
    if (!names.insert(e.principal.name).second) return bad("name \"" + e.principal.name + "\" is used twice");
    if (w[2] == "*") {
      e.principal.allNamespaces = true;
    } else {
      std::string list = w[2];
      size_t start = 0;
      while (start <= list.size()) {
        size_t comma = list.find(',', start);
        std::string ns = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        if (!isNamespaceName(ns)) return bad("\"" + ns + "\"" + resourceNameRule("Namespace") + ", nor \"*\"");
        e.principal.namespaces.insert(ns);
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    }
    table.entries_.push_back(std::move(e));
  }
  if (table.entries_.empty()) {
    return Status::Invalid(source + " holds no tokens: each line is TOKEN NAME NAMESPACES [rate=R] [burst=B]");
  }
  return table;
}

Result<Principal> TokenTable::authenticate(const HttpRequest& req) const {
  const std::string header = req.header("authorization");
  if (header.empty()) {
    return Status::Unauthorized(
        "this server needs a bearer token: send \"Authorization: Bearer TOKEN\" "
        "(the tender command: --token, TENDER_TOKEN, TENDER_TOKEN_FILE, or the server's admin.token; "
        "`tender token` prints it for whoever may read it)");
  }
  const std::string prefix = "bearer ";
  if (header.size() <= prefix.size() ||
      !std::equal(prefix.begin(), prefix.end(), header.begin(),
                  [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); })) {
    return Status::Unauthorized("the Authorization header is not \"Bearer TOKEN\"");
  }
  std::string token = header.substr(prefix.size());
  while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.pop_back();
  const Principal* found = nullptr;
  for (const Entry& e : entries_) {
    if (sameToken(e.token, token)) found = &e.principal;
  }
  if (found == nullptr) return Status::Unauthorized("the bearer token is not valid");
  return *found;
}

}  // namespace tender
