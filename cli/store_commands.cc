// `tender backup` and `tender export` (store_commands.h).

#include "cli/store_commands.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <tuple>

#include "cli/output.h"

namespace tender {
namespace {

// Writes `data` to `file` through FILE.part, synced, then renamed.
Status writeFileWhole(const std::string& file, const std::string& data) {
  const std::string part = file + ".part";
  int fd = ::open(part.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::Unavailable("cannot write " + part + ": " + std::strerror(errno));
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int e = errno;
      ::close(fd);
      ::unlink(part.c_str());
      return Status::Unavailable("cannot write " + part + ": " + std::strerror(e));
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(part.c_str());
    return Status::Unavailable("cannot write " + part + ": " + std::strerror(errno));
  }
  if (std::rename(part.c_str(), file.c_str()) != 0) {
    const int e = errno;
    ::unlink(part.c_str());
    return Status::Unavailable("cannot rename " + part + " to " + file + ": " + std::strerror(e));
  }
  return Status::Ok();
}

int kindRank(const std::string& kind) {
  if (kind == "Namespace") return 0;
  if (kind == "Network") return 1;
  if (kind == "Volume") return 2;
  return 3;
}

std::string textAt(const nlohmann::json& object, const char* field) {
  auto it = object.find(field);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

int runBackup(const std::string& file, ApiClient& client, std::ostream& out, std::ostream& err) {
  auto answer = client.call("GET", "/api/v1/backup");
  if (!answer.ok()) {
    err << "error: " << answer.status().message() << "\n";
    return 1;
  }
  // SQLite's files start with this header; anything else is not a copy.
  static const std::string kMagic("SQLite format 3\0", 16);
  if (answer->body.compare(0, kMagic.size(), kMagic) != 0) {
    err << "error: the server's answer is not an SQLite file (" << answer->body.size()
        << " bytes of " << answer->contentType << ")\n";
    return 1;
  }
  Status written = writeFileWhole(file, answer->body);
  if (!written.ok()) {
    err << "error: " << written.message() << "\n";
    return 1;
  }
  out << "backup of the store written to " << file << " (" << answer->body.size()
      << " bytes); put it back with: tender restore " << file << " --state-dir DIR\n";
  return 0;
}

std::string manifestsOf(const std::vector<nlohmann::json>& objects) {
  std::vector<nlohmann::json> docs;
  for (const nlohmann::json& o : objects) {
    if (!o.is_object()) continue;
    const nlohmann::json meta = o.value("metadata", nlohmann::json::object());
    if (meta.contains("deletionTimestamp")) continue;
    nlohmann::json m = {{"name", textAt(meta, "name")}};
    const std::string kind = textAt(o, "kind");
    if (kind != "Namespace" && !textAt(meta, "namespace").empty()) {
      m["namespace"] = textAt(meta, "namespace");
    }
    if (meta.contains("labels") && meta["labels"].is_object() && !meta["labels"].empty()) {
      m["labels"] = meta["labels"];
    }
    nlohmann::json doc = {{"apiVersion", textAt(o, "apiVersion")}, {"kind", kind}, {"metadata", m}};
    if (o.contains("spec") && o["spec"].is_object() && !o["spec"].empty()) doc["spec"] = o["spec"];
    docs.push_back(std::move(doc));
  }
  auto key = [](const nlohmann::json& d) {
    return std::make_tuple(kindRank(textAt(d, "kind")), textAt(d["metadata"], "namespace"),
                           textAt(d["metadata"], "name"));
  };
  std::stable_sort(docs.begin(), docs.end(),
                   [&](const nlohmann::json& a, const nlohmann::json& b) { return key(a) < key(b); });
  std::string text;
  for (const nlohmann::json& d : docs) text += "---\n" + toYaml(d);
  return text;
}

int runExport(const std::string& file, ApiClient& client, std::ostream& out, std::ostream& err) {
  std::vector<nlohmann::json> objects;
  for (const char* list : {"namespaces", "networks", "volumes", "services"}) {
    auto answer = client.call("GET", std::string("/api/v1/") + list);
    if (!answer.ok()) {
      err << "error: " << list << ": " << answer.status().message() << "\n";
      return 1;
    }
    nlohmann::json parsed = nlohmann::json::parse(answer->body, nullptr, false);
    if (parsed.is_discarded()) {
      err << "error: " << list << ": the server's answer is not JSON\n";
      return 1;
    }
    for (nlohmann::json& item : itemsOf(parsed)) objects.push_back(std::move(item));
  }
  const std::string text = manifestsOf(objects);
  if (file.empty() || file == "-") {
    out << text;
    return 0;
  }
  Status written = writeFileWhole(file, text);
  if (!written.ok()) {
    err << "error: " << written.message() << "\n";
    return 1;
  }
  size_t documents = 0;
  for (size_t at = text.find("---\n"); at != std::string::npos; at = text.find("\n---\n", at + 1)) {
    ++documents;
  }
  out << "exported " << documents << " objects as manifests to " << file
      << " (tender apply -f " << file << " takes them back)\n";
  return 0;
}

}  // namespace tender
