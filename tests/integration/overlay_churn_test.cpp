// The overlay at scale, in one process: 120 real OpenDHT nodes on
// 127.0.0.1, 240 users each registered through a home node, then 30% of the
// nodes killed without warning. Every binding still within its lifetime
// must still be found, from random surviving nodes: those whose home node
// was killed too, since the DHT stored them on other nodes.
//
// And the service density: a well-known service stored under one key is
// served by the same few nodes for every lookup; stored under D keys and
// looked up at a random one first, the load spreads.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <optional>

#include "identity/authority.hpp"
#include "overlay/record_store.hpp"
#include "support/overlay_swarm.hpp"

namespace p2psip::overlay::testing {
namespace {

constexpr const char* overlay_id = "p2psip.test";

struct churn : ::testing::Test {
  asio::io_context io;
  identity::certificate_authority ca = identity::certificate_authority::create(overlay_id);
  std::shared_ptr<record_verifier> verifier =
      std::make_shared<record_verifier>(overlay_id, identity::trust_anchor{ca.cert()});
  std::function<wall_clock::time_point()> clock = [] { return wall_clock::now(); };
  overlay_swarm swarm{io, overlay_id, storage_policies(verifier, clock), 7};
  std::vector<std::unique_ptr<record_store>> stores;

  void start(std::size_t nodes) {
    auto took = swarm.start(nodes, std::chrono::seconds{90});
    std::cout << nodes << " nodes ready in " << took.count() << " ms\n";
    for (std::size_t i = 0; i < swarm.size(); ++i)
      stores.push_back(std::make_unique<record_store>(swarm.node(i), verifier, clock));
  }

  // Runs until `pending` reaches zero or `limit` passes.
  void wait(const std::size_t& pending, std::chrono::seconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (pending > 0 && std::chrono::steady_clock::now() < deadline)
      io.run_for(std::chrono::milliseconds{50});
  }

  static std::string aor(std::size_t user) {
    return "sip:user" + std::to_string(user) + "@p2psip.test";
  }
};

TEST_F(churn, every_unexpired_binding_is_found_after_30_percent_are_killed) {
  constexpr std::size_t nodes = 120, users = 240;
  start(nodes);

  std::vector<std::size_t> home(users);
  std::vector<unix_seconds> expires_at(users);
  std::vector<signer> signers;
  std::size_t pending = users, published = 0;
  for (std::size_t u = 0; u < users; ++u) {
    identity::issued cert = ca.issue_user(aor(u));
    signers.push_back(signer{cert.key, cert.cert});
    home[u] = u % nodes;
    expires_at[u] = std::chrono::duration_cast<std::chrono::seconds>(
                        (wall_clock::now() + std::chrono::hours{1}).time_since_epoch())
                        .count();
    binding_record b{
        .aor = aor(u),
        .contact = "sip:user" + std::to_string(u) + "@192.0.2.1:" + std::to_string(10000 + u),
        .path = {"sip:node" + std::to_string(home[u]) + "@127.0.0.1;lr"},
        .instance = "",
        .reg_id = 0,
        .q = 1000,
        .expires_at = expires_at[u]};
    stores[home[u]]->publish(signers.back(), b, [&](std::error_code ec) {
      --pending;
      published += ec ? 0 : 1;
    });
  }
  wait(pending, std::chrono::seconds{120});
  EXPECT_EQ(published, users) << "publications confirmed by reading back";

  // Looks every user in `who` up from a random live node; returns those
  // found with their own contact.
  auto find_all = [&](const std::vector<std::size_t>& who) {
    std::size_t left = who.size();
    std::vector<std::size_t> found;
    for (std::size_t u : who) {
      stores[swarm.random_live()]->lookup_bindings(aor(u), [&, u](auto result, std::error_code) {
        auto valid = valid_records(result);
        if (valid.size() == 1 && valid[0].contact.ends_with(":" + std::to_string(10000 + u)))
          found.push_back(u);
        --left;
      });
    }
    wait(left, std::chrono::seconds{180});
    EXPECT_EQ(left, 0u) << "lookups that never finished";
    return found;
  };

  std::vector<std::size_t> everyone(users);
  std::iota(everyone.begin(), everyone.end(), 0);
  std::size_t before = find_all(everyone).size();
  std::cout << "before the kill: " << before << "/" << users << " found\n";
  EXPECT_EQ(before, users);

  std::vector<std::size_t> killed = swarm.kill(0.3);
  const auto now =
      std::chrono::duration_cast<std::chrono::seconds>(wall_clock::now().time_since_epoch())
          .count();
  std::vector<std::size_t> unexpired, home_killed;
  for (std::size_t u = 0; u < users; ++u) {
    if (expires_at[u] <= now) continue;
    unexpired.push_back(u);
    if (!swarm.alive(home[u])) home_killed.push_back(u);
  }
  ASSERT_EQ(unexpired.size(), users) << "every binding was published for an hour";
  const auto found = find_all(unexpired);
  const auto after = found.size();
  const auto after_home_killed = static_cast<std::size_t>(std::count_if(
      found.begin(), found.end(), [&](std::size_t u) { return !swarm.alive(home[u]); }));
  std::cout << "after killing " << killed.size() << " of " << nodes << " nodes: " << after << "/"
            << unexpired.size() << " unexpired bindings found, " << after_home_killed << "/"
            << home_killed.size() << " of them with a killed home node\n";
  EXPECT_EQ(after, unexpired.size());
  EXPECT_EQ(after_home_killed, home_killed.size());
}

// max/mean of get requests served per node while `lookups` find_service
// calls run from random nodes.
double lookup_spread(churn& t, const std::string& service, unsigned density, std::size_t lookups) {
  std::vector<std::uint64_t> before(t.swarm.size());
  for (std::size_t i = 0; i < t.swarm.size(); ++i)
    before[i] = t.swarm.node(i).stats().lookups_served;
  std::size_t left = lookups, ok = 0;
  for (std::size_t n = 0; n < lookups; ++n) {
    t.stores[t.swarm.random_live()]->find_service(service, density, 1,
                                                  [&](auto found, std::error_code) {
                                                    ok += valid_records(found).empty() ? 0 : 1;
                                                    --left;
                                                  });
    t.io.poll();
  }
  t.wait(left, std::chrono::seconds{120});
  EXPECT_EQ(ok, lookups) << service;
  std::vector<double> served;
  for (std::size_t i = 0; i < t.swarm.size(); ++i)
    served.push_back(static_cast<double>(t.swarm.node(i).stats().lookups_served - before[i]));
  double mean =
      std::accumulate(served.begin(), served.end(), 0.0) / static_cast<double>(served.size());
  double max = *std::max_element(served.begin(), served.end());
  std::cout << service << " density " << density << ": " << lookups
            << " lookups, served per node max " << max << " mean " << mean << " max/mean "
            << max / mean << "\n";
  return max / mean;
}

TEST_F(churn, a_service_stored_under_several_keys_spreads_its_lookups) {
  start(120);
  identity::issued node_cert = ca.issue_node("node-0", false);
  signer node{node_cert.key, node_cert.cert};
  auto expires = std::chrono::duration_cast<std::chrono::seconds>(
                     (wall_clock::now() + std::chrono::minutes{30}).time_since_epoch())
                     .count();
  std::size_t pending = 2;
  // Each service offers URIs of its own scheme: the storers refuse a TURN
  // service naming a SIP URI.
  struct offer {
    const char* service;
    unsigned density;
    const char* uri;
  };
  for (const auto& [service, density, uri] :
       {offer{"sip:p2psip.test", 1u, "sip:127.0.0.1:5060"},
        offer{"turn:p2psip.test", 8u, "turn:127.0.0.1:3478"}}) {
    service_record svc{.service = service,
                       .index = 0,
                       .node_id = "node-0",
                       .uris = {uri},
                       .capacity = 100,
                       .load = 0,
                       .realm = "",
                       .auth_scheme = "",
                       .expires_at = expires};
    stores[0]->publish(node, svc, density, [&](std::error_code ec) {
      EXPECT_FALSE(ec) << ec.message();
      --pending;
    });
  }
  wait(pending, std::chrono::seconds{60});
  ASSERT_EQ(pending, 0u);

  double single = lookup_spread(*this, "sip:p2psip.test", 1, 300);
  double spread = lookup_spread(*this, "turn:p2psip.test", 8, 300);
  EXPECT_LT(spread, single * 0.6)
      << "density 8 should take at least 40% off the busiest node's share";
}

}  // namespace
}  // namespace p2psip::overlay::testing
