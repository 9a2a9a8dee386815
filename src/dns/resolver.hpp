// The DNS questions the rest of the node asks, as an interface: the c-ares
// resolver answers them from the network, the caching resolver from its
// cache, and tests from a script.
//
// Contract for every implementation:
// - query() never calls `done` itself: `done` runs exactly once, later, on
//   the loop the resolver belongs to, with an answer or an error (error.hpp)
//   — unless the resolver is destroyed first, in which case it never runs.
// - post() runs `f` later on that same loop, under the same rule.
// - Both are called on that loop; neither is thread-safe.
// - The resolver may be destroyed from inside a handler it called.
#pragma once

#include <functional>
#include <string_view>
#include <system_error>

#include "dns/error.hpp"
#include "dns/records.hpp"

namespace p2psip::dns {

using query_handler = std::function<void(std::error_code, answer)>;

class resolver {
 public:
  virtual ~resolver() = default;

  // The records of `type` at `name` (an FQDN: no search list is applied).
  virtual void query(std::string_view name, rr_type type, query_handler done) = 0;

  // Runs `f` later on the resolver's loop (never inside post()).
  virtual void post(std::function<void()> f) = 0;
};

}  // namespace p2psip::dns
