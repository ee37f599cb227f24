// Build context tars (context_tar.h): a directory as a deterministic ustar
// archive, as the engine's /build endpoint takes it.

#include "base/context_tar.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/docker_ignore.h"

namespace tender {

namespace fs = std::filesystem;

namespace {

constexpr size_t kMaxContextBytes = size_t{2} << 30;

void putOctal(char* field, size_t width, uint64_t value) {
  // width includes the terminating NUL.
  std::snprintf(field, width, "%0*llo", static_cast<int>(width - 1),
                static_cast<unsigned long long>(value));
}

// One 512-byte ustar header. Names longer than 100 bytes use the prefix
// field (up to 155 more); longer paths are refused by the caller.
std::string header(const std::string& name, char type, uint64_t size, unsigned mode,
                   const std::string& linkTarget, uint64_t uid = 0, uint64_t gid = 0) {
  char h[512];
  std::memset(h, 0, sizeof h);
  std::string prefix, base = name;
  if (name.size() > 100) {
    size_t cut = name.rfind('/', 155);
    prefix = name.substr(0, cut);
    base = name.substr(cut + 1);
  }
  std::memcpy(h, base.data(), std::min<size_t>(base.size(), 100));
  putOctal(h + 100, 8, mode & 07777);
  putOctal(h + 108, 8, uid);
  putOctal(h + 116, 8, gid);
  putOctal(h + 124, 12, size);
  putOctal(h + 136, 12, 0);  // mtime 0: the same tree gives the same bytes
  h[156] = type;
  std::memcpy(h + 157, linkTarget.data(), std::min<size_t>(linkTarget.size(), 100));
  std::memcpy(h + 257, "ustar", 6);
  std::memcpy(h + 263, "00", 2);
  std::memcpy(h + 345, prefix.data(), std::min<size_t>(prefix.size(), 155));
  std::memset(h + 148, ' ', 8);
  unsigned sum = 0;
  for (unsigned char c : h) sum += c;
  std::snprintf(h + 148, 8, "%06o", sum);
  return std::string(h, sizeof h);
}

}  // namespace

std::string tarFiles(const std::vector<TarEntry>& files) {
  std::string out;
  for (const TarEntry& f : files) {
    out += header(f.name, '0', f.content.size(), f.mode, "", f.uid, f.gid);
    out += f.content;
    out.append((512 - f.content.size() % 512) % 512, '\0');
  }
  out.append(1024, '\0');
  return out;
}

Result<std::string> tarDirectory(const std::string& dir, const std::string& dockerfile,
                                 const std::vector<TarFile>& extra) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Status::Invalid("build context " + dir + " is not a directory");
  DockerIgnore ignore;
  {
    std::ifstream f(fs::path(dir) / ".dockerignore", std::ios::binary);
    if (f) {
      std::stringstream text;
      text << f.rdbuf();
      ignore = DockerIgnore::parse(text.str());
    }
  }
  const std::string keptFile = fs::path(dockerfile).lexically_normal().generic_string();
  std::vector<fs::path> entries;
  for (fs::recursive_directory_iterator it(dir, fs::directory_options::none, ec), end; !ec && it != end;
       it.increment(ec)) {
    entries.push_back(it->path());
  }
  if (ec) return Status::Invalid("cannot read build context " + dir + ": " + ec.message());
  std::sort(entries.begin(), entries.end());
  std::string out;
  for (const fs::path& p : entries) {
    std::string rel = fs::relative(p, dir, ec).generic_string();
    if (ec) return Status::Invalid("cannot read build context " + dir + ": " + ec.message());
    if (ignore.excluded(rel) && rel != keptFile && rel != ".dockerignore") continue;
    if (rel.size() > 255 || (rel.size() > 100 && rel.rfind('/', 155) == std::string::npos)) {
      return Status::Invalid("build context path too long for a tar: " + rel);
    }
    struct stat st;
    if (::lstat(p.c_str(), &st) != 0) return Status::Invalid("cannot stat " + p.string());
    if (S_ISDIR(st.st_mode)) {
      out += header(rel + "/", '5', 0, st.st_mode, "");
    } else if (S_ISLNK(st.st_mode)) {
      std::string target = fs::read_symlink(p, ec).string();
      if (ec || target.size() > 100) return Status::Invalid("cannot archive the link " + rel);
      out += header(rel, '2', 0, st.st_mode, target);
    } else if (S_ISREG(st.st_mode)) {
      std::ifstream f(p, std::ios::binary);
      std::stringstream data;
      data << f.rdbuf();
      if (!f) return Status::Invalid("cannot read " + p.string());
      std::string bytes = data.str();
      out += header(rel, '0', bytes.size(), st.st_mode, "");
      out += bytes;
      out.append((512 - bytes.size() % 512) % 512, '\0');
    } else {
      return Status::Invalid("build context holds " + rel + ", which is neither a file, a directory nor a link");
    }
    if (out.size() > kMaxContextBytes) return Status::TooLarge("build context " + dir + " is larger than 2 GiB");
  }
  for (const TarFile& f : extra) {
    out += header(f.name, '0', f.content.size(), 0644, "");
    out += f.content;
    out.append((512 - f.content.size() % 512) % 512, '\0');
  }
  out.append(1024, '\0');
  return out;
}

bool looksLikeTar(const std::string& bytes) {
  if (bytes.size() < 1024 || bytes.size() % 512 != 0) return false;
  // An empty archive is two zero blocks; else the first header says ustar
  // (POSIX and GNU tars both put "ustar" at offset 257).
  if (bytes.find_first_not_of('\0') == std::string::npos) return true;
  return bytes.compare(257, 5, "ustar") == 0;
}

}  // namespace tender
