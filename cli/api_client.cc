// The one cpprestsdk translation unit. It must not log through spdlog:
// cpprestsdk's U(x) macro breaks fmt's headers (the cli library defines
// _TURN_OFF_PLATFORM_STRING, and nothing here needs fmt anyway).
//
// HTTPS: cpprestsdk verifies the server's certificate (the chain, then the
// URL's host against its names); ApiClientOptions::caFile replaces the
// system's store in each connection's SSL context, and a verify callback on
// that context keeps OpenSSL's reason when the check fails, since
// cpprestsdk's own error says only that the handshake failed.

#include "cli/api_client.h"

#include <cpprest/containerstream.h>
#include <cpprest/http_client.h>
#include <cpprest/ws_client.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <boost/asio/ssl/context.hpp>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <exception>
#include <mutex>
#include <nlohmann/json.hpp>
#include <system_error>
#include <utility>
#include <vector>

namespace tender {
namespace {

namespace wh = web::http;
namespace ws = web::websockets::client;

std::string unreachable(const std::string& url, const std::string& why) {
  return "cannot reach the tender server at " + url + ": " + why + " (is `tender serve` running?)";
}

std::string secondsText(std::chrono::milliseconds d) {
  auto ms = d.count();
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

// The answer's Retry-After header, "" when it has none.
std::string retryAfterOf(const wh::http_response& response) {
  auto it = response.headers().find("Retry-After");
  return it == response.headers().end() ? std::string() : std::string(it->second);
}

// Why the server's certificate was refused: written during a handshake (on
// cpprestsdk's threads), read once the call has failed.
class TlsVerdict {
 public:
  struct Refusal {
    bool refused = false;
    bool wrongHost = false;  // the chain is good, but it does not name the URL's host
    bool untrusted = false;  // no trusted CA signed it
    std::string reason;      // OpenSSL's words
  };

  void set(Refusal r) {
    std::lock_guard<std::mutex> l(mu_);
    refusal_ = std::move(r);
  }
  Refusal take() {
    std::lock_guard<std::mutex> l(mu_);
    return std::exchange(refusal_, Refusal{});
  }

 private:
  std::mutex mu_;
  Refusal refusal_;
};

// Checks the chain as OpenSSL would (cpprestsdk's host check runs inside,
// as the verify callback), keeping the reason when it fails.
int verifyAndKeepReason(X509_STORE_CTX* store, void* arg) {
  const int ok = X509_verify_cert(store);
  if (ok != 1) {
    const int err = X509_STORE_CTX_get_error(store);
    TlsVerdict::Refusal r;
    r.refused = true;
    // OpenSSL has nothing against the chain when only the host check said no.
    r.wrongHost = err == X509_V_OK || err == X509_V_ERR_UNSPECIFIED;
    r.untrusted = err == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
                  err == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT ||
                  err == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN ||
                  err == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT;
    r.reason = X509_verify_cert_error_string(err);
    static_cast<TlsVerdict*>(arg)->set(std::move(r));
  }
  return ok;
}

// Whether `path` holds at least one PEM certificate: Ok, or why not.
Status checkCaFile(const std::string& path) {
  const std::string what = "CA file " + path + " (--ca-file or TENDER_CA_FILE)";
  FILE* f = std::fopen(path.c_str(), "r");
  if (!f) return Status::Invalid(what + ": " + std::generic_category().message(errno));
  X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  ERR_clear_error();
  if (!cert) return Status::Invalid(what + ": no PEM certificate in it");
  X509_free(cert);
  return Status::Ok();
}

}  // namespace

struct ApiClient::Impl {
  std::string url;
  std::string token;
  ApiClientOptions options;
  std::shared_ptr<TlsVerdict> verdict = std::make_shared<TlsVerdict>();
  std::unique_ptr<wh::client::http_client> client;
  Status setupError;

  // For HTTPS: the CA file, and the callback that keeps why a certificate
  // was refused.
  std::function<void(boost::asio::ssl::context&)> sslContextSetup() const {
    return [caFile = options.caFile, v = verdict](boost::asio::ssl::context& ctx) {
      SSL_CTX* native = ctx.native_handle();
      if (!caFile.empty()) {
        SSL_CTX_set_cert_store(native, X509_STORE_new());  // frees the system's
        boost::system::error_code ec;
        ctx.load_verify_file(caFile, ec);  // checked when the client was made
      }
      // `v` is held by this callback, which cpprestsdk keeps with the client
      // whose connections use the context.
      SSL_CTX_set_cert_verify_callback(native, verifyAndKeepReason, v.get());
    };
  }

  // A client's configuration: the timeout and the TLS setup.
  wh::client::http_client_config config(std::chrono::milliseconds timeout) const {
    wh::client::http_client_config c;
    c.set_timeout(timeout);
    c.set_ssl_context_callback(sslContextSetup());
    return c;
  }

  // The Status for a call that failed with `e`.
  Status failure(const std::exception& e) const {
    const TlsVerdict::Refusal refusal = verdict->take();
    if (refusal.wrongHost) {
      return Status::Unavailable("the certificate of the tender server at " + url +
                                 " is not for the host in that URL: use a name or address "
                                 "that the certificate names (its subjectAltName)");
    }
    if (refusal.refused) {
      std::string hint;
      if (refusal.untrusted) {
        hint = options.caFile.empty()
                   ? "; if a private CA signed it, give that CA's certificate with --ca-file "
                     "(or TENDER_CA_FILE)"
                   : "; the CA certificates in " + options.caFile + " did not sign it";
      }
      return Status::Unavailable("the certificate of the tender server at " + url +
                                 " does not verify: " + refusal.reason + hint);
    }
    const std::string what = e.what();
    if (url.rfind("https:", 0) == 0 && what.find("SSL handshake") != std::string::npos) {
      return Status::Unavailable("the TLS handshake with the tender server at " + url +
                                 " failed (" + what +
                                 "): does it serve HTTPS? A plain HTTP server needs an "
                                 "http:// URL");
    }
    return Status::Unavailable(unreachable(url, what));
  }
};

ApiClient::ApiClient(std::string serverUrl, std::string token, std::chrono::milliseconds timeout)
    : ApiClient(std::move(serverUrl), std::move(token), ApiClientOptions{timeout, ""}) {}

ApiClient::ApiClient(std::string serverUrl, std::string token, ApiClientOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->url = std::move(serverUrl);
  impl_->token = std::move(token);
  impl_->options = std::move(options);
  if (impl_->url.rfind("unix:", 0) == 0) {
    impl_->setupError = Status::Invalid("server URL " + impl_->url +
                                        ": unix sockets are not supported by the client yet; "
                                        "use http://HOST:PORT");
    return;
  }
  if (!impl_->options.caFile.empty()) {
    Status ca = checkCaFile(impl_->options.caFile);
    if (!ca.ok()) {
      impl_->setupError = ca;
      return;
    }
  }
  try {
    impl_->client = std::make_unique<wh::client::http_client>(
        web::uri(impl_->url), impl_->config(impl_->options.timeout));
  } catch (const std::exception& e) {
    impl_->setupError = Status::Invalid("bad server URL \"" + impl_->url + "\": " + e.what() +
                                        " (expected http://HOST:PORT or https://HOST:PORT)");
  }
}

ApiClient::~ApiClient() = default;

const std::string& ApiClient::serverUrl() const { return impl_->url; }

Result<ApiResponse> ApiClient::call(const std::string& method, const std::string& pathAndQuery,
                                    const std::string& body, const std::string& contentType) {
  if (!impl_->setupError.ok()) return impl_->setupError;
  impl_->verdict->take();  // only this call's handshakes count
  try {
    wh::http_request request{wh::method(method)};
    request.set_request_uri(web::uri(pathAndQuery));
    if (!impl_->token.empty()) request.headers().add("Authorization", "Bearer " + impl_->token);
    if (!contentType.empty()) request.set_body(body, contentType);

    wh::http_response response = impl_->client->request(request).get();
    std::vector<unsigned char> data = response.extract_vector().get();
    ApiResponse out;
    out.status = response.status_code();
    out.body.assign(data.begin(), data.end());
    out.contentType = response.headers().content_type();
    if (out.status < 200 || out.status > 299)
      return statusFromErrorBody(out.status, out.body, retryAfterOf(response));
    return out;
  } catch (const wh::http_exception& e) {
    const int code = e.error_code().value();
    if (code == ETIMEDOUT || e.error_code() == std::errc::timed_out) {
      return Status::Timeout("the tender server at " + impl_->url + " did not answer " + method +
                             " " + pathAndQuery + " within " + secondsText(impl_->options.timeout));
    }
    return impl_->failure(e);
  } catch (const web::uri_exception& e) {
    return Status::Invalid("bad request path \"" + pathAndQuery + "\": " + e.what());
  } catch (const std::exception& e) {
    return impl_->failure(e);
  }
}

// cpprestsdk's http_client_config timeout is, in its Asio implementation, an
// inactivity timeout: the timer restarts on every chunk read, and when it
// fires the connection is closed and the read fails with errc::timed_out.
// So a per-stream client with the idle timeout bounds each wait for data and
// never cuts a stream whose heartbeats keep coming.
//
// The body arrives in a producer/consumer buffer that is filled as chunks
// come in: bumpc() waits for the next byte, then whatever else has arrived
// is taken without waiting. (Only a chunked or length-delimited body comes
// through as it arrives: for a body read to EOF, cpprest waits for its
// chunk size, 64 KiB, at a time.)
Status ApiClient::stream(const std::string& method, const std::string& pathAndQuery,
                         const std::function<bool(const std::string& line)>& onLine,
                         std::chrono::milliseconds idleTimeout) {
  return stream(method, pathAndQuery, "", "", onLine, idleTimeout);
}

Status ApiClient::stream(const std::string& method, const std::string& pathAndQuery,
                         const std::string& body, const std::string& contentType,
                         const std::function<bool(const std::string& line)>& onLine,
                         std::chrono::milliseconds idleTimeout) {
  if (!impl_->setupError.ok()) return impl_->setupError;
  using Traits = concurrency::streams::char_traits<uint8_t>;
  auto timedOut = [&](const std::error_code& ec) {
    return ec.value() == ETIMEDOUT || ec == std::errc::timed_out;
  };
  impl_->verdict->take();
  try {
    wh::client::http_client client(web::uri(impl_->url), impl_->config(idleTimeout));
    pplx::cancellation_token_source cancel;
    // Leaving, for whatever reason, closes the connection: the server may
    // never end the body, and the client's reads would go on behind us.
    struct CancelOnExit {
      pplx::cancellation_token_source& source;
      ~CancelOnExit() { source.cancel(); }
    } cancelOnExit{cancel};

    wh::http_request request{wh::method(method)};
    request.set_request_uri(web::uri(pathAndQuery));
    if (!impl_->token.empty()) request.headers().add("Authorization", "Bearer " + impl_->token);
    if (!contentType.empty()) request.set_body(body, contentType);
    wh::http_response response = client.request(request, cancel.get_token()).get();
    const int status = response.status_code();
    if (status < 200 || status > 299) {
      std::vector<unsigned char> data = response.extract_vector().get();
      return statusFromErrorBody(status, std::string(data.begin(), data.end()),
                                 retryAfterOf(response));
    }

    concurrency::streams::streambuf<uint8_t> body = response.body().streambuf();
    std::string line;
    auto deliver = [&]() {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      bool more = onLine(line);
      line.clear();
      return more;
    };
    while (true) {
      Traits::int_type c = body.bumpc().get();
      if (c == Traits::eof()) break;
      while (c != Traits::eof() && c != Traits::requires_async()) {
        if (c == '\n') {
          if (!deliver()) return Status::Ok();
        } else {
          line += static_cast<char>(c);
        }
        c = body.in_avail() > 0 ? body.sbumpc() : Traits::requires_async();
      }
    }
    // The buffer ends alike whether the server ended the body or the
    // connection broke; the response's completion tells which.
    response.content_ready().get();
    if (!line.empty()) deliver();  // a last line without its newline
    return Status::Ok();
  } catch (const wh::http_exception& e) {
    if (timedOut(e.error_code())) {
      return Status::Timeout("the tender server at " + impl_->url + " sent nothing on " + method +
                             " " + pathAndQuery + " for " + secondsText(idleTimeout));
    }
    return impl_->failure(e);
  } catch (const pplx::task_canceled&) {
    return Status::Unavailable("the stream from " + impl_->url + " was cancelled");
  } catch (const web::uri_exception& e) {
    return Status::Invalid("bad request path \"" + pathAndQuery + "\": " + e.what());
  } catch (const std::exception& e) {
    return impl_->failure(e);
  }
}

namespace {

// cpprestsdk's callback client: its handlers run on its own threads.
class CppRestSocket : public ApiSocket {
 public:
  explicit CppRestSocket(ws::websocket_client_config config) : client_(std::move(config)) {}
  ~CppRestSocket() override { close(); }

  ws::websocket_callback_client& client() { return client_; }

  Status send(const std::string& message) override {
    try {
      concurrency::streams::container_buffer<std::vector<uint8_t>> buffer(
          std::vector<uint8_t>(message.begin(), message.end()));
      ws::websocket_outgoing_message out;
      out.set_binary_message(buffer.create_istream(), message.size());
      client_.send(out).get();
      return Status::Ok();
    } catch (const std::exception& e) {
      return Status::Unavailable(std::string("the WebSocket to the tender server broke: ") + e.what());
    }
  }

  void close() override {
    std::lock_guard<std::mutex> l(mu_);
    if (closed_) return;
    closed_ = true;
    try {
      client_.close().get();
    } catch (const std::exception&) {
      // Already broken: its close handler has said so.
    }
  }

 private:
  ws::websocket_callback_client client_;
  std::mutex mu_;
  bool closed_ = false;
};

// "http://h:p/x" -> "ws://h:p/x" (and https -> wss).
std::string socketUrl(const std::string& url, const std::string& pathAndQuery) {
  if (url.rfind("https:", 0) == 0) return "wss:" + url.substr(6) + pathAndQuery;
  if (url.rfind("http:", 0) == 0) return "ws:" + url.substr(5) + pathAndQuery;
  return url + pathAndQuery;
}

}  // namespace

Result<std::unique_ptr<ApiSocket>> ApiClient::openSocket(const std::string& pathAndQuery,
                                                         const std::string& subprotocol,
                                                         ApiSocketHandlers handlers) {
  if (!impl_->setupError.ok()) return impl_->setupError;
  impl_->verdict->take();
  try {
    ws::websocket_client_config config;
    if (!impl_->token.empty()) config.headers().add("Authorization", "Bearer " + impl_->token);
    if (!subprotocol.empty()) config.add_subprotocol(subprotocol);
    config.set_ssl_context_callback(impl_->sslContextSetup());
    auto socket = std::make_unique<CppRestSocket>(std::move(config));
    socket->client().set_message_handler(
        [onMessage = handlers.onMessage](const ws::websocket_incoming_message& m) {
          concurrency::streams::container_buffer<std::vector<uint8_t>> buffer;
          m.body().read_to_end(buffer).get();
          const std::vector<uint8_t>& bytes = buffer.collection();
          if (onMessage) onMessage(std::string(bytes.begin(), bytes.end()));
        });
    socket->client().set_close_handler(
        [onClose = handlers.onClose](ws::websocket_close_status status, const std::string& reason,
                                     const std::error_code& ec) {
          if (!onClose) return;
          if (status == ws::websocket_close_status::normal || (!ec && reason.empty())) {
            onClose(Status::Ok());
            return;
          }
          onClose(Status::Unavailable("the WebSocket to the tender server closed: " +
                                      (reason.empty() ? ec.message() : reason)));
        });
    socket->client().connect(web::uri(socketUrl(impl_->url, pathAndQuery))).get();
    return std::unique_ptr<ApiSocket>(std::move(socket));
  } catch (const web::uri_exception& e) {
    return Status::Invalid("bad request path \"" + pathAndQuery + "\": " + e.what());
  } catch (const std::exception& e) {
    return impl_->failure(e);
  }
}

Status statusFromErrorBody(int httpStatus, const std::string& body, const std::string& retryAfter) {
  std::string message;
  std::vector<FieldError> details;
  nlohmann::json parsed = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_object()) {
    auto error = parsed.find("error");
    if (error != parsed.end() && error->is_object()) {
      auto m = error->find("message");
      if (m != error->end() && m->is_string()) message = m->get<std::string>();
      auto d = error->find("details");
      if (d != error->end() && d->is_array()) {
        for (const auto& item : *d) {
          if (!item.is_object()) continue;
          FieldError fe;
          if (auto f = item.find("field"); f != item.end() && f->is_string())
            fe.field = f->get<std::string>();
          if (auto dm = item.find("message"); dm != item.end() && dm->is_string())
            fe.message = dm->get<std::string>();
          details.push_back(std::move(fe));
        }
      }
    }
  }
  if (message.empty()) {
    message = "the server answered HTTP " + std::to_string(httpStatus);
    std::string text = body.substr(0, 200);
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    if (!text.empty()) message += ": " + text;
  }
  // Any code may carry details: a 403 names the namespace's field, a 409 the
  // field in conflict.
  switch (httpStatus) {
    case 304:
      return Status::NotModified(message).WithDetails(std::move(details));
    case 401:
      return Status::Unauthorized(message).WithDetails(std::move(details));
    case 403:
      return Status::Forbidden(message).WithDetails(std::move(details));
    case 404:
      return Status::NotFound(message).WithDetails(std::move(details));
    case 408:
      return Status::Timeout(message).WithDetails(std::move(details));
    case 409:
      return Status::Conflict(message).WithDetails(std::move(details));
    case 413:
      return Status::TooLarge(message).WithDetails(std::move(details));
    case 429:
      if (!retryAfter.empty() && message.find("retry after") == std::string::npos)
        message += "; retry after " + retryAfter + " s";
      return Status::TooManyRequests(message).WithDetails(std::move(details));
    case 503:
      return Status::Unavailable(message).WithDetails(std::move(details));
    case 504:
      return Status::Timeout(message).WithDetails(std::move(details));
    default:
      break;
  }
  if (httpStatus >= 400 && httpStatus < 500) return Status::Invalid(message, std::move(details));
  return Status::Internal(message).WithDetails(std::move(details));
}

std::string urlEncode(const std::string& text) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace tender
