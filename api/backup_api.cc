// GET /api/v1/backup (backup_api.h): Store::backupTo into a temporary file,
// then its bytes as the answer.

#include "api/backup_api.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>

namespace tender {
namespace {

// Removes the temporary copy however the route ends.
struct TempFile {
  std::string path;
  ~TempFile() {
    if (!path.empty()) ::unlink(path.c_str());
  }
};

Result<std::string> readWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Unavailable("cannot read the copy " + path + ": " + std::strerror(errno));
  std::ostringstream out;
  out << in.rdbuf();
  if (in.bad()) return Status::Unavailable("cannot read the copy " + path);
  return out.str();
}

}  // namespace

void registerBackupApi(Router& router, Store& store, std::string tempDir) {
  router.add("GET", "/api/v1/backup", [&store, tempDir](const HttpRequest& req) {
    if (req.principal && !req.principal->allNamespaces) {
      return HttpResponse::Error(Status::Forbidden(
          "token \"" + req.principal->name +
          "\" may not take a backup of the store: it needs all namespaces (\"*\")"));
    }
    const auto began = std::chrono::steady_clock::now();
    std::string pattern = tempDir + "/backup-XXXXXX.tmp";
    int fd = ::mkstemps(pattern.data(), 4);
    if (fd < 0) {
      return HttpResponse::Error(Status::Unavailable("cannot make a temporary file in " + tempDir +
                                                     ": " + std::strerror(errno)));
    }
    ::close(fd);
    TempFile temp{pattern};
    Status copied = store.backupTo(temp.path);
    if (!copied.ok()) return HttpResponse::Error(copied);
    auto bytes = readWhole(temp.path);
    if (!bytes.ok()) return HttpResponse::Error(bytes.status());
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - began)
                        .count();
    spdlog::info("backup of the store taken for \"{}\": {} bytes in {} ms",
                 req.principal ? req.principal->name : std::string("anyone"), bytes->size(), ms);
    HttpResponse r = HttpResponse::Text(200, std::move(*bytes), "application/vnd.sqlite3");
    r.headers.emplace_back("Content-Disposition", "attachment; filename=\"tender.db\"");
    return r;
  });
}

}  // namespace tender
