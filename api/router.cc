// The router (router.h): method and path patterns onto handlers, with the
// authenticator in front of every route but the health checks.

#include "api/router.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>
#include <set>

#include "api/http_status.h"

namespace tender {
namespace {

// Splits "/a/b/c" into {"a","b","c"}. Empty segments are dropped, so a
// trailing slash or a doubled one does not change which route matches.
std::vector<std::string> splitPath(const std::string& path) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    if (end > start) out.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

bool isParam(const std::string& segment) {
  return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}

// How well a route's segments fit the path: one flag per segment, true where
// a literal matched. Compared lexicographically, so "/ns/{ns}/services"
// wins over "/ns/{ns}/{kind}" for "/ns/a/services" whatever the order of add().
using Fit = std::vector<bool>;

bool matches(const std::vector<std::string>& pattern, const std::vector<std::string>& path,
             Fit* fit) {
  if (pattern.size() != path.size()) return false;
  fit->assign(pattern.size(), false);
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (isParam(pattern[i])) continue;
    if (pattern[i] != path[i]) return false;
    (*fit)[i] = true;
  }
  return true;
}

}  // namespace

HttpResponse HttpResponse::Json(int status, const nlohmann::json& body) {
  HttpResponse r;
  r.status = status;
  r.contentType = "application/json";
  // Replace invalid UTF-8 rather than throw: a handler's bad bytes must not
  // turn into a crash.
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

HttpResponse HttpResponse::Text(int status, std::string body, std::string contentType) {
  HttpResponse r;
  r.status = status;
  r.contentType = std::move(contentType);
  r.body = std::move(body);
  return r;
}

HttpResponse HttpResponse::Error(const Status& status) {
  nlohmann::json details = nlohmann::json::array();
  for (const auto& d : status.details()) {
    details.push_back({{"field", d.field}, {"message", d.message}});
  }
  nlohmann::json error = {{"code", httpStatusOf(status)},
                          {"reason", status.reason()},
                          {"message", status.message()},
                          {"details", std::move(details)}};
  return Json(httpStatusOf(status), nlohmann::json{{"error", std::move(error)}});
}

HttpResponse HttpResponse::Shared(int status, std::shared_ptr<const std::string> body, std::string contentType) {
  HttpResponse r;
  r.status = status;
  r.contentType = std::move(contentType);
  r.sharedBody = std::move(body);
  return r;
}

HttpResponse HttpResponse::Stream(int status, std::string contentType, StreamStarter start) {
  HttpResponse r;
  r.status = status;
  r.contentType = std::move(contentType);
  r.stream = std::move(start);
  return r;
}

HttpResponse HttpResponse::Duplex(DuplexStarter start,
                                  std::vector<std::pair<std::string, std::string>> headers) {
  HttpResponse r;
  r.status = 101;
  r.duplex = std::move(start);
  r.headers = std::move(headers);
  return r;
}

void Router::add(const std::string& method, const std::string& pattern, Handler handler, FastHandler fast) {
  routes_.push_back(Route{method, splitPath(pattern), std::move(handler), false, std::move(fast)});
}

void Router::addPublic(const std::string& method, const std::string& pattern, Handler handler) {
  routes_.push_back(Route{method, splitPath(pattern), std::move(handler), true, nullptr});
}

void Router::setAuthenticator(Authenticator authenticator) { authenticator_ = std::move(authenticator); }

void Router::setAdmission(Admission* admission) { admission_ = admission; }

HttpResponse Router::admitAnswer(const HttpRequest& req, HttpResponse answer) const {
  if ((!answer.stream && !answer.duplex) || admission_ == nullptr || !req.principal) return answer;
  std::shared_ptr<void> lease;
  if (auto refusal = admission_->admitStream(*req.principal, &lease)) return std::move(*refusal);
  answer.lease = std::move(lease);
  return answer;
}

const Router::Route* Router::match(HttpRequest& req, std::optional<HttpResponse>* refusal) const {
  const std::vector<std::string> path = splitPath(req.path);
  // HEAD is answered by the GET handler unless a HEAD route exists; the
  // server leaves the body out.
  const bool isHead = req.method == "HEAD";

  const Route* best = nullptr;
  const Route* bestGet = nullptr;
  Fit bestFit, bestGetFit, fit;
  std::set<std::string> allowed;
  for (const Route& r : routes_) {
    if (!matches(r.segments, path, &fit)) continue;
    allowed.insert(r.method);
    if (r.method == req.method && (best == nullptr || fit > bestFit)) {
      best = &r;
      bestFit = fit;
    }
    if (isHead && r.method == "GET" && (bestGet == nullptr || fit > bestGetFit)) {
      bestGet = &r;
      bestGetFit = fit;
    }
  }
  if (best == nullptr) best = bestGet;

  // Without credentials a client learns nothing, not even which routes exist.
  req.principal.reset();
  if (authenticator_ && !(best != nullptr && best->isPublic)) {
    Result<Principal> who = authenticator_(req);
    if (!who.ok()) {
      HttpResponse r = HttpResponse::Error(who.status());
      if (who.status().code() == Status::Code::kUnauthorized) {
        r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"tender\"");
      }
      *refusal = std::move(r);
      return nullptr;
    }
    req.principal = std::move(*who);
    // The token's budget, before anything else is decided for it.
    if (admission_ != nullptr && !req.admitted) {
      req.admitted = true;
      if (auto overBudget = admission_->admitRequest(*req.principal)) {
        *refusal = std::move(*overBudget);
        return nullptr;
      }
    }
  }

  if (best == nullptr) {
    if (allowed.empty()) {
      *refusal = HttpResponse::Error(Status::NotFound("no route for " + req.method + " " + req.path));
      return nullptr;
    }
    if (allowed.count("GET")) allowed.insert("HEAD");
    std::string allow;
    for (const auto& m : allowed) allow += (allow.empty() ? "" : ", ") + m;
    nlohmann::json body = {{"error",
                            {{"code", 405},
                             {"reason", "MethodNotAllowed"},
                             {"message", "method " + req.method + " is not allowed on " + req.path +
                                             " (allowed: " + allow + ")"},
                             {"details", nlohmann::json::array()}}}};
    HttpResponse r = HttpResponse::Json(405, body);
    r.headers.emplace_back("Allow", allow);
    *refusal = std::move(r);
    return nullptr;
  }

  req.params.clear();
  for (size_t i = 0; i < best->segments.size(); ++i) {
    const std::string& seg = best->segments[i];
    if (isParam(seg)) req.params[seg.substr(1, seg.size() - 2)] = path[i];
  }
  if (auto ns = req.params.find("ns"); ns != req.params.end() && !req.mayUse(ns->second)) {
    *refusal = HttpResponse::Error(
        Status::Forbidden("token \"" + req.principal->name + "\" may not use namespace \"" + ns->second + "\"")
            .WithDetails({{"namespace", "\"" + ns->second + "\" is not granted to \"" + req.principal->name + "\""}}));
    return nullptr;
  }
  return best;
}

std::optional<HttpResponse> Router::routeFast(HttpRequest& req) const {
  std::optional<HttpResponse> refusal;
  const Route* r = match(req, &refusal);
  if (r == nullptr) return refusal;  // refusals are cheap: answer them here
  if (!r->fast) return std::nullopt;
  try {
    std::optional<HttpResponse> answer = r->fast(req);
    if (!answer) return std::nullopt;
    return admitAnswer(req, std::move(*answer));
  } catch (const std::exception& e) {
    spdlog::error("fast handler for {} {} threw: {}", req.method, req.path, e.what());
    return std::nullopt;
  }
}

namespace {

// One line in the server's log per write, answered or refused: who, what,
// and the answer's code.
void audit(const HttpRequest& req, const HttpResponse& r) {
  if (req.method == "GET" || req.method == "HEAD" || req.method == "OPTIONS") return;
  spdlog::info("audit: {} {} {} -> {}", req.principal ? req.principal->name : "-", req.method,
               req.target, r.status);
}

}  // namespace

HttpResponse Router::route(HttpRequest& req) const {
  HttpResponse r = dispatch(req);
  audit(req, r);
  return r;
}

HttpResponse Router::dispatch(HttpRequest& req) const {
  std::optional<HttpResponse> refusal;
  const Route* best = match(req, &refusal);
  if (best == nullptr) return std::move(*refusal);
  // A handler that throws is a bug; answer 500 rather than let the exception
  // reach the server's threads.
  try {
    return admitAnswer(req, best->handler(req));
  } catch (const std::exception& e) {
    spdlog::error("handler for {} {} threw: {}", req.method, req.path, e.what());
    return HttpResponse::Error(Status::Internal(std::string("internal error: ") + e.what()));
  } catch (...) {
    spdlog::error("handler for {} {} threw a non-standard exception", req.method, req.path);
    return HttpResponse::Error(Status::Internal("internal error"));
  }
}

}  // namespace tender
