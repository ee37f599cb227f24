// The addresses the HTTP server listens on: parsing "host:port" and
// "unix:/path", telling a loopback one from its text (isLoopbackListen,
// http_server.h), and clearing a unix socket file a server that is gone left
// behind (http_server_internal.h). Asio only, no Beast.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <cctype>
#include <filesystem>

#include "api/http_server_internal.h"

namespace tender {
namespace http_internal {

namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

// "host:port" or "[v6]:port" into its host (without brackets) and port.
bool splitHostPort(const std::string& listen, std::string* host, std::string* port) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return false;
  *host = listen.substr(0, colon);
  *port = listen.substr(colon + 1);
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  return true;
}

bool isLoopback(const net::ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    return net::ip::make_address_v4(net::ip::v4_mapped, a.to_v6()).is_loopback();
  }
  return a.is_loopback();
}

}  // namespace

Result<ListenAddress> parseListenAddress(net::io_context& io, const std::string& listen) {
  ListenAddress out;
  out.text = listen;
  if (listen.rfind("unix:", 0) == 0) {
    out.unixPath = listen.substr(5);
    if (out.unixPath.empty())
      return Status::Invalid("cannot listen on " + listen + ": no socket path after unix:");
    if (out.unixPath.size() >= sizeof(sockaddr_un{}.sun_path)) {
      return Status::Invalid("cannot listen on " + listen + ": the socket path is too long");
    }
    out.endpoint = Protocol::endpoint(net::local::stream_protocol::endpoint(out.unixPath));
    out.local = true;
    return out;
  }
  std::string host, portText;
  if (!splitHostPort(listen, &host, &portText)) {
    return Status::Invalid("cannot listen on " + listen + ": expected host:port or unix:/path");
  }
  if (host.empty()) host = "0.0.0.0";
  if (portText.empty() || portText.size() > 5 ||
      !std::all_of(portText.begin(), portText.end(),
                   [](unsigned char c) { return std::isdigit(c); }) ||
      std::stoi(portText) > 65535) {
    return Status::Invalid("cannot listen on " + listen + ": bad port '" + portText + "'");
  }
  auto port = static_cast<unsigned short>(std::stoi(portText));
  boost::system::error_code ec;
  auto address = net::ip::make_address(host, ec);
  tcp::endpoint ep;
  if (!ec) {
    ep = tcp::endpoint(address, port);
  } else {
    tcp::resolver resolver(io);
    auto results = resolver.resolve(host, portText, ec);
    if (ec || results.empty()) {
      return Status::Invalid("cannot listen on " + listen + ": cannot resolve '" + host +
                             "': " + (ec ? ec.message() : std::string("no address")));
    }
    ep = results.begin()->endpoint();
  }
  out.endpoint = Protocol::endpoint(ep);
  out.local = isLoopback(ep.address());
  return out;
}

int portOf(const Protocol::endpoint& e) {
  const sockaddr* sa = e.data();
  if (sa->sa_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(sa)->sin_port);
  if (sa->sa_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(sa)->sin6_port);
  return 0;
}

Status clearStaleSocket(net::io_context& io, const ListenAddress& a) {
  std::error_code fsError;
  auto st = std::filesystem::symlink_status(a.unixPath, fsError);
  if (fsError || !std::filesystem::exists(st)) return Status::Ok();
  if (!std::filesystem::is_socket(st)) {
    return Status::Unavailable("cannot listen on " + a.text + ": " + a.unixPath +
                               " exists and is not a socket");
  }
  net::local::stream_protocol::socket probe(io);
  boost::system::error_code ec;
  probe.connect(net::local::stream_protocol::endpoint(a.unixPath), ec);
  if (!ec)
    return Status::Unavailable("cannot listen on " + a.text + ": another server answers on it");
  std::filesystem::remove(a.unixPath, fsError);
  return Status::Ok();
}

}  // namespace http_internal

bool isLoopbackListen(const std::string& listen) {
  if (listen.rfind("unix:", 0) == 0) return true;
  std::string host, port;
  if (!http_internal::splitHostPort(listen, &host, &port)) return false;
  if (host == "localhost") return true;
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(host, ec);
  return !ec && http_internal::isLoopback(address);
}

}  // namespace tender
