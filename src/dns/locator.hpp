// The RFC 3263 client the proxy calls: a SIP or SIPS URI in, the ordered
// destinations out (rfc3263.hpp computes them; this asks the resolver and
// applies the shared §4.3 failover lists).
//
// Callbacks: `done` never runs inside locate(), even when no DNS is needed
// (an IP literal) or everything is cached; it runs later on the resolver's
// loop (resolver::post, or a query's handler), exactly once — unless the
// locator is destroyed first: destroying it drops every pending `done`
// uncalled. Nothing else is cancelled.
//
// Lifetimes: the resolver must outlive the locator. Call everything on the
// resolver's loop; nothing here is thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <system_error>
#include <vector>

#include "dns/failover_lists.hpp"
#include "dns/resolver.hpp"
#include "dns/rfc3263.hpp"
#include "transport/endpoint.hpp"

namespace p2psip::dns {

// How a transaction to a destination failed (RFC 3263 §4.3).
enum class failure : std::uint8_t { timeout, transport_error, service_unavailable };

class locator {
 public:
  struct settings {
    // The transports the node sends on, most preferred first where the URI
    // and DNS leave the choice (the SRV queries when there is no NAPTR).
    std::vector<transport::protocol> transports{transport::protocol::udp, transport::protocol::tcp,
                                                transport::protocol::tls};
    failover_lists::settings lists;
    resolution_limits limits;
  };
  using clock = std::chrono::steady_clock;
  using done_handler = std::function<void(std::error_code, std::vector<destination>)>;

  locator(resolver& r, settings s, std::function<std::uint32_t()> random,
          std::function<clock::time_point()> now);
  ~locator();
  locator(const locator&) = delete;
  locator& operator=(const locator&) = delete;

  // RFC 3263 §4: the destinations for a SIP or SIPS URI (the next hop's: a
  // Route or the Request-URI), best first, greylisted ones last,
  // blocklisted ones left out. Each call orders SRV records afresh (RFC
  // 2782 weighting) and returns its own list: the caller walks it as the
  // request's failover cursor and tells failed() what went wrong.
  // Errors: bad_uri, unsupported_transport, all_blocklisted, or why DNS
  // gave nothing (resolution::error()); the vector is then empty.
  void locate(std::string_view uri, done_handler done);

  // §4.3: the transaction to `d` failed this way. A timeout or transport
  // error greylists `d`; a 503 blocklists it for `retry_after` (from its
  // Retry-After; without one nothing is listed).
  void failed(const destination& d, failure f,
              std::optional<std::chrono::seconds> retry_after = {});

 private:
  struct state;
  struct request;
  static void advance(const std::shared_ptr<state>& self, const std::shared_ptr<request>& req);
  static void finish(state& self, request& req);

  std::shared_ptr<state> state_;
};

}  // namespace p2psip::dns
