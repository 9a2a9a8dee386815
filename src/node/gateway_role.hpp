// The gateway role (issue 14 §3): a node that owns a trunk to a telephone
// network gateway. Its request chain sends the calls to numbers its
// patterns serve to the trunk (proxy::number_routing, with its trunk); this
// role makes it known: it offers itself to the overlay's nodes as a gateway
// peer ("tel:<overlay>", node::gateways) with its node-link URI and its
// patterns, and withdraws when the node stops.
//
// Credentials for the trunk ([gateway] username, password_file) are read
// and their file checked (only its owner may read it), but a challenge from
// the trunk (401/407) is not answered yet: it goes back to the caller like
// any other final response. docs/configuration.md says so.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "node/config.hpp"
#include "node/gateways.hpp"
#include "proxy/number_routing.hpp"

namespace p2psip::node {

// The trunk of a checked configuration with the gateway role; nullopt
// without the role.
std::optional<proxy::trunk> gateway_trunk(const node_config& c);

// Checks the trunk's password file as the daemon starts: an error (one
// line naming the file) when it cannot be read or others may read it;
// empty when there is none or it is fine.
std::string check_trunk_credentials(const node_config& c);

class gateway_role {
 public:
  // `directory` outlives this object.
  gateway_role(gateways& directory, std::string node_link_uri, proxy::trunk trunk);
  gateway_role(const gateway_role&) = delete;
  gateway_role& operator=(const gateway_role&) = delete;

  void start();
  // Withdraws the record; `done` once stored (or failed), on the loop.
  void stop(std::function<void()> done);

 private:
  gateways& directory_;
  std::string node_link_uri_;
  proxy::trunk trunk_;
};

}  // namespace p2psip::node
