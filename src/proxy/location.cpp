#include "proxy/location.hpp"

#include <algorithm>

namespace p2psip::proxy {

void memory_location::fetch(const std::string& aor, wall_clock::time_point now,
                            fetch_handler done) {
  const auto it = by_aor_.find(aor);
  if (it == by_aor_.end()) return done({}, {});
  auto& bindings = it->second;
  // Expired bindings are dropped when read, so nothing needs a sweep timer.
  std::erase_if(bindings, [now](const binding& b) { return b.expires <= now; });
  if (bindings.empty()) {
    by_aor_.erase(it);
    return done({}, {});
  }
  done(bindings, {});
}

void memory_location::store(const std::string& aor, std::vector<binding> bindings,
                            store_handler done) {
  if (bindings.empty()) {
    by_aor_.erase(aor);
  } else {
    by_aor_[aor] = std::move(bindings);
  }
  done({});
}

}  // namespace p2psip::proxy
