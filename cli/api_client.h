// ApiClient: how the tender command talks to a tender server's REST API over
// HTTP or HTTPS.
//
// call() gives the answer when the server says 2xx; any other answer becomes
// a Status built from the API's error body (statusFromErrorBody), and a
// server that cannot be reached becomes Unavailable with a hint to start it.
// Nothing throws.
//
// Thread-safety: one ApiClient per thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "base/status.h"

namespace tender {

// Where the CLI looks when neither --server nor TENDER_SERVER says otherwise.
constexpr const char* kDefaultServerUrl = "http://127.0.0.1:7420";

// How the client connects, beyond the URL and the token.
struct ApiClientOptions {
  // Each call's deadline (stream() takes its own idle timeout).
  std::chrono::milliseconds timeout = std::chrono::seconds(60);
  // For https:// URLs: a PEM file of the CA certificates to trust instead of
  // the system's store ("" = the system's store).
  std::string caFile;
};

struct ApiResponse {
  int status = 0;
  std::string body;
  std::string contentType;
};

// A WebSocket to the server (ApiClient::openSocket): whole binary
// messages both ways.
class ApiSocket {
 public:
  virtual ~ApiSocket() = default;
  // Sends one message, after those sent before; Unavailable once the
  // socket has broken. Blocks until the message is handed to the connection.
  virtual Status send(const std::string& message) = 0;
  // A normal close (also on destruction); onClose follows.
  virtual void close() = 0;
};

struct ApiSocketHandlers {
  // Each message the server sends, whole and in order, on a client thread.
  std::function<void(std::string message)> onMessage;
  // Once, when the socket has closed: ok for a normal close, Unavailable
  // saying why for a broken one. On a client thread.
  std::function<void(const Status&)> onClose;
};

class ApiClient {
 public:
  // `serverUrl` is "http://host:port" or "https://host:port" (a path prefix
  // is kept); `token`, when not empty, is sent as "Authorization: Bearer T".
  // A server certificate that does not verify (unknown CA, another host's
  // name, expired) makes every call Unavailable saying why and naming
  // --ca-file; a --ca-file that cannot be read or holds no certificate is
  // Invalid on every call.
  ApiClient(std::string serverUrl, std::string token, ApiClientOptions options = {});
  ApiClient(std::string serverUrl, std::string token, std::chrono::milliseconds timeout);
  ~ApiClient();
  ApiClient(const ApiClient&) = delete;
  ApiClient& operator=(const ApiClient&) = delete;

  // `pathAndQuery` is already percent-encoded ("/api/v1/namespaces/a/services").
  // An empty contentType sends no body.
  Result<ApiResponse> call(const std::string& method, const std::string& pathAndQuery,
                           const std::string& body = "", const std::string& contentType = "");

  // Reads a long-lived answer (a watch's NDJSON, logs) line by line as it
  // arrives, without waiting for the end of the body: `onLine` gets each line
  // without its "\n" (or "\r\n"). Returns Ok when the server ends the body
  // or `onLine` returns false (the connection is then closed). A non-2xx
  // answer is the Status its error body says; a connection that breaks is
  // Unavailable; one silent for longer than `idleTimeout` is Timeout. The
  // idle timeout bounds each wait for data, not the whole answer, so a
  // stream with heartbeats lives for ever. Lines that had arrived but were
  // not yet handed over when the connection breaks are lost (cpprestsdk
  // fails every read after the error): a caller resumes from the last line
  // it got, as the events watch does with its `since`.
  Status stream(const std::string& method, const std::string& pathAndQuery,
                const std::function<bool(const std::string& line)>& onLine,
                std::chrono::milliseconds idleTimeout = std::chrono::seconds(45));
  // The same with a request body (an empty contentType sends none).
  Status stream(const std::string& method, const std::string& pathAndQuery,
                const std::string& body, const std::string& contentType,
                const std::function<bool(const std::string& line)>& onLine,
                std::chrono::milliseconds idleTimeout = std::chrono::seconds(45));

  // Opens a WebSocket (ws:// or wss://, as the server URL says) on
  // `pathAndQuery`, asking for `subprotocol`, with the token and the TLS
  // checks of every call. The handshake's refusal comes back as
  // Unavailable with the client's words: the API's error body is not
  // readable through it (ask the same path with call() to learn it).
  Result<std::unique_ptr<ApiSocket>> openSocket(const std::string& pathAndQuery,
                                                const std::string& subprotocol,
                                                ApiSocketHandlers handlers);

  const std::string& serverUrl() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The Status for a non-2xx answer: the code from the HTTP status, message
// and details from {"error":{"message","details":[{"field","message"}]}}.
// A body of another shape still gives a message naming the HTTP status.
// A 429 is TooManyRequests; its `retryAfter` header (seconds), when the
// message does not say it already, is added as "; retry after N s".
Status statusFromErrorBody(int httpStatus, const std::string& body,
                           const std::string& retryAfter = "");

// Percent-encodes everything but RFC 3986's unreserved characters, for a
// path segment or a query value.
std::string urlEncode(const std::string& text);

}  // namespace tender
