// What the server and the client agree on about the state directory: where
// it is by default, and the name of the admin token the server keeps in it.
#pragma once

namespace tender {

inline constexpr char kDefaultStateDir[] = ".tender";
// The state directory of the Debian package's daemon and of the image
// (their config says stateDir: /var/lib/tender).
inline constexpr char kInstalledStateDir[] = "/var/lib/tender";
// `<state dir>/admin.token`: the token of the admin principal (every
// namespace), written by `tender serve` with mode 0600 and read by the CLI
// of whoever may read it.
inline constexpr char kAdminTokenFile[] = "admin.token";

}  // namespace tender
