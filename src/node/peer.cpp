#include "node/peer.hpp"

#include <spdlog/spdlog.h>

#include <asio/ip/address.hpp>

#include "overlay/record_verifier.hpp"

namespace p2psip::node {
namespace {

overlay::opendht_config dht_config(const peer_settings& s) {
  overlay::opendht_config c;
  c.overlay_id = s.overlay_id;
  c.bind = s.dht_bind;
  c.bootstrap = s.bootstrap;
  c.bootstrap_names = s.bootstrap_names;
  c.client = s.client;
  c.state_dir = s.state_dir.empty() ? std::filesystem::path{} : s.state_dir / "dht";
  // Nodes of a local overlay share one source address; OpenDHT's per-IP
  // request limit would throttle them as one abusive peer.
  c.unlimited_peer_requests = s.dht_bind.address().is_loopback();
  return c;
}

// The node id a node certificate names ("urn:p2psip:node:<id>").
std::string node_id_of(const identity::certificate& cert) {
  const auto prefix = identity::node_uri("");
  for (const auto& name : cert.uri_names())
    if (name.starts_with(prefix)) return name.substr(prefix.size());
  return {};
}

}  // namespace

peer::peer(asio::io_context& io, peer_settings settings, peer_identity identity)
    : settings_(std::move(settings)),
      republish_timer_(io),
      membership_timer_(io),
      tokens_(load_or_create_secret(settings_.state_dir / "flow.secret")) {
  verifier_ = std::make_shared<const overlay::record_verifier>(
      settings_.overlay_id, identity::trust_anchor(std::move(identity.ca)));
  auto now = [] { return overlay::wall_clock::now(); };
  dht_ = std::make_unique<overlay::opendht_node>(io, dht_config(settings_),
                                                 overlay::storage_policies(verifier_, now));
  records_ = std::make_unique<overlay::record_store>(*dht_, verifier_, now);
  proxy_peers_ = std::make_unique<node::proxy_peers>(
      io, *records_, identity.signer, node_id_of(identity.signer.cert),
      proxy_peers_settings{settings_.overlay_id, settings_.proxy_peer_density});
  // A relay that fails is withdrawn by its relay peer at once; readers see
  // that within the short cache, so users are not handed a dead relay for
  // long. A relay peer that dies cannot withdraw: its record, put every
  // 20 s, is gone a minute later by itself.
  relays_ = std::make_unique<service_directory>(
      io, *records_, identity.signer, node_id_of(identity.signer.cert),
      service_directory_settings{.overlay_id = settings_.overlay_id,
                                 .service = "turn:" + settings_.overlay_id,
                                 .density = settings_.relay_density,
                                 .refresh = std::chrono::seconds{20},
                                 .cache_for = std::chrono::seconds{5},
                                 .want = settings_.relays_wanted});
  gateways_ = std::make_unique<node::gateways>(
      io, *records_, identity.signer, node_id_of(identity.signer.cert),
      gateways_settings{.overlay_id = settings_.overlay_id});
  location_ = std::make_unique<overlay_location>(io, *records_, std::move(identity.signer), tokens_,
                                                 overlay_location_settings{});
}

peer::~peer() {
  location_.reset();
  gateways_.reset();
  relays_.reset();
  proxy_peers_.reset();
  records_.reset();
}

void peer::start() {
  dht_->start();
  schedule_republish();
  watch_membership();
}

void peer::stop() {
  republish_timer_.cancel();
  membership_timer_.cancel();
  dht_->stop();
}

// Rounds come at most republish_every apart (the longest a record whose
// storers died waits to be put again), each at a random 3/4 to all of it:
// nodes started together would otherwise put everything in the same second
// forever. A round is spread over half the period.
void peer::schedule_republish() {
  const auto period =
      std::chrono::duration_cast<std::chrono::milliseconds>(settings_.republish_every);
  std::uniform_int_distribution<std::int64_t> jitter(0, period.count() / 4);
  republish_timer_.expires_after(period - std::chrono::milliseconds(jitter(random_)));
  republish_timer_.async_wait([this, period](std::error_code ec) {
    if (ec) return;
    location_->republish(proxy::wall_clock::now(), period / 2);
    schedule_republish();
  });
}

// A node that knew no other one stored its phones' bindings alone; once
// others answer, those bindings are put where the overlay will look for
// them, at once rather than at the next round.
void peer::watch_membership() {
  membership_timer_.expires_after(settings_.membership_every);
  membership_timer_.async_wait([this](std::error_code ec) {
    if (ec) return;
    const auto known = dht_->stats().known_nodes;
    if (known != known_nodes_) {
      if (known_nodes_ == 0) {
        spdlog::info("overlay {}: joined, {} other nodes known", settings_.overlay_id, known);
        location_->republish(proxy::wall_clock::now());
        for (const auto& f : joined_) f();
      } else if (known == 0) {
        spdlog::warn("overlay {}: no other node known; storing alone", settings_.overlay_id);
      } else {
        spdlog::debug("overlay {}: {} other nodes known (was {})", settings_.overlay_id, known,
                      known_nodes_);
      }
      known_nodes_ = known;
    }
    watch_membership();
  });
}

void peer::set_sip_endpoint(const transport::endpoint& e, const std::string& advertise) {
  std::string host = !advertise.empty()  ? advertise
                     : e.address.is_v6() ? "[" + e.address.to_string() + "]"
                                         : e.address.to_string();
  host += ":" + std::to_string(e.port);
  if (e.proto == transport::protocol::tcp) host += ";transport=tcp";
  if (e.proto == transport::protocol::tls) host += ";transport=tls";
  link_uri_ = "sip:" + host;
  location_->set_path_host(std::move(host));
}

}  // namespace p2psip::node
