// Internal to the HTTP server: the parts of http_server.cc that need no
// Beast — the request target's decoding (http_target.cc) and the listen
// addresses (listen_address.cc, Asio only). Nothing outside api/ includes it.
#pragma once

#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <string>
#include <string_view>

#include "api/router.h"
#include "base/status.h"

namespace tender {
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

}  // namespace http_internal
}  // namespace tender
