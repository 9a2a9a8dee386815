// A node given no bootstrap contact joins its overlay through the SRV
// records of _p2psip._udp.<overlay> that a real BIND9 on loopback serves
// (concepts §3.4.4), and a "." target or a missing name hands over nothing.
#include "node/srv_bootstrap.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <asio/io_context.hpp>
#include <chrono>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "dns/client.hpp"
#include "overlay/opendht/opendht_node.hpp"
#include "support/named_server.hpp"

namespace p2psip::node {
namespace {

using namespace std::chrono_literals;
using udp = asio::ip::udp;

constexpr auto overlay = "srv.p2psip.test";

template <class Predicate>
bool run_until(asio::io_context& io, Predicate done, std::chrono::milliseconds limit) {
  io.restart();
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    io.run_one_for(20ms);
  }
  return true;
}

std::unique_ptr<overlay::opendht_node> dht_node(asio::io_context& io,
                                                std::vector<udp::endpoint> bootstrap) {
  overlay::opendht_config c;
  c.overlay_id = overlay;
  c.bind = {asio::ip::make_address_v4("127.0.0.1"), 0};
  c.bootstrap = std::move(bootstrap);
  c.unlimited_peer_requests = true;
  auto n = std::make_unique<overlay::opendht_node>(io, c, std::vector<overlay::type_policy>{});
  n->start();
  return n;
}

std::unique_ptr<dns::client> resolver_of(asio::io_context& io, const test::named_server& named) {
  dns::client_settings s;
  s.network.servers = {named.server()};
  std::error_code ec;
  auto c = dns::client::create(
      io.get_executor(), s, [random = std::mt19937{7}]() mutable { return random(); }, ec);
  EXPECT_FALSE(ec) << ec.message();
  return c;
}

std::string zone(const std::string& records) {
  return "$TTL 60\n"
         "@ IN SOA ns hostmaster 1 3600 600 86400 60\n"
         "@ IN NS ns\n"
         "ns IN A 127.0.0.1\n" +
         records;
}

TEST(SrvBootstrap, ANodeWithoutContactsJoinsThroughTheSrvTargets) {
  asio::io_context io;
  // Two peers of the overlay; the SRV records name one and a dead port,
  // which costs nothing but an unanswered ping.
  auto first = dht_node(io, {});
  auto second = dht_node(io, {first->local_endpoint()});
  ASSERT_TRUE(run_until(
      io, [&] { return second->stats().good_nodes > 0; }, 10000ms));
  const auto port = std::to_string(second->local_endpoint().port());
  test::named_server named({.zones = {{.name = std::string(overlay) + ".",
                                       .text = zone("_p2psip._udp IN SRV 10 0 " + port +
                                                    " dht1\n"
                                                    "_p2psip._udp IN SRV 20 0 9 dht2\n"
                                                    "dht1 IN A 127.0.0.1\n"
                                                    "dht2 IN A 127.0.0.1\n"),
                                       .update_policy = {}}},
                            .keys = {},
                            .extra_options = {}});
  auto dns = resolver_of(io, named);
  ASSERT_TRUE(dns);

  auto joining = dht_node(io, {});
  std::vector<udp::endpoint> handed;
  srv_bootstrap b(
      io, dns->cached(), {.name = srv_bootstrap_name(overlay), .retry_every = 30s},
      [&] { return joining->stats().known_nodes > 0; },
      [&](const std::vector<udp::endpoint>& contacts) {
        handed.insert(handed.end(), contacts.begin(), contacts.end());
        joining->add_bootstrap(contacts);
      });
  b.start();
  ASSERT_TRUE(run_until(
      io, [&] { return joining->stats().good_nodes >= 2; }, 15000ms))
      << "contacts handed: " << handed.size() << "\n"
      << named.log();
  // Every target, whatever its priority.
  ASSERT_EQ(handed.size(), 2u);
  EXPECT_NE(std::find(handed.begin(), handed.end(), second->local_endpoint()), handed.end());
  EXPECT_NE(
      std::find(handed.begin(), handed.end(), udp::endpoint(second->local_endpoint().address(), 9)),
      handed.end());
  EXPECT_EQ(b.stats().lookups, 1u);
  EXPECT_EQ(b.stats().contacts, 2u);
  EXPECT_EQ(b.stats().failures, 0u);
}

TEST(SrvBootstrap, NoServiceAndNoNameHandOverNothingAndAreAskedAgain) {
  asio::io_context io;
  test::named_server named({.zones = {{.name = std::string(overlay) + ".",
                                       .text = zone("_p2psip._udp IN SRV 0 0 0 .\n"),
                                       .update_policy = {}}},
                            .keys = {},
                            .extra_options = {}});
  auto dns = resolver_of(io, named);
  ASSERT_TRUE(dns);
  std::size_t handed = 0;
  const auto count = [&](const std::vector<udp::endpoint>& c) { handed += c.size(); };
  srv_bootstrap none(
      io, dns->cached(), {.name = srv_bootstrap_name(overlay), .retry_every = 1s},
      [] { return false; }, count);
  srv_bootstrap missing(
      io, dns->cached(), {.name = srv_bootstrap_name("other.p2psip.test"), .retry_every = 1s},
      [] { return false; }, count);
  none.start();
  missing.start();
  // Not joined: both ask again after retry_every.
  ASSERT_TRUE(run_until(
      io, [&] { return none.stats().lookups >= 2 && missing.stats().failures >= 2; }, 5000ms));
  EXPECT_EQ(handed, 0u);
  EXPECT_EQ(none.stats().failures, 0u) << "\".\" is an answer: no service, not a failure";
}

}  // namespace
}  // namespace p2psip::node
