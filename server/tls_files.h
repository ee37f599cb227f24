// loadServerTls: `tender serve`'s --tls-cert and --tls-key files read and
// loaded into the HTTP server's TLS context, each error naming its flag.
#pragma once

#include <memory>
#include <string>

#include "api/tls_context.h"
#include "base/status.h"

namespace tender {

// The context for the HTTPS listeners. Errors name the flag and the file:
// one that cannot be read (missing, not this user's), a key file that other
// users may read (with the chmod that fixes it, as readPrivateFile says), a
// file that is not PEM of the right kind, a key that is not the
// certificate's.
Result<std::shared_ptr<TlsContext>> loadServerTls(const std::string& certFile,
                                                  const std::string& keyFile);

}  // namespace tender
