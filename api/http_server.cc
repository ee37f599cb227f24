// HttpServer (http_server.h): its listeners and their accept loop, the
// start and stop of the whole, and the state its connections share
// (HttpServerState). Each connection is served by http_connection.cc; this
// file needs Asio only, no Beast.

#include "api/http_server.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <boost/asio/basic_socket_acceptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <cerrno>
#include <filesystem>
#include <utility>

#include "api/http_server_internal.h"

namespace tender {
namespace http_internal {

namespace net = boost::asio;
using error_code = boost::system::error_code;

// One listening socket, used on its own strand once accepting.
struct Listener {
  explicit Listener(net::io_context& io)
      : acceptor(net::make_strand(io)), retry(acceptor.get_executor()) {}

  // Closes the socket and removes a unix socket's file.
  void closeAndRemove() {
    error_code ignored;
    acceptor.close(ignored);
    if (unixPath.empty()) return;
    std::error_code fs;
    std::filesystem::remove(unixPath, fs);
  }

  net::basic_socket_acceptor<Protocol> acceptor;
  net::steady_timer retry;
  std::string unixPath;  // removed when the server goes
  bool tls = false;      // its connections speak HTTPS
};

namespace {

void acceptNext(const std::shared_ptr<HttpServerState>& state, Listener* listener) {
  listener->acceptor.async_accept(
      net::make_strand(state->io), [state, listener](error_code ec, Protocol::socket socket) {
        if (ec == net::error::operation_aborted || !listener->acceptor.is_open()) return;
        if (ec) {
          // Out of file descriptors and the like: wait a little instead of
          // spinning on an accept that keeps failing.
          spdlog::warn("API accept failed: {}", ec.message());
          listener->retry.expires_after(std::chrono::milliseconds(100));
          listener->retry.async_wait([state, listener](error_code ec) {
            if (!ec) acceptNext(state, listener);
          });
          return;
        }
        serveConnection(state, std::move(socket), listener->tls);
        acceptNext(state, listener);
      });
}

// Binds and listens on `a`: the listener, or why it cannot.
Result<std::unique_ptr<Listener>> listenOn(net::io_context& io, const ListenAddress& a) {
  if (!a.unixPath.empty()) {
    Status cleared = clearStaleSocket(io, a);
    if (!cleared.ok()) return cleared;
  }
  auto l = std::make_unique<Listener>(io);
  error_code ec;
  auto& acceptor = l->acceptor;
  acceptor.open(a.endpoint.protocol(), ec);
  if (!ec && a.unixPath.empty()) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(a.endpoint, ec);
  if (!ec && !a.unixPath.empty()) {
    l->unixPath = a.unixPath;
    if (::chmod(a.unixPath.c_str(), 0660) != 0) {
      ec = error_code(errno, boost::system::system_category());
    }
  }
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    l->closeAndRemove();
    return Status::Unavailable("cannot listen on " + a.text + ": " + ec.message());
  }
  return Result<std::unique_ptr<Listener>>(std::move(l));
}

}  // namespace
}  // namespace http_internal

using http_internal::Connection;
using http_internal::ListenAddress;
using http_internal::Listener;
namespace net = boost::asio;

HttpServerState::HttpServerState(net::io_context& ctx, Router& r, HttpServerOptions o)
    : io(ctx), router(r), options(std::move(o)) {}

HttpServerState::~HttpServerState() = default;

bool HttpServerState::post(std::function<void()> work) {
  std::lock_guard<std::mutex> l(mu);
  if (stopped || !pool) return false;
  net::post(*pool, std::move(work));
  return true;
}

bool HttpServerState::addConnection(const std::shared_ptr<Connection>& c) {
  std::lock_guard<std::mutex> l(mu);
  if (stopped) return false;
  connections.emplace(c.get(), c);
  return true;
}

void HttpServerState::removeConnection(Connection* c) {
  std::lock_guard<std::mutex> l(mu);
  connections.erase(c);
}

HttpServer::HttpServer(boost::asio::io_context& io, Router& router, HttpServerOptions options)
    : state_(std::make_shared<HttpServerState>(io, router, std::move(options))) {}

HttpServer::~HttpServer() {
  stop();
  std::unique_ptr<net::thread_pool> pool;
  {
    std::lock_guard<std::mutex> l(state_->mu);
    pool = std::move(state_->pool);
  }
  // Waits for running handlers: they use the Router, which may go away with us.
  if (pool) pool->join();
  for (const auto& l : state_->listeners) {
    if (l->unixPath.empty()) continue;
    std::error_code ec;
    std::filesystem::remove(l->unixPath, ec);
  }
}

Status HttpServer::start() {
  if (state_->options.listen.empty()) return Status::Invalid("no address to listen on");
  std::vector<ListenAddress> addresses;
  for (const std::string& text : state_->options.listen) {
    auto a = http_internal::parseListenAddress(state_->io, text);
    if (!a.ok()) return a.status();
    addresses.push_back(std::move(*a));
  }
  std::vector<std::unique_ptr<Listener>> listeners;
  auto closeAll = [&] {
    for (auto& l : listeners) l->closeAndRemove();
  };
  int firstTcpPort = 0;
  bool localOnly = true;
  for (const ListenAddress& a : addresses) {
    auto l = http_internal::listenOn(state_->io, a);
    if (!l.ok()) {
      closeAll();
      return l.status();
    }
    if (a.unixPath.empty() && firstTcpPort == 0) {
      boost::system::error_code ec;
      firstTcpPort = http_internal::portOf((*l)->acceptor.local_endpoint(ec));
    }
    localOnly = localOnly && a.local;
    (*l)->tls = state_->options.tls && a.unixPath.empty();
    spdlog::info("API listening on {}{}", a.text, (*l)->tls ? " (HTTPS only)" : "");
    listeners.push_back(std::move(*l));
  }
  {
    std::lock_guard<std::mutex> l(state_->mu);
    if (state_->stopped) {
      closeAll();
      return Status::Unavailable("server was stopped before it started");
    }
    state_->pool = std::make_unique<net::thread_pool>(std::max(1, state_->options.handlerThreads));
    state_->listeners = std::move(listeners);
    state_->localOnly = localOnly;
  }
  state_->port = firstTcpPort;
  for (const auto& l : state_->listeners) {
    net::post(l->acceptor.get_executor(),
              [state = state_, listener = l.get()] { http_internal::acceptNext(state, listener); });
  }
  return Status::Ok();
}

void HttpServer::stop() {
  std::vector<std::shared_ptr<Connection>> open;
  {
    std::lock_guard<std::mutex> l(state_->mu);
    if (state_->stopped) return;
    state_->stopped = true;
    for (auto& [ptr, weak] : state_->connections) {
      if (auto c = weak.lock()) open.push_back(std::move(c));
    }
    // Queued handlers that have not started are dropped; running ones finish
    // and their answers meet a closed connection.
    if (state_->pool) state_->pool->stop();
  }
  for (const auto& l : state_->listeners) {
    net::post(l->acceptor.get_executor(), [state = state_, listener = l.get()] {
      boost::system::error_code ec;
      listener->acceptor.close(ec);
      listener->retry.cancel();
    });
  }
  for (auto& c : open) http_internal::closeConnection(c);
}

int HttpServer::port() const { return state_->port.load(); }

bool HttpServer::localOnly() const {
  std::lock_guard<std::mutex> l(state_->mu);
  return state_->localOnly;
}

}  // namespace tender
