// HttpServer: the REST API's HTTP/1.1 server on the caller's Asio event loop.
//
// Network I/O runs on the io_context the caller runs (the event loop shared
// with the engine client); handlers run on the server's own small thread pool,
// never on the event-loop thread, because they may block on SQLite. Each
// response is written back on the event loop.
//
// What a client gets:
//  - keep-alive (HTTP/1.1), Content-Type and Content-Length on every response;
//  - 413 (reason TooLarge) for a body over maxBodyBytes, decided from
//    Content-Length before the body is read, or when a chunked body crosses
//    the limit; `Expect: 100-continue` answered with 100 when the body fits;
//  - 400 for malformed HTTP or a malformed target;
//  - a connection closed when headers or body do not arrive in time, when it
//    sits idle between requests, or when it does not read its response.
//
// A streaming response (HttpResponse::stream, for watch) sends its header
// with chunked transfer encoding, then each chunk its source writes, each
// under the write deadline; the connection ends with the stream. A client
// that goes away, or falls more than maxStreamBufferBytes behind, closes the
// stream, and the source's next write() says so.
//
// Listeners: TCP ("host:port") and unix sockets ("unix:/path"), several at
// once. With HttpServerOptions::tls every TCP listener speaks HTTPS only: a
// client that does not start with a TLS handshake gets a plain 400 saying
// so, and the connection is closed. Unix sockets stay plain HTTP. A unix
// socket's file is created mode 0660, replaces a stale file of a server that
// is gone (but not one that still answers), and is removed when the server
// is destroyed.
//
// Thread-safety: start() and stop() from any one thread; stop() may be called
// while the event loop runs. The Router must outlive the server, and the
// server must be destroyed before the io_context. The destructor stops the
// server and waits for running handlers to return.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <functional>
#include <string>
#include <vector>

#include "api/router.h"
#include "base/status.h"

namespace boost {
namespace asio {
class io_context;
}  // namespace asio
}  // namespace boost

namespace tender {

struct HttpServerState;  // defined in http_server_internal.h
class TlsContext;        // api/tls_context.h

struct HttpServerOptions {
  // Each "host:port" ("127.0.0.1:7420", "[::1]:7420", "localhost:0"; port 0
  // picks a free port, see port()) or "unix:/path/to.sock".
  std::vector<std::string> listen{"127.0.0.1:7420"};
  size_t maxBodyBytes = 4 << 20;
  // Requests isUpload() picks (a build context's tar) may carry up to
  // maxUploadBytes, and have uploadTimeout to send it.
  std::function<bool(const std::string& method, const std::string& target)> isUpload;
  size_t maxUploadBytes = size_t{512} << 20;
  std::chrono::milliseconds uploadTimeout{600'000};
  // The whole header must arrive within this time once a request has begun
  // (on a new connection: from the accept).
  std::chrono::milliseconds headerTimeout{10'000};
  // The whole body must arrive within this time after the header.
  std::chrono::milliseconds bodyTimeout{60'000};
  // A kept-alive connection with no new request for this long is closed.
  std::chrono::milliseconds idleTimeout{60'000};
  // A response that the client does not take within this time closes the
  // connection, so a client that never reads cannot hold the server.
  std::chrono::milliseconds writeTimeout{30'000};
  int handlerThreads = 4;
  // A streaming client this far behind is disconnected.
  size_t maxStreamBufferBytes = 1 << 20;
  // When set, the TCP listeners serve HTTPS with this certificate and key.
  std::shared_ptr<TlsContext> tls;
};

// Whether `listen` is a unix socket or a literal loopback address
// ("127.0.0.1:7420", "[::1]:0", "localhost:7420"), decided from the text
// alone: nothing is resolved, so any other host name counts as reachable
// from other hosts, and so does ":port" (every interface).
bool isLoopbackListen(const std::string& listen);

class HttpServer {
 public:
  HttpServer(boost::asio::io_context& io, Router& router, HttpServerOptions options = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and listens on every address, then accepts on the event loop.
  // Fails with a message naming the address when one cannot be bound (in
  // use, bad address), and then listens on none.
  // REQUIRES: called once.
  Status start();

  // Closes the listening socket and every connection, and stops taking new
  // handler work. Returns at once; the closing happens on the event loop.
  // Final: a stopped server is not started again.
  void stop();

  // The first TCP listener's bound port after a successful start(); 0 before.
  int port() const;

  // After start(): whether every listener is a unix socket or a loopback
  // address (what a server without tokens may listen on).
  bool localOnly() const;

 private:
  std::shared_ptr<HttpServerState> state_;
};

}  // namespace tender
