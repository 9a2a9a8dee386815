// Where a node's forwarded requests go when their next hop names a host
// (proxy::next_hop_resolver): the overlay's own name leads to one of its
// proxy peers, found in the overlay (interwork §3.1: a Route or a
// Request-URI naming the overlay is "any proxy peer"); any other name is
// resolved by RFC 3263 through DNS. A node without DNS (no [dns] and no
// resolv.conf) still reaches the proxy peers.
#pragma once

#include <string>

#include "dns/locator.hpp"
#include "node/proxy_peers.hpp"
#include "proxy/next_hop.hpp"

namespace p2psip::node {

class next_hops final : public proxy::next_hop_resolver {
 public:
  // Both outlive this object; either may be null (then that kind of name
  // has no destination).
  next_hops(std::string overlay_id, proxy_peers* peers, dns::locator* dns);

  void resolve(const std::string& uri, done_handler done) override;
  void failed(const transport::endpoint& hop, proxy::hop_failure why,
              std::optional<std::chrono::seconds> retry_after) override;

 private:
  bool names_overlay(const std::string& uri) const;

  std::string overlay_id_;
  proxy_peers* peers_;
  dns::locator* dns_;
};

}  // namespace p2psip::node
