// TlsContext: the HTTP server's certificate and private key, loaded into
// an OpenSSL context (Asio's ssl::context) and checked to belong together,
// for the listeners that speak TLS. Asio's SSL headers stay in
// tls_context.cc and http_connection.cc: here the context is only named.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"

namespace boost {
namespace asio {
namespace ssl {
class context;
}  // namespace ssl
}  // namespace asio
}  // namespace boost

namespace tender {

class TlsContext {
 public:
  // A server context for TLS 1.2 and later from PEM text: the certificate
  // (then any intermediates, as a chain file holds them) and its private
  // key, which must not be encrypted (nobody is there to type a pass
  // phrase). Invalid, its message starting with `certificateName` or
  // `keyName` ("--tls-cert server.crt"), when one does not parse or the key
  // is not the certificate's.
  static Result<std::shared_ptr<TlsContext>> fromPem(std::string_view certificateChainPem,
                                                     std::string_view privateKeyPem,
                                                     const std::string& certificateName,
                                                     const std::string& keyName);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // For the connections' SSL streams (which share it: it is thread-safe
  // once loaded).
  boost::asio::ssl::context& asio();

 private:
  TlsContext();
  std::unique_ptr<boost::asio::ssl::context> context_;
};

}  // namespace tender
