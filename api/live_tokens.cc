// Re-reading the token file in a running server (live_tokens.h).
#include "api/live_tokens.h"

#include <sys/stat.h>

#include <utility>

namespace tender {

bool LiveTokens::Stamp::operator==(const Stamp& o) const {
  return inode == o.inode && size == o.size && mtime.tv_sec == o.mtime.tv_sec &&
         mtime.tv_nsec == o.mtime.tv_nsec;
}

LiveTokens::LiveTokens(std::string adminToken, Principal admin, std::string file)
    : adminToken_(std::move(adminToken)), admin_(std::move(admin)), file_(std::move(file)) {
  auto only = std::make_shared<TokenTable>();
  (void)only->add(adminToken_, admin_);
  table_ = std::move(only);
}

LiveTokens::Stamp LiveTokens::stampNow() const {
  Stamp s;
  struct stat st {};
  if (::stat(file_.c_str(), &st) == 0) {
    s.inode = st.st_ino;
    s.size = st.st_size;
    s.mtime = st.st_mtim;
  }
  return s;
}

Status LiveTokens::reload() {
  if (file_.empty()) return Status::Ok();
  const Stamp before = stampNow();
  auto loaded = TokenTable::load(file_);
  {
    // Seen, even when it does not load: the next change is read again.
    std::lock_guard<std::mutex> l(mu_);
    stamp_ = before;
  }
  if (!loaded.ok()) return loaded.status();
  Status added = loaded->add(adminToken_, admin_);
  if (!added.ok()) {
    return Status::Invalid(added.message() + " (the name \"" + admin_.name +
                           "\" belongs to the state directory's admin.token)");
  }
  auto table = std::make_shared<const TokenTable>(std::move(*loaded));
  std::lock_guard<std::mutex> l(mu_);
  table_ = std::move(table);
  return Status::Ok();
}

Status LiveTokens::reloadIfChanged(bool* reread) {
  if (reread) *reread = false;
  if (file_.empty()) return Status::Ok();
  {
    std::lock_guard<std::mutex> l(mu_);
    if (stampNow() == stamp_) return Status::Ok();
  }
  if (reread) *reread = true;
  return reload();
}

Result<Principal> LiveTokens::authenticate(const HttpRequest& req) const {
  std::shared_ptr<const TokenTable> table;
  {
    std::lock_guard<std::mutex> l(mu_);
    table = table_;
  }
  return table->authenticate(req);
}

std::map<std::string, TokenBudget> LiveTokens::budgets() const {
  std::lock_guard<std::mutex> l(mu_);
  return table_->budgets();
}

size_t LiveTokens::size() const {
  std::lock_guard<std::mutex> l(mu_);
  return table_->size();
}

}  // namespace tender
