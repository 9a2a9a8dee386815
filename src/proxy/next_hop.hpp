// Where a forwarded request goes when its next hop names a host rather than
// an address (RFC 3261 §16.6 step 7, RFC 3263 §4): the proxy asks a
// next_hop_resolver for the destinations, best first, and walks them when
// one fails (§4.3). The resolver is the node's: DNS for public domains, the
// overlay's proxy-peer records for the overlay identifier.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "proxy/processor.hpp"
#include "transport/endpoint.hpp"

namespace p2psip::proxy {

// RFC 3263 §4.3: how a destination failed, for the resolver to remember.
enum class hop_failure : std::uint8_t { timeout, transport_error, service_unavailable };

class next_hop_resolver {
 public:
  using done_handler =
      std::function<void(std::vector<transport::endpoint> hops, resolve_failure why)>;
  virtual ~next_hop_resolver() = default;
  // The destinations for the SIP or SIPS URI `uri` (a Route or a
  // Request-URI), best first. `done` is called exactly once, possibly before
  // resolve() returns (an answer from a cache); never after the resolver is
  // destroyed.
  virtual void resolve(const std::string& uri, done_handler done) = 0;
  // A transaction to `hop` failed; `retry_after` from a 503's Retry-After.
  virtual void failed(const transport::endpoint& hop, hop_failure why,
                      std::optional<std::chrono::seconds> retry_after) = 0;
};

// The last processor of the chain: gives every target whose next hop is a
// host name its destinations (target::hops), and drops the targets that
// have none. With none left the caller is told why.
class next_hop_resolution final : public processor {
 public:
  explicit next_hop_resolution(next_hop_resolver& resolver) : resolver_(resolver) {}
  std::string_view name() const override { return "next-hop-resolution"; }
  processor_result process(request_context& ctx, proxy_core& core) override;

 private:
  void resolved(transaction_id server, std::size_t target_index,
                std::vector<transport::endpoint> hops, resolve_failure why, proxy_core& core);

  next_hop_resolver& resolver_;
};

}  // namespace p2psip::proxy
