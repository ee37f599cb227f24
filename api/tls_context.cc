// TlsContext (tls_context.h): OpenSSL's server context, through Asio's
// ssl::context, with the certificate chain and key loaded from PEM and
// checked against each other. No Beast.

#include "api/tls_context.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/ssl/context.hpp>

namespace tender {
namespace {

namespace ssl = boost::asio::ssl;

// OpenSSL's words for why `ec` failed, without the library's prefix.
std::string opensslReason(const boost::system::error_code& ec) {
  std::string m = ec.message();
  return m.empty() ? "unknown OpenSSL error" : m;
}

// The last error OpenSSL queued, in its words; the queue is emptied.
std::string lastOpensslError() {
  unsigned long code = 0, e;
  while ((e = ERR_get_error()) != 0) code = e;
  if (code == 0) return "unknown OpenSSL error";
  const char* reason = ERR_reason_error_string(code);
  return reason ? reason : "OpenSSL error " + std::to_string(code);
}

// A pass phrase is never given: an encrypted key fails to load.
int noPassphrase(char*, int, int, void*) { return 0; }

}  // namespace

TlsContext::TlsContext() : context_(std::make_unique<ssl::context>(ssl::context::tls_server)) {}

TlsContext::~TlsContext() = default;

ssl::context& TlsContext::asio() { return *context_; }

Result<std::shared_ptr<TlsContext>> TlsContext::fromPem(std::string_view certificateChainPem,
                                                        std::string_view privateKeyPem,
                                                        const std::string& certificateName,
                                                        const std::string& keyName) {
  std::shared_ptr<TlsContext> tls(new TlsContext());
  ssl::context& ctx = *tls->context_;
  boost::system::error_code ec;
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                      ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                      ssl::context::single_dh_use,
                  ec);
  if (ec) return Status::Internal("cannot set up TLS: " + opensslReason(ec));
  ERR_clear_error();

  ctx.use_certificate_chain(
      boost::asio::buffer(certificateChainPem.data(), certificateChainPem.size()), ec);
  if (ec) {
    return Status::Invalid(certificateName + ": not a PEM certificate (" + opensslReason(ec) +
                           "); expected -----BEGIN CERTIFICATE-----");
  }
  // The key is read on its own first, so that one that does not parse and
  // one that is not the certificate's get their own messages.
  BIO* bio = BIO_new_mem_buf(privateKeyPem.data(), static_cast<int>(privateKeyPem.size()));
  EVP_PKEY* key = bio ? PEM_read_bio_PrivateKey(bio, nullptr, noPassphrase, nullptr) : nullptr;
  if (bio) BIO_free(bio);
  if (!key) {
    const std::string why = lastOpensslError();
    const bool encrypted = privateKeyPem.find("ENCRYPTED") != std::string_view::npos;
    return Status::Invalid(keyName + ": not a PEM private key (" + why + ")" +
                           (encrypted
                                ? "; it is encrypted, and tender needs it without a pass phrase "
                                  "(openssl pkey -in KEY -out PLAIN_KEY)"
                                : std::string("; expected -----BEGIN PRIVATE KEY-----")));
  }
  const int used = SSL_CTX_use_PrivateKey(ctx.native_handle(), key);
  EVP_PKEY_free(key);
  if (used != 1 || SSL_CTX_check_private_key(ctx.native_handle()) != 1) {
    ERR_clear_error();
    return Status::Invalid(keyName + ": this key does not belong to the certificate of " +
                           certificateName);
  }
  return tls;
}

}  // namespace tender
