// Bearer tokens for the REST API, read from the file given to
// `tender serve --token-file`.
//
// The file holds one token per line, with the name it is known by and the
// namespaces it grants ("*" for all):
//
//   # TOKEN                           NAME    NAMESPACES
//   3f9a0c2e7b514d8c9a1e6f20b7c4d5e8  alice   alice-dev,alice-ci
//   8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a  ci      *
//
// A line may end with the token's own request budget (api/fair_share.h),
// instead of the server's --request-rate and --request-burst, either or
// both: `rate=R` (requests a second; 0 for no budget) and `burst=B`:
//
//   7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b  ci      *       rate=200 burst=400
//
// Blank lines and lines starting with '#' are skipped. Tokens must be at
// least 16 characters and unique; names unique.
//
// Thread-safety: a TokenTable is immutable once loaded; authenticate() may run
// on any thread.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/router.h"
#include "base/status.h"

namespace tender {

// A token's own request budget from its line; what it leaves out is the
// server's.
struct TokenBudget {
  std::optional<double> rate;  // requests a second; 0: no budget
  std::optional<int> burst;
};

class TokenTable {
 public:
  // Invalid naming the file and the line for a malformed file, or naming
  // its mode when other users may read it; Unavailable when it cannot be
  // read.
  static Result<TokenTable> load(const std::string& path);
  static Result<TokenTable> parse(const std::string& text, const std::string& source = "token file");

  // The principal for the request's "Authorization: Bearer TOKEN":
  // Unauthorized when the header is missing, not a bearer token, or unknown.
  Result<Principal> authenticate(const HttpRequest& req) const;

  // Adds one token (the admin's): Invalid when it is shorter than 16
  // characters or its token or name is taken.
  Status add(const std::string& token, Principal principal);

  size_t size() const { return entries_.size(); }

  // The tokens whose lines set rate= or burst=, by name.
  std::map<std::string, TokenBudget> budgets() const;

 private:
  struct Entry {
    std::string token;
    Principal principal;
    TokenBudget budget;
  };
  std::vector<Entry> entries_;
};

}  // namespace tender
