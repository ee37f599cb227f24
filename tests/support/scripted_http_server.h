// A loopback HTTP server whose answers a test writes byte by byte, for what
// tender's own HttpServer cannot fake: chunked bodies sent a piece at a time,
// connections that break mid-body, servers that fall silent.
//
// One connection at a time, on one thread: for each, the request line and
// headers are read and `script(fd, method, target)` answers on the socket;
// the connection is closed when it returns.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace tender::testing {

class ScriptedHttpServer {
 public:
  using Script = std::function<void(int fd, const std::string& method, const std::string& target)>;

  explicit ScriptedHttpServer(Script script) : script_(std::move(script)) {
    listenFd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(listenFd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listenFd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(listenFd_, 8);
    socklen_t len = sizeof a;
    ::getsockname(listenFd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~ScriptedHttpServer() {
    ::shutdown(listenFd_, SHUT_RDWR);
    ::close(listenFd_);
    thread_.join();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // "GET /path?query" of each request, in order.
  std::vector<std::string> requests() {
    std::lock_guard<std::mutex> l(mu_);
    return requests_;
  }

  static bool send(int fd, const std::string& data) {
    size_t done = 0;
    while (done < data.size()) {
      ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return false;
      done += static_cast<size_t>(n);
    }
    return true;
  }
  static bool chunkedHead(int fd, int status = 200, const std::string& type = "application/x-ndjson") {
    return send(fd, "HTTP/1.1 " + std::to_string(status) + " OK\r\nContent-Type: " + type +
                        "\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
  }
  static bool chunk(int fd, const std::string& data) {
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    return send(fd, size + data + "\r\n");
  }
  static bool lastChunk(int fd) { return send(fd, "0\r\n\r\n"); }
  static bool whole(int fd, int status, const std::string& type, const std::string& body) {
    return send(fd, "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: " + type +
                        "\r\nContent-Length: " + std::to_string(body.size()) +
                        "\r\nConnection: close\r\n\r\n" + body);
  }
  // Blocks until the client closes its end (or `ms` pass); true if it did.
  static bool waitForClose(int fd, int ms) {
    timeval tv{ms / 1000, (ms % 1000) * 1000};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[256];
    while (true) {
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n == 0) return true;
      if (n < 0) return errno == ECONNRESET;
    }
  }

 private:
  void serve() {
    while (true) {
      int fd = ::accept(listenFd_, nullptr, nullptr);
      if (fd < 0) return;
      std::string head;
      char c;
      while (head.find("\r\n\r\n") == std::string::npos && ::recv(fd, &c, 1, 0) == 1) head += c;
      std::string line = head.substr(0, head.find("\r\n"));
      std::string method = line.substr(0, line.find(' '));
      size_t t = line.find(' ') + 1;
      std::string target = line.substr(t, line.rfind(' ') - t);
      {
        std::lock_guard<std::mutex> l(mu_);
        requests_.push_back(method + " " + target);
      }
      script_(fd, method, target);
      ::close(fd);
    }
  }

  Script script_;
  int listenFd_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::string> requests_;
};

}  // namespace tender::testing
