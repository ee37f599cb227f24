// Key::parse: "kind/namespace/name" back into a Key (controller/reconciler.h).
#include "controller/reconciler.h"

namespace tender {

Key Key::parse(const std::string& s) {
  auto a = s.find('/');
  if (a == std::string::npos) return {};
  auto b = s.find('/', a + 1);
  if (b == std::string::npos) return {};
  return Key{s.substr(0, a), s.substr(a + 1, b - a - 1), s.substr(b + 1)};
}

}  // namespace tender
