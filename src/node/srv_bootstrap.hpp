// Bootstrapping from DNS (concepts §3.4.4): a node that knows no other node
// of its overlay finds some through the SRV records of the overlay's name,
// beside the configured contacts and the saved routing table.
//
// The name is _p2psip._udp.<overlay>: RFC 2782's _Service._Proto form, with
// "p2psip" as the service (the one the overlay's nodes offer) and "udp" as
// the DHT's transport. RFC 6940 §11.1 does the same for RELOAD with
// _reload-config._tcp.<overlay>, which finds a configuration server rather
// than nodes; our nodes need nothing but a first contact.
//
// Each SRV target's A records, at the record's port, are handed over as
// contacts (IPv4: the DHT speaks IPv4 only) as they come in. Every target
// is contacted at once, whatever its priority and weight: a contact costs
// one ping, and any node that answers is enough to join. A target of "."
// says there is no such service (RFC 2782). While the node still knows
// no other one, the records are asked again every `retry_every` (the
// resolver's cache keeps that to one question per TTL).
//
// Runs on the resolver's loop; destroying the object drops every pending
// answer, which then calls nothing.
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/udp.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dns/resolver.hpp"

namespace p2psip::node {

std::string srv_bootstrap_name(std::string_view overlay);

struct srv_bootstrap_settings {
  std::string name;  // srv_bootstrap_name(overlay)
  std::chrono::seconds retry_every{30};
};

class srv_bootstrap {
 public:
  struct counters {
    std::uint64_t lookups = 0;   // SRV questions asked
    std::uint64_t failures = 0;  // SRV or A questions without a usable answer
    std::uint64_t contacts = 0;  // endpoints handed over
  };
  using contacts_handler = std::function<void(const std::vector<asio::ip::udp::endpoint>&)>;

  // `joined` tells whether the node knows another node; `found` receives
  // the contacts of each SRV target as its addresses come in.
  srv_bootstrap(asio::io_context& io, dns::resolver& dns, srv_bootstrap_settings settings,
                std::function<bool()> joined, contacts_handler found);
  srv_bootstrap(const srv_bootstrap&) = delete;
  srv_bootstrap& operator=(const srv_bootstrap&) = delete;

  void start();
  const counters& stats() const { return counters_; }

 private:
  void look_up();
  void on_srv(std::error_code ec, const dns::answer& answer);
  void schedule_retry();

  dns::resolver& dns_;
  srv_bootstrap_settings settings_;
  std::function<bool()> joined_;
  contacts_handler found_;
  asio::steady_timer retry_;
  counters counters_;
  // Handlers hold it weakly: answers that come after destruction find it gone.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace p2psip::node
