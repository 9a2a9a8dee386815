// The proxy-peer role of a node (interwork §3.1, §3.1.1, §3.3.1): what
// makes it the overlay's door to conventional SIP besides its request
// chain (proxy::interworking). It offers itself to the overlay's nodes as
// a proxy peer (proxy_peers), and, with [dns] update_server, puts itself in
// the overlay's DNS zone so public SIP servers find it (dns::presence).
//
// It is present only while it can serve: it withdraws from both when the
// node stops, and from DNS when the node loses the overlay (it knew other
// nodes and knows none now: a call from the public side could not be
// routed), coming back when the overlay does. A refused DNS update is
// logged, counted and retried by dns::presence; it never stops SIP. With
// DNS it also takes its turn as the zone's steward (steward.hpp): the one
// proxy peer that removes the records of a dead one.
#pragma once

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <variant>
#include <vector>

#include "dns/presence.hpp"
#include "dns/update.hpp"
#include "dns/zone_query.hpp"
#include "node/config.hpp"
#include "node/proxy_peers.hpp"
#include "node/steward.hpp"

namespace p2psip::node {

struct proxy_peer_dns {
  dns::update_settings server;
  dns::tsig_key key;
  dns::presence_settings presence;
  // The steward's reads of the zone's primary, and its pace.
  dns::query_settings zone;
  steward_settings stewardship;
};

// The DNS side of a proxy peer as the configuration and its listeners say
// ([dns], [proxy_peer] name, the addresses and ports it listens on, or
// [sip] advertise): nullopt without [dns] update_server; an error (one
// line naming the key file) when the TSIG key cannot be used.
std::variant<std::optional<proxy_peer_dns>, std::string> proxy_peer_dns_settings(
    const node_config& c, const std::vector<transport::endpoint>& local);

class proxy_peer_role {
 public:
  // `peers` outlives this object. `overlay_nodes` says how many other
  // nodes the overlay knows now. Without `dns` the role stays out of DNS
  // (an operator may publish the proxy peers there by hand).
  proxy_peer_role(asio::io_context& io, proxy_peers& peers, std::string node_link_uri,
                  std::optional<proxy_peer_dns> dns, std::function<std::size_t()> overlay_nodes);
  ~proxy_peer_role();

  void start();
  // Withdraws from the overlay and DNS; `done` once both are done or failed,
  // on the loop.
  void stop(std::function<void()> done);

  const dns::presence* presence() const { return presence_.get(); }
  const node::steward* steward() const { return steward_.get(); }
  const dns::update_client* dns_client() const { return client_.get(); }
  bool in_dns() const { return in_dns_; }

 private:
  void watch_overlay();

  proxy_peers& peers_;
  std::string node_link_uri_;
  std::function<std::size_t()> overlay_nodes_;
  std::unique_ptr<dns::update_client> client_;
  std::unique_ptr<dns::presence> presence_;
  std::unique_ptr<dns::zone_reader> zone_;
  std::unique_ptr<sip_probe> election_probe_;
  std::unique_ptr<node::steward> steward_;
  asio::steady_timer watch_timer_;
  bool knew_others_ = false;
  bool in_dns_ = false;
  bool stopping_ = false;
};

}  // namespace p2psip::node
