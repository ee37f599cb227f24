// Decoding a request's target and headers into an HttpRequest: the part of
// reading a request that needs no Beast (http_server_internal.h).

#include <algorithm>
#include <cctype>

#include "api/http_server_internal.h"

namespace tender {
namespace http_internal {
namespace {

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool percentDecode(std::string_view in, bool plusIsSpace, std::string* out) {
  out->clear();
  out->reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      int hi = hexValue(in[i + 1]), lo = hexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out->push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plusIsSpace) {
      out->push_back(' ');
    } else {
      out->push_back(c);
    }
  }
  return true;
}

Status parseTarget(HttpRequest* req) {
  const std::string_view target = req->target;
  if (target.empty() || target.front() != '/') {
    return Status::Invalid("request target must be a path starting with '/': " + req->target);
  }
  const size_t q = target.find('?');
  const std::string_view path = target.substr(0, q);
  if (!percentDecode(path, false, &req->path)) {
    return Status::Invalid("bad percent-encoding in path: " + std::string(path));
  }
  if (q == std::string_view::npos) return Status::Ok();
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    std::string key, value;
    if (!percentDecode(pair.substr(0, eq), true, &key) ||
        (eq != std::string_view::npos && !percentDecode(pair.substr(eq + 1), true, &value))) {
      return Status::Invalid("bad percent-encoding in query: " + std::string(pair));
    }
    req->queryList.emplace_back(key, value);
    req->query.emplace(std::move(key), std::move(value));
  }
  return Status::Ok();
}

void addHeader(HttpRequest* req, std::string_view name, std::string_view value) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  auto [it, inserted] = req->headers.emplace(std::move(lower), std::string(value));
  if (!inserted) it->second += ", " + std::string(value);
}

}  // namespace http_internal
}  // namespace tender
