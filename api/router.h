// The REST API's request and response, and the router that maps a method
// and a path pattern onto a handler.
//
// Handlers run on the API's worker threads, never on the event-loop thread:
// they may read the store and block. They return a whole response, or a
// streaming one (watch) whose body a source keeps writing through a
// StreamSink.
//
// Thread-safety: add(), setAuthenticator() and setAdmission() before the
// server starts; route() from any thread.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace tender {

// Who sent a request, from its bearer token (see api/auth.h), and which
// namespaces the token grants.
struct Principal {
  std::string name;
  bool allNamespaces = false;
  std::set<std::string> namespaces;

  bool mayUse(const std::string& ns) const { return allNamespaces || namespaces.count(ns) > 0; }
};

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as received: path and query
  std::string path;    // percent-decoded path, without the query
  std::map<std::string, std::string> query;    // percent-decoded; a repeated key's first value
  std::vector<std::pair<std::string, std::string>> queryList;  // every pair, in order
  std::map<std::string, std::string> headers;  // names lowercased
  std::map<std::string, std::string> params;   // from the pattern: {ns}, {name}
  std::string body;
  // Set by the router when the server checks tokens; nullopt when it does
  // not (a loopback-only server), which allows everything.
  std::optional<Principal> principal;
  // Set by the router once the request has been counted against its
  // token's budget, so the event loop's routeFast() and the worker's
  // route() count it once between them.
  bool admitted = false;

  // Whether the sender may read and change namespace `ns`.
  bool mayUse(const std::string& ns) const { return !principal || principal->mayUse(ns); }

  std::string header(const std::string& lowerName) const {
    auto it = headers.find(lowerName);
    return it == headers.end() ? std::string() : it->second;
  }
  std::string queryParam(const std::string& name, const std::string& def = "") const {
    auto it = query.find(name);
    return it == query.end() ? def : it->second;
  }
  // Every value of a repeated key (?command=sh&command=-c), in order.
  std::vector<std::string> queryValues(const std::string& name) const {
    std::vector<std::string> values;
    for (const auto& [key, value] : queryList)
      if (key == name) values.push_back(value);
    return values;
  }
};

// The writing end of a streaming response body. Each write() goes out as one
// chunk of a chunked body, in order.
class StreamSink {
 public:
  virtual ~StreamSink() = default;
  // Queues `data` to be sent. False once the stream has closed: the client
  // went away, the server stopped, a write missed its deadline, or the client
  // fell too far behind (more than the server's buffer limit queued), which
  // also closes it. Never blocks; any thread.
  virtual bool write(std::string data) = 0;
  // Ends the body after what is queued. Any thread; idempotent.
  virtual void end() = 0;
  virtual bool closed() const = 0;
};

// Given the sink once the status line and headers have been sent; called on
// a handler thread, and should hand the sink to whatever feeds it and return.
using StreamStarter = std::function<void(std::shared_ptr<StreamSink>)>;

// The server's end of a WebSocket a route answered with
// (HttpResponse::Duplex): whole binary messages, both ways.
class DuplexChannel {
 public:
  virtual ~DuplexChannel() = default;
  // Queues one message. False once the socket has closed: the client went
  // away, the server stopped, or the client fell more than the server's
  // buffer limit behind (which also closes it). Never blocks; any thread.
  virtual bool send(std::string message) = 0;
  // Closes the socket (a normal close) after what is queued. Any thread;
  // idempotent.
  virtual void end() = 0;
  virtual bool closed() const = 0;
};

// What the route does with the client's side of the socket. Both run on
// the event loop and must not block.
struct DuplexHandlers {
  // Each message the client sends, whole, in order.
  std::function<void(std::string message)> onMessage;
  // Once, when the socket has closed, whichever side closed it.
  std::function<void()> onClose;
};

// Given the channel once the WebSocket handshake is done; called on a
// handler thread. Returns what receives the client's messages, which are
// read only from then on.
using DuplexStarter = std::function<DuplexHandlers(std::shared_ptr<DuplexChannel>)>;

struct HttpResponse {
  int status = 200;
  std::string contentType = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // When set, the body is streamed (chunked) instead of `body`.
  StreamStarter stream;
  // When set, the request (a WebSocket upgrade: GET with "Upgrade:
  // websocket") is accepted as a WebSocket instead of answered; `headers`
  // go with the handshake's 101 (the chosen Sec-WebSocket-Protocol).
  DuplexStarter duplex;
  // When set, sent instead of `body` without a copy (a cached answer).
  std::shared_ptr<const std::string> sharedBody;
  // Held by the connection for as long as it is busy with this response:
  // for a stream or a WebSocket, until it closes, whether it ends or its client
  // goes away (a token's stream slot, api/fair_share.h).
  std::shared_ptr<void> lease;

  static HttpResponse Json(int status, const nlohmann::json& body);
  static HttpResponse Text(int status, std::string body,
                           std::string contentType = "text/plain; charset=utf-8");
  // {"error":{"code":N,"reason":"...","message":"...","details":[{"field","message"}]}}
  static HttpResponse Error(const Status& status);
  static HttpResponse Stream(int status, std::string contentType, StreamStarter start);
  static HttpResponse Duplex(DuplexStarter start,
                             std::vector<std::pair<std::string, std::string>> headers = {});
  static HttpResponse Shared(int status, std::shared_ptr<const std::string> body,
                             std::string contentType = "application/json");
};

using Handler = std::function<HttpResponse(const HttpRequest&)>;
// Answers from memory without blocking (a cache hit), or nullopt to have the
// request go to the route's Handler on a worker thread.
using FastHandler = std::function<std::optional<HttpResponse>(const HttpRequest&)>;

// Turns a request's credentials into a Principal: Unauthorized (401) when
// they are missing or unknown.
using Authenticator = std::function<Result<Principal>(const HttpRequest&)>;

// What a token may still do (api/fair_share.h): asked by the router after
// authentication. Each returns nullopt to let the request through, or the
// refusal to send instead.
class Admission {
 public:
  virtual ~Admission() = default;
  // Once per authenticated request, before its route runs (and before a
  // 404, 405 or 403 is decided: those cost too).
  virtual std::optional<HttpResponse> admitRequest(const Principal& who) = 0;
  // When a route answers with a stream: on success *lease is the slot the
  // stream holds while it is open.
  virtual std::optional<HttpResponse> admitStream(const Principal& who,
                                                  std::shared_ptr<void>* lease) = 0;
};

class Router {
 public:
  // `pattern` is a path whose segments are literals or {param}, for example
  // "/api/v1/namespaces/{ns}/services/{name}".
  // `fast`, when given, is tried first on the event loop (see routeFast).
  void add(const std::string& method, const std::string& pattern, Handler handler,
           FastHandler fast = nullptr);
  // A route every client may call without a token (/healthz, /readyz).
  void addPublic(const std::string& method, const std::string& pattern, Handler handler);

  // When set, every route but the public ones needs credentials the
  // authenticator accepts (401 otherwise), and a route whose pattern has
  // {ns} needs a principal that may use that namespace (403 otherwise).
  // Handlers of routes that span namespaces filter by req.mayUse().
  void setAuthenticator(Authenticator authenticator);

  // When set (it must outlive the router), every request with a principal
  // is admitted by it after authentication, and every stream a route
  // answers with holds a slot it gives; nullptr: no limits.
  void setAdmission(Admission* admission);

  // Finds the handler and fills req.params. A path that matches no pattern is
  // 404 NotFound; a path that matches with another method is 405 (error body
  // reason "MethodNotAllowed", with an Allow header). Every write (not GET,
  // HEAD or OPTIONS), answered or refused, logs one "audit:" line: the
  // token's name, the method, the target and the answer's code.
  HttpResponse route(HttpRequest& req) const;

  // For the event loop: the answer of the matching route's FastHandler when
  // it has one and that answers (after the same token checks as route()),
  // else nullopt and the request goes to route() on a worker. Never blocks.
  std::optional<HttpResponse> routeFast(HttpRequest& req) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    Handler handler;
    bool isPublic = false;
    FastHandler fast;
  };
  // The route for req (nullptr: none; *refusal then says why: 404, 405),
  // with req.params and req.principal filled; *refusal is also set when the
  // credentials are refused.
  const Route* match(HttpRequest& req, std::optional<HttpResponse>* refusal) const;
  // A route's answer, or the refusal when it is a stream the token has no
  // slot for.
  HttpResponse admitAnswer(const HttpRequest& req, HttpResponse answer) const;
  std::vector<Route> routes_;
  HttpResponse dispatch(HttpRequest& req) const;
  Authenticator authenticator_;
  Admission* admission_ = nullptr;
};

}  // namespace tender
