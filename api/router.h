// The REST API's request and response, and the router that maps a method
// and a path pattern onto a handler.
//
// Handlers run on the API's worker threads, never on the event-loop thread:
// they may read the store and block. They return a whole response; streaming
// responses (watch) are added by the server separately.
//
// Thread-safety: add() before the server starts; route() from any thread.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "controller/status.h"

namespace tender {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as received: path and query
  std::string path;    // percent-decoded path, without the query
  std::map<std::string, std::string> query;    // percent-decoded
  std::map<std::string, std::string> headers;  // names lowercased
  std::map<std::string, std::string> params;   // from the pattern: {ns}, {name}
  std::string body;

  std::string header(const std::string& lowerName) const {
    auto it = headers.find(lowerName);
    return it == headers.end() ? std::string() : it->second;
  }
  std::string queryParam(const std::string& name, const std::string& def = "") const {
    auto it = query.find(name);
    return it == query.end() ? def : it->second;
  }
};

struct HttpResponse {
  int status = 200;
  std::string contentType = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  static HttpResponse Json(int status, const nlohmann::json& body);
  static HttpResponse Text(int status, std::string body,
                           std::string contentType = "text/plain; charset=utf-8");
  // {"error":{"code":N,"reason":"...","message":"...","details":[{"field","message"}]}}
  static HttpResponse Error(const Status& status);
};

using Handler = std::function<HttpResponse(const HttpRequest&)>;

class Router {
 public:
  // `pattern` is a path whose segments are literals or {param}, for example
  // "/api/v1/namespaces/{ns}/services/{name}".
  void add(const std::string& method, const std::string& pattern, Handler handler);

  // Finds the handler and fills req.params. A path that matches no pattern is
  // 404 NotFound; a path that matches with another method is 405 (error body
  // reason "MethodNotAllowed", with an Allow header).
  HttpResponse route(HttpRequest& req) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    Handler handler;
  };
  std::vector<Route> routes_;
};

}  // namespace tender
