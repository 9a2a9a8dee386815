// opendht_node against real UDP sockets on 127.0.0.1: many nodes in one
// io_context, driven until a condition holds or a deadline passes.
#include "overlay/opendht/opendht_node.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace p2psip::overlay {
namespace {

using namespace std::chrono_literals;
using udp = asio::ip::udp;

std::vector<std::uint8_t> bytes(std::string_view s) {
  return {s.begin(), s.end()};
}

// Counts the storer-side policy decisions of one node.
struct policy_counters {
  int store_refused = 0;
  int edit_refused = 0;
  int edit_accepted = 0;
};

// Refuses payloads starting with 'X'; an edit must raise the first byte
// (a stand-in for a record's sequence number).
type_policy strict_binding(policy_counters* counters = nullptr) {
  return type_policy{value_type::binding, 10min,
                     [counters](const key&, const value& v) {
                       bool ok = v.data.empty() || v.data[0] != 'X';
                       if (!ok && counters) ++counters->store_refused;
                       return ok;
                     },
                     [counters](const key&, const value& stored, const value& replacement) {
                       bool ok = !stored.data.empty() && !replacement.data.empty() &&
                                 replacement.data[0] > stored.data[0];
                       if (counters) ++(ok ? counters->edit_accepted : counters->edit_refused);
                       return ok;
                     }};
}

// Accepts everything: a misbehaving (or differently configured) putter.
type_policy lax_binding() {
  return type_policy{
      value_type::binding, 10min, {}, [](const key&, const value&, const value&) { return true; }};
}

class temp_dir {
 public:
  temp_dir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("p2psip-opendht-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

class cluster {
 public:
  asio::io_context io;
  std::vector<std::unique_ptr<opendht_node>> nodes;

  opendht_node& add(std::string overlay, std::vector<udp::endpoint> bootstrap,
                    std::vector<type_policy> types, std::filesystem::path state_dir = {},
                    std::vector<std::string> bootstrap_names = {}, bool client = false) {
    opendht_config config;
    config.client = client;
    config.bootstrap_names = std::move(bootstrap_names);
    config.overlay_id = std::move(overlay);
    config.bind = udp::endpoint(asio::ip::make_address_v4("127.0.0.1"), 0);
    config.bootstrap = std::move(bootstrap);
    config.state_dir = std::move(state_dir);
    config.unlimited_peer_requests = true;
    nodes.push_back(std::make_unique<opendht_node>(io, std::move(config), std::move(types)));
    nodes.back()->start();
    return *nodes.back();
  }

  // n nodes of one overlay, each bootstrapping from the first.
  void add_overlay(std::string overlay, std::size_t n,
                   const std::function<std::vector<type_policy>(std::size_t)>& types) {
    std::size_t first = nodes.size();
    add(overlay, {}, types(0));
    udp::endpoint seed = nodes[first]->local_endpoint();
    for (std::size_t i = 1; i < n; ++i) add(overlay, {seed}, types(i));
  }

  // Runs the loop until `done` holds; false when `limit` passes first.
  bool run_until(const std::function<bool()>& done, std::chrono::steady_clock::duration limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
      auto now = std::chrono::steady_clock::now();
      if (now >= deadline) return false;
      if (io.stopped()) io.restart();
      io.run_one_for(deadline - now);
    }
    return true;
  }

  void run_for(std::chrono::steady_clock::duration d) {
    run_until([] { return false; }, d);
  }

  // Every node has heard back from someone. Tables fill slowly after that
  // (OpenDHT refreshes buckets every 5-25 s), but lookups already work.
  bool all_joined(std::size_t first, std::size_t count) const {
    for (std::size_t i = first; i < first + count; ++i) {
      if (nodes[i] && nodes[i]->stats().good_nodes == 0) return false;
    }
    return true;
  }

  // Puts and waits for the handler.
  std::error_code put(opendht_node& node, const key& k, value v) {
    std::optional<std::error_code> result;
    node.put(k, std::move(v), [&](std::error_code ec) { result = ec; });
    EXPECT_TRUE(run_until([&] { return result.has_value(); }, 10s)) << "put handler never ran";
    return result.value_or(std::make_error_code(std::errc::timed_out));
  }

  std::vector<value> get(opendht_node& node, const key& k) {
    std::optional<std::vector<value>> result;
    node.get(k, [&](std::vector<value> values, std::error_code) { result = std::move(values); });
    EXPECT_TRUE(run_until([&] { return result.has_value(); }, 10s)) << "get handler never ran";
    return result.value_or(std::vector<value>{});
  }

  // Repeats get until `want` is what comes back.
  bool get_until(opendht_node& node, const key& k, const std::vector<value>& want,
                 std::chrono::steady_clock::duration limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (get(node, k) == want) return true;
    }
    return false;
  }
};

std::vector<type_policy> strict_types(std::size_t) {
  return {strict_binding()};
}

TEST(OpendhtNode, TenNodesPutGetListenAndLookupCounts) {
  cluster c;
  c.add_overlay("ten.example", 10, strict_types);
  ASSERT_TRUE(c.run_until([&] { return c.all_joined(0, 10); }, 15s));

  key k = binding_key("ten.example", "sip:alice@ten.example");
  value v{42, value_type::binding, bytes("alice at 10.0.0.1")};

  std::vector<std::vector<value>> seen;
  c.nodes[5]->listen(k, [&](const std::vector<value>& values, bool expired) {
    if (!expired) seen.push_back(values);
  });
  c.run_for(200ms);

  EXPECT_FALSE(c.put(*c.nodes[3], k, v));

  std::uint64_t served_before = 0;
  for (std::size_t i = 0; i < 10; ++i) {
    if (i != 7) served_before += c.nodes[i]->stats().lookups_served;
  }
  EXPECT_TRUE(c.get_until(*c.nodes[7], k, {v}, 10s));
  std::uint64_t served_after = 0;
  for (std::size_t i = 0; i < 10; ++i) {
    if (i != 7) served_after += c.nodes[i]->stats().lookups_served;
  }
  EXPECT_GT(served_after, served_before) << "the nodes that answered node 7 counted nothing";

  ASSERT_TRUE(c.run_until([&] { return !seen.empty(); }, 10s))
      << "listener on node 5 never saw the put";
  EXPECT_EQ(seen.front(), std::vector<value>{v});

  std::size_t storers = 0;
  for (std::size_t i = 0; i < 10; ++i) {
    if (i != 3 && c.nodes[i]->stats().stored_values > 0) ++storers;
  }
  EXPECT_GT(storers, 0u);
}

// OpenDHT answers a get from the cache of a listen on the same key, and that
// cache never takes an edit (a value id it holds keeps its first data): a
// node that listens would read the version it first heard for as long as
// it listens, whatever the storers hold since.
TEST(OpendhtNode, AGetOnAListeningNodeReadsEditsMadeSinceTheListenStarted) {
  cluster c;
  c.add_overlay("listen.example", 12, strict_types);
  ASSERT_TRUE(c.run_until([&] { return c.all_joined(0, 12); }, 15s));

  key k = binding_key("listen.example", "sip:grace@listen.example");
  value v1{21, value_type::binding, bytes("1 first")};
  value v2{21, value_type::binding, bytes("2 edited")};
  opendht_node& putter = *c.nodes[0];
  EXPECT_FALSE(c.put(putter, k, v1));
  // Readers that store nothing under k: a storer would read its own copy.
  std::vector<opendht_node*> others;
  for (std::size_t i = 1; i < c.nodes.size(); ++i)
    if (!c.nodes[i]->holds(k, v1.id)) others.push_back(c.nodes[i].get());
  ASSERT_GE(others.size(), 2u) << "12 nodes, 8 storers";
  opendht_node& reader = *others[0];
  opendht_node& other = *others[1];

  std::vector<value> heard;
  reader.listen(k, [&](const std::vector<value>& values, bool expired) {
    if (!expired) heard = values;
  });
  ASSERT_TRUE(c.run_until([&] { return !heard.empty(); }, 10s)) << "the listen heard nothing";
  EXPECT_EQ(heard, std::vector<value>{v1});

  EXPECT_FALSE(c.put(putter, k, v2));
  ASSERT_TRUE(c.get_until(other, k, {v2}, 10s)) << "the storers never took the edit";
  // Every get, not merely one that happened to go out before the listen
  // was synced with its storers.
  c.run_for(1s);
  for (int i = 0; i < 6; ++i) {
    const auto got = c.get(reader, k);
    EXPECT_EQ(got, std::vector<value>{v2})
        << "get " << i << " on the listening node read "
        << (got.empty() ? std::string("nothing")
                        : std::string(got.front().data.begin(), got.front().data.end()));
    c.run_for(500ms);
  }
}

TEST(OpendhtNode, OverlaysWithDifferentIdsNeverMeet) {
  cluster c;
  c.add_overlay("a.example", 4, strict_types);
  // Overlay b's nodes know each other and also try overlay a's first node.
  c.add("b.example", {}, {strict_binding()});
  udp::endpoint a0 = c.nodes[0]->local_endpoint();
  udp::endpoint b0 = c.nodes[4]->local_endpoint();
  for (int i = 0; i < 3; ++i) c.add("b.example", {a0, b0}, {strict_binding()});
  ASSERT_TRUE(c.run_until([&] { return c.all_joined(0, 8); }, 15s));
  c.run_for(1s);

  for (std::size_t i = 0; i < 8; ++i)
    EXPECT_LE(c.nodes[i]->stats().known_nodes, 3u) << "node " << i;

  key k = binding_key("a.example", "sip:bob@a.example");
  value v{7, value_type::binding, bytes("bob")};
  EXPECT_FALSE(c.put(*c.nodes[1], k, v));
  EXPECT_TRUE(c.get_until(*c.nodes[2], k, {v}, 10s));
  EXPECT_TRUE(c.get(*c.nodes[6], k).empty());
  EXPECT_TRUE(c.get(*c.nodes[4], k).empty());
}

TEST(OpendhtNode, StorersApplyTheStorePolicy) {
  cluster c;
  std::vector<policy_counters> counters(8);
  // Node 3 is lax: it sends what every other node refuses.
  c.add_overlay("store.example", 8, [&](std::size_t i) {
    return i == 3 ? std::vector<type_policy>{lax_binding()}
                  : std::vector<type_policy>{strict_binding(&counters[i])};
  });
  ASSERT_TRUE(c.run_until([&] { return c.all_joined(0, 8); }, 15s));

  // A strict putter refuses its own bad value at once.
  key refused_key = binding_key("store.example", "sip:refused@store.example");
  EXPECT_EQ(c.put(*c.nodes[2], refused_key, value{1, value_type::binding, bytes("Xbad")}),
            std::make_error_code(std::errc::operation_not_permitted));

  key bad_key = binding_key("store.example", "sip:mallory@store.example");
  key good_key = binding_key("store.example", "sip:carol@store.example");
  value bad{1, value_type::binding, bytes("Xforged")};
  value good{2, value_type::binding, bytes("carol")};
  EXPECT_FALSE(c.put(*c.nodes[3], bad_key, bad));
  EXPECT_FALSE(c.put(*c.nodes[3], good_key, good));
  EXPECT_TRUE(c.get_until(*c.nodes[6], good_key, {good}, 10s));

  int refusals = 0;
  for (std::size_t i = 0; i < 8; ++i) {
    if (i == 3) continue;
    refusals += counters[i].store_refused;
    // Only the good value may be stored by the strict nodes.
    EXPECT_LE(c.nodes[i]->stats().stored_values, 1u) << "node " << i;
  }
  EXPECT_GT(refusals, 0);
  EXPECT_TRUE(c.get(*c.nodes[6], bad_key).empty());
  EXPECT_TRUE(c.get(*c.nodes[0], bad_key).empty());
}

TEST(OpendhtNode, EditsReplaceOnlyWhenTheEditPolicyAgrees) {
  cluster c;
  std::vector<policy_counters> counters(8);
  c.add_overlay("edit.example", 8, [&](std::size_t i) {
    return i == 4 ? std::vector<type_policy>{lax_binding()}
                  : std::vector<type_policy>{strict_binding(&counters[i])};
  });
  ASSERT_TRUE(c.run_until([&] { return c.all_joined(0, 8); }, 15s));

  key k = binding_key("edit.example", "sip:dave@edit.example");
  value v1{9, value_type::binding, bytes("1 first")};
  value v0{9, value_type::binding, bytes("0 older")};
  value v2{9, value_type::binding, bytes("2 newer")};

  EXPECT_FALSE(c.put(*c.nodes[3], k, v1));
  EXPECT_TRUE(c.get_until(*c.nodes[6], k, {v1}, 10s));

  // Refused by the putter's own check...
  EXPECT_EQ(c.put(*c.nodes[3], k, v0), std::make_error_code(std::errc::operation_not_permitted));
  // ...and by the storers when a lax node sends it.
  EXPECT_FALSE(c.put(*c.nodes[4], k, v0));
  c.run_for(300ms);
  EXPECT_EQ(c.get(*c.nodes[6], k), std::vector<value>{v1});
  int refused = 0;
  for (const policy_counters& pc : counters) refused += pc.edit_refused;
  EXPECT_GT(refused, 0) << "no storer consulted its edit policy";

  EXPECT_FALSE(c.put(*c.nodes[3], k, v2));
  EXPECT_TRUE(c.get_until(*c.nodes[6], k, {v2}, 10s));
  EXPECT_TRUE(c.get_until(*c.nodes[0], k, {v2}, 10s));
}

TEST(OpendhtNode, RestartFromStateDirKeepsIdAndRejoinsWithoutBootstrap) {
  cluster c;
  c.add_overlay("restart.example", 5, strict_types);
  temp_dir state;
  opendht_node& n =
      c.add("restart.example", {c.nodes[0]->local_endpoint()}, {strict_binding()}, state.path());
  ASSERT_TRUE(c.run_until([&] { return c.all_joined(0, 6); }, 15s));
  std::string id = n.node_id();
  EXPECT_EQ(id.size(), 40u);

  n.stop();
  EXPECT_TRUE(std::filesystem::exists(state.path() / "node_id"));
  EXPECT_TRUE(std::filesystem::exists(state.path() / "nodes"));
  c.nodes.back().reset();

  auto started = std::chrono::steady_clock::now();
  opendht_node& again = c.add("restart.example", {}, {strict_binding()}, state.path());
  EXPECT_EQ(again.node_id(), id);
  ASSERT_TRUE(c.run_until([&] { return again.stats().good_nodes > 0; }, 5s));
  auto took = std::chrono::steady_clock::now() - started;
  EXPECT_LT(took, 2s);

  key k = binding_key("restart.example", "sip:erin@restart.example");
  value v{3, value_type::binding, bytes("erin")};
  EXPECT_FALSE(c.put(*c.nodes[1], k, v));
  EXPECT_TRUE(c.get_until(again, k, {v}, 10s));
}

TEST(OpendhtNode, BootstrapsFromADnsName) {
  cluster c;
  c.add_overlay("names.example", 4, strict_types);
  std::string seed = "localhost:" + std::to_string(c.nodes[0]->local_endpoint().port());
  opendht_node& n = c.add("names.example", {}, {strict_binding()}, {}, {seed});
  ASSERT_TRUE(c.run_until([&] { return n.stats().good_nodes > 0; }, 10s));
  key k = binding_key("names.example", "sip:dave@names.example");
  value v{4, value_type::binding, bytes("dave")};
  EXPECT_FALSE(c.put(*c.nodes[2], k, v));
  EXPECT_TRUE(c.get_until(n, k, {v}, 10s));
}

bool knows(const opendht_node& n, const std::string& id) {
  const auto table = n.routing_table();
  return std::any_of(table.begin(), table.end(), [&](const known_node& k) { return k.id == id; });
}

// Concepts §3.4.2: a client puts and gets through the peers, but stores
// nothing for them and is in nobody's routing table, so nobody routes
// through it either.
TEST(OpendhtNode, AClientUsesTheOverlayWithoutStoringOrRoutingForIt) {
  cluster c;
  c.add_overlay("clients.example", 3, strict_types);
  opendht_node& client =
      c.add("clients.example", {c.nodes[1]->local_endpoint()}, {strict_binding()}, {}, {}, true);
  // Every peer knows the two others and the client has been answered: the
  // client's requests have reached the peers, which would have put it in
  // their routing tables by now were it a peer (tables fill in ~5 s).
  ASSERT_TRUE(c.run_until(
      [&] {
        for (std::size_t i = 0; i < 3; ++i)
          if (c.nodes[i]->stats().known_nodes < 2) return false;
        return client.stats().good_nodes >= 1;
      },
      20s));
  c.run_for(3s);

  std::vector<key> keys;
  for (int i = 0; i < 12; ++i) {
    const std::string aor = "sip:user" + std::to_string(i) + "@clients.example";
    keys.push_back(binding_key("clients.example", aor));
    EXPECT_FALSE(c.put(*c.nodes[static_cast<std::size_t>(i % 3)], keys.back(),
                       value{static_cast<std::uint64_t>(i + 1), value_type::binding, bytes(aor)}));
  }
  c.run_for(1s);
  std::size_t held_by_peers = 0;
  for (std::size_t i = 0; i < 3; ++i) held_by_peers += c.nodes[i]->stats().stored_values;
  EXPECT_GE(held_by_peers, 2 * keys.size()) << "the peers should hold each other's records";
  EXPECT_EQ(client.stats().stored_values, 0u) << "a client stores nothing for others";
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_FALSE(knows(*c.nodes[i], client.node_id())) << "peer " << i << " routes to the client";
    // Not even as a dubious node: a peer's table holds the two other peers.
    EXPECT_EQ(c.nodes[i]->stats().known_nodes, 2u) << "peer " << i;
  }
  EXPECT_FALSE(client.routing_table().empty()) << "the client knows no peer";

  // The client reads the peers' records and publishes its own, which the
  // peers then hold and serve.
  EXPECT_TRUE(c.get_until(
      client, keys[4], {value{5, value_type::binding, bytes("sip:user4@clients.example")}}, 10s));
  key own = binding_key("clients.example", "sip:carol@clients.example");
  value carol{7, value_type::binding, bytes("carol behind a NAT")};
  EXPECT_FALSE(c.put(client, own, carol));
  for (std::size_t i = 0; i < 3; ++i) EXPECT_TRUE(c.get_until(*c.nodes[i], own, {carol}, 10s));
  EXPECT_EQ(client.stats().stored_values, 1u) << "only its own record";
  for (std::size_t i = 0; i < 3; ++i) EXPECT_FALSE(knows(*c.nodes[i], client.node_id()));
}

TEST(OpendhtNode, ContactsAddedAfterStartBootstrapTheNode) {
  cluster c;
  c.add_overlay("late.example", 3, strict_types);
  opendht_node& n = c.add("late.example", {}, {strict_binding()});
  c.run_for(500ms);
  EXPECT_EQ(n.stats().known_nodes, 0u);
  n.add_bootstrap({c.nodes[2]->local_endpoint()});
  ASSERT_TRUE(c.run_until([&] { return n.stats().good_nodes > 0; }, 10s));
}

TEST(OpendhtNode, HandlersAreDeferredAndNeverRunAfterStop) {
  cluster c;
  c.add_overlay("stop.example", 4, strict_types);
  ASSERT_TRUE(c.run_until([&] { return c.all_joined(0, 4); }, 15s));

  key k = binding_key("stop.example", "sip:frank@stop.example");
  int fired = 0;
  c.nodes[2]->put(k, value{1, value_type::binding, bytes("frank")},
                  [&](std::error_code) { ++fired; });
  c.nodes[2]->get(k, [&](std::vector<value>, std::error_code) { ++fired; });
  c.nodes[2]->listen(k, [&](const std::vector<value>&, bool) { ++fired; });
  // A refused put still answers later, never inside the call.
  c.nodes[2]->put(k, value{1, value_type::binding, bytes("Xno")},
                  [&](std::error_code) { ++fired; });
  EXPECT_EQ(fired, 0);
  c.nodes[2]->stop();
  c.nodes[3]->put(k, value{2, value_type::binding, bytes("other")}, [](std::error_code) {});
  c.run_for(1500ms);
  EXPECT_EQ(fired, 0);

  // After stop, calls are dropped too.
  c.nodes[2]->get(k, [&](std::vector<value>, std::error_code) { ++fired; });
  c.run_for(100ms);
  EXPECT_EQ(fired, 0);

  // And the deferred path: a working node answers, but only from the loop.
  bool done = false;
  c.nodes[1]->get(k, [&](std::vector<value>, std::error_code) { done = true; });
  EXPECT_FALSE(done);
  EXPECT_TRUE(c.run_until([&] { return done; }, 10s));
}

TEST(OpendhtNode, DestroyingWithLookupsInFlightIsSafe) {
  cluster c;
  c.add_overlay("destroy.example", 5, strict_types);
  ASSERT_TRUE(c.run_until([&] { return c.all_joined(0, 5); }, 15s));

  int fired = 0;
  for (int i = 0; i < 20; ++i) {
    key k = binding_key("destroy.example", "sip:u" + std::to_string(i) + "@destroy.example");
    c.nodes[4]->get(k, [&](std::vector<value>, std::error_code) { ++fired; });
    c.nodes[4]->put(k, value{1, value_type::binding, bytes("x")},
                    [&](std::error_code) { ++fired; });
    c.nodes[3]->get(k, [](std::vector<value>, std::error_code) {});
  }
  c.nodes[4]->listen(binding_key("destroy.example", "l"),
                     [&](const std::vector<value>&, bool) { ++fired; });
  c.run_for(5ms);
  int before = fired;
  c.nodes[4].reset();  // abrupt: no stop()
  c.nodes[2]->kill();  // a crash while node 3's lookups wait for it
  c.run_for(1s);
  EXPECT_EQ(fired, before);
  // The survivors still work.
  key k = binding_key("destroy.example", "sip:after@destroy.example");
  value v{5, value_type::binding, bytes("after")};
  EXPECT_FALSE(c.put(*c.nodes[1], k, v));
  EXPECT_TRUE(c.get_until(*c.nodes[3], k, {v}, 10s));
}

}  // namespace
}  // namespace p2psip::overlay
