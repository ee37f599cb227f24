// A real HttpServer for tests of the server and of the client: its event
// loop on a thread of its own, stopped and joined on destruction.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <memory>
#include <string>
#include <thread>

#include "api/http_server.h"

namespace tender::testing {

class LoopbackServer {
 public:
  // `options.listen` defaults to a free loopback port.
  LoopbackServer(Router& router, HttpServerOptions options = {})
      : work_(boost::asio::make_work_guard(io_)) {
    if (options.listen == HttpServerOptions().listen) options.listen = {"127.0.0.1:0"};
    const bool tls = options.tls != nullptr;
    server_ = std::make_unique<HttpServer>(io_, router, std::move(options));
    started_ = server_->start();
    thread_ = std::thread([this] { io_.run(); });
    url_ = std::string(tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(server_->port());
  }
  ~LoopbackServer() {
    server_->stop();
    work_.reset();
    thread_.join();
    server_.reset();
  }
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  const Status& started() const { return started_; }
  // "http://127.0.0.1:PORT" (https with TLS).
  const std::string& url() const { return url_; }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::unique_ptr<HttpServer> server_;
  Status started_ = Status::Ok();
  std::thread thread_;
  std::string url_;
};

}  // namespace tender::testing
