// The overlay side of a p2psipd node (the "peer" role): an OpenDHT node on
// the node's io_context, the signed-record store over it, and the location
// store the registrar and proxy use. sip_server is given location() and
// tokens(); once its sockets are bound, set_sip_endpoint() says where other
// nodes reach this one.
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/udp.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "node/gateways.hpp"
#include "node/overlay_location.hpp"
#include "node/proxy_peers.hpp"
#include "node/service_directory.hpp"
#include "node/state_dir.hpp"
#include "overlay/opendht/opendht_node.hpp"
#include "overlay/record_store.hpp"
#include "proxy/flow_token.hpp"
#include "transport/endpoint.hpp"

namespace p2psip::node {

struct peer_settings {
  std::string overlay_id;
  asio::ip::udp::endpoint dht_bind;
  std::vector<asio::ip::udp::endpoint> bootstrap;
  std::vector<std::string> bootstrap_names;  // "host:port"
  // The "client" role: the DHT node stores and routes nothing for others.
  bool client = false;
  std::filesystem::path state_dir;
  // How often the bindings of this node's phones are put into the overlay
  // again: the longest a binding stays lost after all its storers died.
  std::chrono::seconds republish_every{300};
  // How often the routing table is read to tell joining and leaving.
  std::chrono::seconds membership_every{2};
  // The keys of the proxy-peer service record (proxy_peers).
  unsigned proxy_peer_density = 4;
  // The keys of the relay service record, and how many relays a read of
  // them looks for (a user is handed that many).
  unsigned relay_density = 4;
  std::size_t relays_wanted = 3;
};

class peer {
 public:
  // Reads flow.secret from the state directory (creating it).
  peer(asio::io_context& io, peer_settings settings, peer_identity identity);
  ~peer();

  // Throws std::system_error when the DHT socket cannot be bound.
  void start();
  void stop();
  // Where the nodes that route to this node's phones send their requests:
  // this node's TLS endpoint, where nodes authenticate each other (a dead
  // node is also seen at once, as a refused connection); at `advertise` (a
  // URI host) rather than the listening address when it is given.
  void set_sip_endpoint(const transport::endpoint& e, const std::string& advertise = {});
  // Called each time this node, having known no other, comes to know some:
  // what it stored alone must be put where the overlay will look for it.
  void when_joined(std::function<void()> f) { joined_.push_back(std::move(f)); }
  // First contacts found after start (srv_bootstrap).
  void add_bootstrap(const std::vector<asio::ip::udp::endpoint>& contacts) {
    dht_->add_bootstrap(contacts);
  }

  proxy::location_store& location() { return *location_; }
  const overlay_location& bindings() const { return *location_; }
  overlay_location& bindings() { return *location_; }
  const proxy::flow_tokens& tokens() const { return tokens_; }
  overlay::record_store& records() { return *records_; }
  node::proxy_peers& proxy_peers() { return *proxy_peers_; }
  // The relay agent peers, "turn:<overlay>" (relay_role, get_relay).
  service_directory& relays() { return *relays_; }
  // The gateway peers, "tel:<overlay>" (number_routing, gateway_role).
  node::gateways& gateways() { return *gateways_; }
  // The URI other nodes send to this node at: its node-link endpoint.
  const std::string& link_uri() const { return link_uri_; }
  const overlay::opendht_node& dht() const { return *dht_; }
  const overlay::record_verifier& verifier() const { return *verifier_; }
  const std::string& overlay_id() const { return settings_.overlay_id; }

 private:
  void schedule_republish();
  void watch_membership();

  peer_settings settings_;
  asio::steady_timer republish_timer_;
  std::mt19937_64 random_{std::random_device{}()};
  asio::steady_timer membership_timer_;
  std::size_t known_nodes_ = 0;
  proxy::flow_tokens tokens_;
  std::shared_ptr<const overlay::record_verifier> verifier_;
  std::unique_ptr<overlay::opendht_node> dht_;
  std::unique_ptr<overlay::record_store> records_;
  std::unique_ptr<overlay_location> location_;
  std::unique_ptr<node::proxy_peers> proxy_peers_;
  std::unique_ptr<service_directory> relays_;
  std::unique_ptr<node::gateways> gateways_;
  std::string link_uri_;
  std::vector<std::function<void()>> joined_;
};

}  // namespace p2psip::node
