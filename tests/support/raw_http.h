// A small blocking HTTP/1.1 client over TCP or a unix socket, for end-to-end
// tests that need what the tender command does not do: unix sockets, exact
// headers, and reading a chunked stream line by line as it arrives.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <optional>
#include <string>

namespace tender::testing {

struct RawReply {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lowercased
  std::string body;
};

class RawHttp {
 public:
  static RawHttp tcp(int port) {
    RawHttp c;
    c.fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    c.connected_ = ::connect(c.fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    return c;
  }
  static RawHttp unix(const std::string& path) {
    RawHttp c;
    c.fd_ = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path.c_str());
    c.connected_ = ::connect(c.fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    return c;
  }
  RawHttp(RawHttp&& o) noexcept : fd_(o.fd_), connected_(o.connected_), buf_(std::move(o.buf_)) { o.fd_ = -1; }
  ~RawHttp() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool connected() const { return connected_; }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  // Closes with a reset (SO_LINGER 0) instead of a FIN, as a client that
  // crashed or lost its network would leave the server to find out.
  void abort() {
    if (fd_ >= 0) {
      linger l{1, 0};
      ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    }
    close();
  }

  // Sends a request; `headers` are whole lines without CRLF.
  bool send(const std::string& method, const std::string& target, const std::string& headers = "",
            const std::string& body = "") {
    std::string req = method + " " + target + " HTTP/1.1\r\nHost: test\r\n";
    if (!headers.empty()) req += headers + "\r\n";
    if (!body.empty() || method == "POST" || method == "PUT") {
      req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    }
    req += "\r\n" + body;
    size_t off = 0;
    while (off < req.size()) {
      ssize_t n = ::send(fd_, req.data() + off, req.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    return true;
  }

  // The status line and headers; the body too when it has a Content-Length.
  std::optional<RawReply> reply(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill(deadline)) return std::nullopt;
    }
    RawReply r;
    std::string head = buf_.substr(0, end);
    buf_.erase(0, end + 4);
    r.status = std::stoi(head.substr(9, 3));
    size_t pos = head.find("\r\n");
    while (pos != std::string::npos && pos + 2 < head.size()) {
      size_t next = head.find("\r\n", pos + 2);
      std::string line = head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
      size_t colon = line.find(':');
      std::string name = line.substr(0, colon);
      for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      r.headers[name] = value;
      pos = next;
    }
    if (r.headers.count("content-length")) {
      size_t length = std::stoul(r.headers["content-length"]);
      while (buf_.size() < length) {
        if (!fill(deadline)) return std::nullopt;
      }
      r.body = buf_.substr(0, length);
      buf_.erase(0, length);
    }
    return r;
  }

  // The next line of a chunked body (without its newline), as soon as it
  // has arrived; nullopt on timeout, close or the last chunk.
  std::optional<std::string> nextLine(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      size_t nl = body_.find('\n');
      if (nl != std::string::npos) {
        std::string line = body_.substr(0, nl);
        body_.erase(0, nl + 1);
        return line;
      }
      if (ended_) return std::nullopt;
      // Decode whole chunks from buf_ into body_.
      size_t crlf = buf_.find("\r\n");
      if (crlf != std::string::npos) {
        size_t size = std::stoul(buf_.substr(0, crlf), nullptr, 16);
        if (size == 0) {
          ended_ = true;
          continue;
        }
        if (buf_.size() >= crlf + 2 + size + 2) {
          body_ += buf_.substr(crlf + 2, size);
          buf_.erase(0, crlf + 2 + size + 2);
          continue;
        }
      }
      if (!fill(deadline)) return std::nullopt;
    }
  }

  // True when the peer closes within `timeout`.
  bool closedWithin(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      int r = readSome(deadline);
      if (r == 0 || r == -2) return true;
    }
    return false;
  }

 private:
  RawHttp() = default;
  // 1 data, 0 EOF, -1 timeout, -2 error.
  int readSome(std::chrono::steady_clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return -1;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return -1;
    char tmp[65536];
    ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n == 0) return 0;
    if (n < 0) return -2;
    buf_.append(tmp, static_cast<size_t>(n));
    return 1;
  }
  bool fill(std::chrono::steady_clock::time_point deadline) { return readSome(deadline) == 1; }

  int fd_ = -1;
  bool connected_ = false;
  std::string buf_;   // raw bytes not yet consumed
  std::string body_;  // decoded stream bytes not yet returned as lines
  bool ended_ = false;
};

}  // namespace tender::testing
