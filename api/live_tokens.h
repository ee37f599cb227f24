// The tokens a running server takes: the state directory's admin token and
// the --token-file's, re-read without a restart (on SIGHUP, and when the
// file changes: serve.cc asks reloadIfChanged() every few seconds).
//
// A reload that fails (a malformed line, a mode others may read, a name
// taken by the admin's) keeps the tokens in force and says why: a typo in
// the file never locks everyone out, nor lets anyone in.
//
// Thread-safety: authenticate() runs on any thread while another reloads;
// each request sees one whole table, old or new.
#pragma once

#include <sys/types.h>

#include <ctime>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "api/auth.h"
#include "base/status.h"

namespace tender {

class LiveTokens {
 public:
  // `file` may be "" (the admin's token only).
  LiveTokens(std::string adminToken, Principal admin, std::string file);

  // Reads the file now. The table in force changes only on success.
  Status reload();
  // reload() when the file's inode, size or modification time moved since
  // the last read; Ok (and no read) when they did not. `reread` (if given)
  // says whether it read.
  Status reloadIfChanged(bool* reread = nullptr);

  Result<Principal> authenticate(const HttpRequest& req) const;
  // The token lines' own budgets (rate=, burst=) of the table in force.
  std::map<std::string, TokenBudget> budgets() const;
  size_t size() const;
  const std::string& file() const { return file_; }

 private:
  struct Stamp {
    ino_t inode = 0;
    off_t size = -1;
    struct timespec mtime {};
    bool operator==(const Stamp& o) const;
  };
  Stamp stampNow() const;

  const std::string adminToken_;
  const Principal admin_;
  const std::string file_;
  mutable std::mutex mu_;
  std::shared_ptr<const TokenTable> table_;  // guarded by mu_
  Stamp stamp_;                              // guarded by mu_: of the last read
};

}  // namespace tender
