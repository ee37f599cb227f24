// Internal to the HTTP server: what its pieces share. No Beast here, so that
// only the connection (http_connection.cc) pays for it. The pieces:
//  - http_server.cc: HttpServer itself, its listeners and accept loop, and
//    the state every connection shares (HttpServerState);
//  - http_connection.cc: one connection's requests and responses (Beast);
//  - http_stream.cc: a streaming response's queue between its source and
//    its connection (StreamState, Sink) and its chunk framing;
//  - http_target.cc: the request target's decoding;
//  - listen_address.cc: the listen addresses (Asio only);
//  - tls_context.cc: the certificate and key of TLS listeners (Asio's SSL
//    context, no Beast).
// Nothing outside api/ (and its tests) includes it.
#pragma once

#include <atomic>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "api/http_server.h"
#include "api/router.h"
#include "base/status.h"

namespace boost {
namespace asio {
class thread_pool;
}  // namespace asio
}  // namespace boost

namespace tender {
namespace http_internal {

class Connection;  // http_connection.cc
struct Listener;   // http_server.cc

}  // namespace http_internal

// What the server and its connections share. Created by HttpServer, held by
// every connection (which may outlive the HttpServer object by a moment).
struct HttpServerState {
  HttpServerState(boost::asio::io_context& ctx, Router& r, HttpServerOptions o);
  ~HttpServerState();

  // Runs `work` on the handler pool. False, and nothing queued, once the
  // server has stopped (or before it started).
  bool post(std::function<void()> work);
  // Registers an open connection, so that stop() can close it. False when the
  // server has stopped: the connection should close.
  bool addConnection(const std::shared_ptr<http_internal::Connection>& c);
  void removeConnection(http_internal::Connection* c);

  boost::asio::io_context& io;
  Router& router;
  const HttpServerOptions options;
  std::vector<std::unique_ptr<http_internal::Listener>> listeners;  // set by start(), then fixed
  std::atomic<int> port{0};
  bool localOnly = true;  // guarded by mu

  mutable std::mutex mu;
  bool stopped = false;                            // guarded by mu
  std::unique_ptr<boost::asio::thread_pool> pool;  // guarded by mu; handlers run here
  std::unordered_map<http_internal::Connection*, std::weak_ptr<http_internal::Connection>>
      connections;  // guarded by mu
};

namespace http_internal {

// Percent-decodes `in`; in a query '+' is a space. False on a bad escape.
bool percentDecode(std::string_view in, bool plusIsSpace, std::string* out);

// Fills req->path and req->query from req->target ("/a%20b?x=1&y"):
// Invalid naming the part that is not a path or not well escaped.
Status parseTarget(HttpRequest* req);

// Adds a header the way HttpRequest keeps them: the name in lower case, a
// repeated header's values joined with ", ".
void addHeader(HttpRequest* req, std::string_view name, std::string_view value);

// TCP and unix-socket listeners share one endpoint type.
using Protocol = boost::asio::generic::stream_protocol;

// One address to listen on: its endpoint, and the socket file for a unix one.
struct ListenAddress {
  std::string text;
  Protocol::endpoint endpoint;
  std::string unixPath;  // "" for TCP
  bool local = false;    // loopback or unix
};

// "host:port", "[v6]:port", ":port" (port 0 lets the kernel pick), or
// "unix:/path". A host name is resolved.
Result<ListenAddress> parseListenAddress(boost::asio::io_context& io, const std::string& listen);

// The port of a TCP endpoint; 0 for a unix one.
int portOf(const Protocol::endpoint& e);

// A unix socket file left by a server that is gone is replaced; one that
// still answers is refused, so two servers never fight over a path.
Status clearStaleSocket(boost::asio::io_context& io, const ListenAddress& a);

// Serves the connection `socket` was accepted on until it closes: HTTPS
// with state->options.tls when `tls`, else plain HTTP.
void serveConnection(const std::shared_ptr<HttpServerState>& state, Protocol::socket socket,
                     bool tls);
// From any thread: closes `c` on its strand.
void closeConnection(const std::shared_ptr<Connection>& c);
// From any thread: lets `c` write what its stream's source has queued.
void wakeConnection(const std::shared_ptr<Connection>& c);

// What a streaming response's source and its connection share: the chunks
// not yet written, and whether the stream has ended or closed. Thread-safe.
class StreamState {
 public:
  explicit StreamState(size_t limit) : limit_(limit) {}

  // False (and the stream closed) when closed already or over the limit.
  // Sets *wake when the connection's writer must be woken.
  bool push(std::string data, bool* wake);
  // Returns true when the writer must be woken to finish the body.
  bool end();
  void markClosed();
  bool closed() const;

  // The writer takes everything queued in one go. When nothing is left it
  // stops (writing_ false) unless the stream has ended or overflowed.
  struct Batch {
    std::string data;
    bool ended = false;
    bool overflowed = false;
    bool idle = false;  // nothing to do: the writer sleeps until woken
  };
  Batch take();
  // The same, one message at a time (a WebSocket's, which must stay apart).
  Batch takeOne();

 private:
  Batch takeLocked(bool one);
  const size_t limit_;
  mutable std::mutex mu_;
  std::deque<std::string> queue_;
  size_t queuedBytes_ = 0;
  bool writing_ = false;
  bool ended_ = false;
  bool closed_ = false;
  bool overflowed_ = false;
};

// What a batch puts on the wire: with chunked encoding one chunk (none for
// no data) and, for the last batch, the terminating chunk; otherwise the
// data as it is.
std::string frameStreamBatch(std::string data, bool chunked, bool last);

// The StreamSink a streaming route writes to: queues in the StreamState and
// wakes the connection when its writer sleeps.
class Sink : public StreamSink {
 public:
  Sink(std::shared_ptr<StreamState> state, std::weak_ptr<Connection> conn)
      : state_(std::move(state)), conn_(std::move(conn)) {}
  bool write(std::string data) override;
  void end() override;
  bool closed() const override { return state_->closed(); }

 private:
  void wake();
  std::shared_ptr<StreamState> state_;
  std::weak_ptr<Connection> conn_;
};

// The DuplexChannel a WebSocket route sends on: each message queued whole
// in the StreamState, the connection woken when its writer sleeps.
class DuplexSink : public DuplexChannel {
 public:
  DuplexSink(std::shared_ptr<StreamState> state, std::weak_ptr<Connection> conn)
      : sink_(std::move(state), std::move(conn)) {}
  bool send(std::string message) override { return sink_.write(std::move(message)); }
  void end() override { sink_.end(); }
  bool closed() const override { return sink_.closed(); }

 private:
  Sink sink_;
};

}  // namespace http_internal
}  // namespace tender
