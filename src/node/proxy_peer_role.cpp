#include "node/proxy_peer_role.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace p2psip::node {
namespace {

constexpr auto watch_every = std::chrono::seconds(2);

// A name as DNS writes it absolutely.
std::string absolute(std::string name) {
  if (!name.empty() && name.back() != '.') name += '.';
  return name;
}

// How far an address reaches: a loopback address only this host, a
// private one (RFC 1918, RFC 6598, RFC 4193) only its network.
enum class reach : std::uint8_t { none, host, site, public_internet };

reach reach_of(const asio::ip::address& a) {
  if (a.is_unspecified()) return reach::none;
  if (a.is_loopback()) return reach::host;
  if (a.is_v6()) {
    const auto v6 = a.to_v6();
    if (v6.is_link_local() || v6.is_multicast()) return reach::none;
    if (v6.is_v4_mapped()) return reach_of(asio::ip::make_address_v4(asio::ip::v4_mapped, v6));
    return (v6.to_bytes()[0] & 0xfe) == 0xfc ? reach::site : reach::public_internet;
  }
  const auto b = a.to_v4().to_bytes();
  if (b[0] == 169 && b[1] == 254) return reach::none;
  if (a.to_v4().is_multicast()) return reach::none;
  const bool site = b[0] == 10 || (b[0] == 172 && (b[1] & 0xf0) == 16) ||
                    (b[0] == 192 && b[1] == 168) || (b[0] == 100 && (b[1] & 0xc0) == 64);
  return site ? reach::site : reach::public_internet;
}

}  // namespace

std::variant<std::optional<proxy_peer_dns>, std::string> proxy_peer_dns_settings(
    const node_config& c, const std::vector<transport::endpoint>& local) {
  if (!c.dns_update_server) return std::optional<proxy_peer_dns>{};
  auto key = dns::read_tsig_key(c.dns_tsig_key);
  if (!key) return key.error;
  proxy_peer_dns out;
  out.server.server = {asio::ip::make_address(c.dns_update_server->host),
                       c.dns_update_server->port};
  out.key = std::move(key.key);
  auto& p = out.presence;
  p.overlay = absolute(c.overlay);
  p.zone = absolute(c.dns_zone.empty() ? c.overlay : c.dns_zone);
  p.ttl = c.dns_ttl;
  p.self.name = absolute(c.proxy_peer_name);
  out.zone.server = {out.server.server.address(), out.server.server.port()};
  out.stewardship.overlay = p.overlay;
  out.stewardship.self_name = p.self.name;
  out.stewardship.remove_after = c.steward_after;
  // A few checks fit in the time a dead peer may stay.
  out.stewardship.check_every = std::clamp<std::chrono::milliseconds>(
      c.steward_after / 4, std::chrono::seconds(1), std::chrono::seconds(10));
  out.stewardship.probe.timeout = std::min<std::chrono::milliseconds>(
      out.stewardship.probe.timeout, out.stewardship.check_every / 2);
  for (const auto& e : local) {
    auto address = e.address;
    if (!c.sip_advertise.empty()) {
      auto host = c.sip_advertise;
      if (host.front() == '[') host = host.substr(1, host.size() - 2);
      address = asio::ip::make_address(host);
    }
    // §3.1.1: only an address the zone's readers can reach goes in: none
    // narrower than the primary's own (a loopback or private primary is a
    // test bed or a private deployment, whose readers are as near).
    if (reach_of(address) < std::max(reach_of(out.server.server.address()), reach::host)) {
      spdlog::warn("proxy peer: {} is not published in DNS: it is not reachable from where {} is",
                   address.to_string(), out.server.server.address().to_string());
      continue;
    }
    if (std::find(p.self.addresses.begin(), p.self.addresses.end(), address) ==
        p.self.addresses.end())
      p.self.addresses.push_back(address);
    auto& port = e.proto == transport::protocol::udp   ? p.self.ports.udp
                 : e.proto == transport::protocol::tcp ? p.self.ports.tcp
                                                       : p.self.ports.tls;
    if (!port) port = e.port;
  }
  if (p.self.addresses.empty()) {
    spdlog::warn("proxy peer: no address the public side can reach; staying out of DNS zone {}",
                 p.zone);
    return std::optional<proxy_peer_dns>{};
  }
  return std::optional<proxy_peer_dns>(std::move(out));
}

proxy_peer_role::proxy_peer_role(asio::io_context& io, proxy_peers& peers,
                                 std::string node_link_uri, std::optional<proxy_peer_dns> dns,
                                 std::function<std::size_t()> overlay_nodes)
    : peers_(peers),
      node_link_uri_(std::move(node_link_uri)),
      overlay_nodes_(std::move(overlay_nodes)),
      watch_timer_(io) {
  if (!dns) return;
  client_ = std::make_unique<dns::update_client>(io, dns->server, std::move(dns->key));
  presence_ = std::make_unique<dns::presence>(io, *client_, std::move(dns->presence));
  zone_ = std::make_unique<dns::zone_reader>(io, dns->zone);
  election_probe_ = std::make_unique<sip_probe>(io, dns->stewardship.probe);
  steward_ = std::make_unique<node::steward>(
      io, lowest_node_id(peers_, peers_.node_id(), election_probe_.get()), *zone_, *presence_,
      std::move(dns->stewardship));
}

proxy_peer_role::~proxy_peer_role() {
  watch_timer_.cancel();
  if (steward_) steward_->stop();
}

void proxy_peer_role::start() {
  peers_.offer(node_link_uri_);
  knew_others_ = overlay_nodes_() > 0;
  if (presence_) {
    presence_->start();
    steward_->start();
    in_dns_ = true;
  }
  watch_overlay();
}

// A proxy peer cut off from the overlay cannot route a public call to its
// users: it leaves DNS until it finds the overlay again.
void proxy_peer_role::watch_overlay() {
  watch_timer_.expires_after(watch_every);
  watch_timer_.async_wait([this](std::error_code ec) {
    if (ec || stopping_) return;
    const bool knows_others = overlay_nodes_() > 0;
    if (presence_ && knew_others_ && !knows_others && in_dns_) {
      spdlog::warn("proxy peer: lost the overlay, leaving DNS zone {}",
                   presence_->settings().overlay);
      in_dns_ = false;
      presence_->withdraw([](std::error_code) {});
    } else if (presence_ && knows_others && !in_dns_) {
      spdlog::info("proxy peer: the overlay is back, publishing in DNS again");
      in_dns_ = true;
      presence_->start();
    }
    if (knows_others) knew_others_ = true;
    watch_overlay();
  });
}

void proxy_peer_role::stop(std::function<void()> done) {
  stopping_ = true;
  watch_timer_.cancel();
  if (steward_) steward_->stop();
  auto left = std::make_shared<int>(presence_ && in_dns_ ? 2 : 1);
  auto one_done = [left, done = std::move(done)](std::error_code) {
    if (--*left == 0) done();
  };
  peers_.withdraw(one_done);
  if (presence_ && in_dns_) {
    in_dns_ = false;
    presence_->withdraw([one_done](std::error_code ec) {
      if (ec) spdlog::warn("proxy peer: DNS records not removed: {}", ec.message());
      one_done(ec);
    });
  }
}

}  // namespace p2psip::node
