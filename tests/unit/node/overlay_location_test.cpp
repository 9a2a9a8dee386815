// The overlay location store on the in-memory DHT: what node A's registrar
// stores, node B's proxy finds, with a Path back through A's flow.
#include "node/overlay_location.hpp"

#include <gtest/gtest.h>

#include <asio/io_context.hpp>
#include <optional>

#include "identity/authority.hpp"
#include "overlay/memory_dht.hpp"
#include "overlay/record_verifier.hpp"

namespace p2psip::node {
namespace {

constexpr const char* aor = "sip:bob@p2psip.test";

bool run_until(asio::io_context& io, const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    io.run_one_for(std::chrono::milliseconds(20));
    if (io.stopped()) io.restart();
  }
  return true;
}

overlay::signer make_signer(identity::issued i) {
  return {std::move(i.key), std::move(i.cert)};
}

// The time a node's location store reads, moved on by hand.
struct manual_clock {
  std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now();
  overlay_location::clock_fn fn() {
    return [this] { return now; };
  }
};

overlay_location_settings settings_for(std::string host) {
  overlay_location_settings s;
  s.path_host = std::move(host);
  s.store_bound = std::chrono::milliseconds(2000);
  return s;
}

struct node_under_test {
  node_under_test(asio::io_context& io, std::shared_ptr<overlay::memory_network> net,
                  std::shared_ptr<const overlay::record_verifier> verifier, overlay::signer s,
                  std::string secret, overlay_location_settings settings,
                  overlay_location::clock_fn clock, std::chrono::seconds clock_skew)
      : dht(std::move(net)),
        records(dht, std::move(verifier),
                [clock_skew] { return overlay::wall_clock::now() + clock_skew; }),
        tokens(std::move(secret)),
        location(io, records, std::move(s), tokens, std::move(settings), std::move(clock)) {}
  overlay::memory_dht dht;
  overlay::record_store records;
  proxy::flow_tokens tokens;
  overlay_location location;
};

class OverlayLocation : public ::testing::Test {
 protected:
  OverlayLocation()
      : ca(identity::certificate_authority::create("p2psip.test")),
        verifier(std::make_shared<overlay::record_verifier>("p2psip.test",
                                                            identity::trust_anchor(ca.cert()))),
        net(std::make_shared<overlay::memory_network>(
            io, overlay::storage_policies(verifier, [] { return overlay::wall_clock::now(); }),
            [] { return overlay::wall_clock::now(); })) {}

  std::unique_ptr<node_under_test> node(
      bool domain_authority, const std::string& host,
      overlay_location::clock_fn clock = std::chrono::steady_clock::now,
      std::optional<overlay_location_settings> settings = std::nullopt,
      std::chrono::seconds clock_skew = {}) {
    return std::make_unique<node_under_test>(
        io, net, verifier, make_signer(ca.issue_node("n", domain_authority)),
        std::string(32, 'k') + host, settings.value_or(settings_for(host + ";transport=tcp")),
        std::move(clock), clock_skew);
  }

  std::error_code store(overlay_location& l, std::vector<proxy::binding> set,
                        const std::string& to = aor) {
    std::optional<std::error_code> result;
    l.store(to, std::move(set), [&](std::error_code ec) { result = ec; });
    EXPECT_TRUE(run_until(io, [&] { return result.has_value(); }));
    return result.value_or(std::make_error_code(std::errc::timed_out));
  }

  std::vector<proxy::binding> fetch(overlay_location& l, const std::string& of = aor) {
    std::optional<std::vector<proxy::binding>> result;
    l.fetch(of, proxy::wall_clock::now(),
            [&](std::vector<proxy::binding> b, std::error_code) { result = b; });
    EXPECT_TRUE(run_until(io, [&] { return result.has_value(); }));
    return result.value_or(std::vector<proxy::binding>{});
  }

  // user0..user(n-1), one phone each, registered through `l`.
  void register_phones(overlay_location& l, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      const std::string user = "sip:user" + std::to_string(i) + "@p2psip.test";
      (void)fetch(l, user);
      ASSERT_FALSE(store(l, {phone()}, user));
    }
  }

  static proxy::binding phone() {
    proxy::binding b;
    b.contact = "sip:bob@192.0.2.7:5062";
    b.call_id = "reg-1";
    b.cseq = 2;
    b.expires = proxy::wall_clock::now() + std::chrono::seconds(600);
    b.flow = {transport::protocol::udp, asio::ip::make_address("192.0.2.7"), 5062, 0};
    return b;
  }

  asio::io_context io;
  identity::certificate_authority ca;
  std::shared_ptr<overlay::record_verifier> verifier;
  std::shared_ptr<overlay::memory_network> net;
};

TEST_F(OverlayLocation, AnotherNodeFindsTheBindingWithAPathThroughTheRegistrarsNode) {
  auto a = node(true, "127.0.0.1:5070");
  auto b = node(true, "127.0.0.1:5080");
  (void)fetch(a->location);  // the registrar reads before it stores
  ASSERT_FALSE(store(a->location, {phone()}));

  const auto seen = fetch(b->location);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].contact, "sip:bob@192.0.2.7:5062");
  ASSERT_EQ(seen[0].path.size(), 1u);
  EXPECT_TRUE(seen[0].path[0].starts_with("<sip:"));
  EXPECT_TRUE(seen[0].path[0].ends_with("@127.0.0.1:5070;transport=tcp;lr>")) << seen[0].path[0];
  EXPECT_EQ(seen[0].flow.port, 0) << "B has no flow to the phone";

  // The token in the Path is A's: A turns it back into the flow, B cannot.
  const auto& hop = seen[0].path[0];
  const auto token = hop.substr(5, hop.find('@') - 5);
  EXPECT_EQ(a->tokens.decode(token), phone().flow);
  EXPECT_FALSE(b->tokens.decode(token).has_value());

  // A itself sees the binding as its registrar made it: the flow, no Path.
  const auto own = fetch(a->location);
  ASSERT_EQ(own.size(), 1u);
  EXPECT_EQ(own[0].flow, phone().flow);
  EXPECT_TRUE(own[0].path.empty());
  EXPECT_EQ(own[0].call_id, "reg-1");
  EXPECT_EQ(a->location.held(proxy::wall_clock::now()).at(aor).size(), 1u);
}

TEST_F(OverlayLocation, UnregisteringWithdrawsAndTheUserIsKnownButUnreachable) {
  auto a = node(true, "127.0.0.1:5070");
  (void)fetch(a->location);
  ASSERT_FALSE(store(a->location, {phone()}));
  ASSERT_FALSE(store(a->location, {}));
  EXPECT_TRUE(a->location.held(proxy::wall_clock::now()).empty());

  auto b = node(true, "127.0.0.1:5080");
  EXPECT_TRUE(fetch(b->location).empty());
  EXPECT_TRUE(b->location.known(aor)) << "a withdrawn binding tells 480 from 404";
  EXPECT_FALSE(b->location.known("sip:nobody@p2psip.test"));
  EXPECT_EQ(a->location.stats().withdrawn, 1u);
}

TEST_F(OverlayLocation, AUserNotSeenForTheRecordLifetimeIsForgotten) {
  auto a = node(true, "127.0.0.1:5070");
  (void)fetch(a->location);
  ASSERT_FALSE(store(a->location, {phone()}));
  ASSERT_FALSE(store(a->location, {}));

  manual_clock clock;
  auto b = node(true, "127.0.0.1:5080", clock.fn());
  EXPECT_TRUE(fetch(b->location).empty());
  ASSERT_TRUE(b->location.known(aor));

  // Storers drop a binding record at most this long after it was stored, so
  // by then the user may be gone from the overlay altogether: 404, not 480.
  const auto lifetime = overlay::lifetimes{}.binding;
  clock.now += lifetime - std::chrono::seconds(1);
  EXPECT_TRUE(b->location.known(aor));
  clock.now += std::chrono::seconds(1);
  EXPECT_FALSE(b->location.known(aor));
}

TEST_F(OverlayLocation, TheKnownUsersAreCappedForgettingTheOneSeenLongestAgo) {
  const std::string carol = "sip:carol@p2psip.test", dave = "sip:dave@p2psip.test";
  auto a = node(true, "127.0.0.1:5070");
  for (const auto& user : {std::string(aor), carol, dave}) {
    (void)fetch(a->location, user);
    ASSERT_FALSE(store(a->location, {phone()}, user));
  }

  manual_clock clock;
  auto settings = settings_for("127.0.0.1:5080;transport=tcp");
  settings.max_known = 2;
  auto b = node(true, "127.0.0.1:5080", clock.fn(), settings);
  EXPECT_EQ(fetch(b->location, aor).size(), 1u);
  clock.now += std::chrono::seconds(1);
  EXPECT_EQ(fetch(b->location, carol).size(), 1u);
  // Past the cache, bob is looked up, and so seen, again: now carol is the oldest.
  clock.now += settings.cache_for;
  EXPECT_EQ(fetch(b->location, aor).size(), 1u);
  EXPECT_EQ(b->location.stats().lookups, 3u);
  clock.now += std::chrono::seconds(1);
  EXPECT_EQ(fetch(b->location, dave).size(), 1u);

  EXPECT_TRUE(b->location.known(aor));
  EXPECT_FALSE(b->location.known(carol));
  EXPECT_TRUE(b->location.known(dave));
}

TEST_F(OverlayLocation, ABindingWhoseStorersAllDiedIsPutBackByItsNode) {
  auto a = node(true, "127.0.0.1:5070");
  manual_clock clock;
  auto b = node(true, "127.0.0.1:5080", clock.fn());
  std::vector<std::unique_ptr<overlay::memory_dht>> others;
  for (int i = 0; i < 10; ++i) others.push_back(std::make_unique<overlay::memory_dht>(net));

  // A user whose binding neither A nor B stores (which nodes store a key
  // follows from their ids), so killing its storers loses it.
  std::string user;
  for (int i = 0; i < 50 && user.empty(); ++i) {
    const std::string candidate = "sip:user" + std::to_string(i) + "@p2psip.test";
    const auto before = a->dht.stored_values() + b->dht.stored_values();
    (void)fetch(a->location, candidate);
    ASSERT_FALSE(store(a->location, {phone()}, candidate));
    if (a->dht.stored_values() + b->dht.stored_values() == before) user = candidate;
  }
  ASSERT_FALSE(user.empty());
  for (auto& o : others)
    if (o->stored_values() > 0) o->kill();
  ASSERT_TRUE(fetch(b->location, user).empty()) << "every storer of the binding is dead";

  const auto held = a->location.held(proxy::wall_clock::now()).size();
  a->location.republish(proxy::wall_clock::now());
  ASSERT_TRUE(run_until(io, [&] {
    const auto& st = a->location.stats();
    return st.republished + st.republish_failures == held;
  }));
  EXPECT_EQ(a->location.stats().republished, held);

  clock.now += settings_for("").cache_for;  // B looks it up again, not from its cache
  const auto seen = fetch(b->location, user);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].contact, phone().contact);
}

TEST_F(OverlayLocation, RepublishingForgetsExpiredBindingsAndPutsNothingForThem) {
  auto a = node(true, "127.0.0.1:5070");
  auto expiring = phone();
  expiring.expires = proxy::wall_clock::now() + std::chrono::seconds(1);
  (void)fetch(a->location);
  ASSERT_FALSE(store(a->location, {expiring}));
  ASSERT_EQ(a->location.held(proxy::wall_clock::now()).size(), 1u);

  a->location.republish(proxy::wall_clock::now() + std::chrono::seconds(2));
  io.poll();
  EXPECT_TRUE(a->location.held(proxy::wall_clock::now()).empty());
  EXPECT_EQ(a->location.stats().republished + a->location.stats().republish_failures, 0u);
}

// A node holding many phones puts them again in batches, not all at once.
TEST_F(OverlayLocation, RepublishingIsPacedInBatches) {
  auto a = node(true, "127.0.0.1:5070");
  constexpr std::size_t phones = 2 * overlay_location::republish_batch + 5;
  register_phones(a->location, phones);
  ASSERT_EQ(a->location.held(proxy::wall_clock::now()).size(), phones);

  const auto started = std::chrono::steady_clock::now();
  a->location.republish(proxy::wall_clock::now());
  io.poll();  // what is ready now: the first batch, none of the later ones
  const auto& st = a->location.stats();
  if (std::chrono::steady_clock::now() - started < overlay_location::republish_pause) {
    EXPECT_EQ(st.republished + st.republish_failures, overlay_location::republish_batch);
  }
  ASSERT_TRUE(run_until(io, [&] { return st.republished + st.republish_failures == phones; }));
  EXPECT_EQ(st.republished, phones);
  EXPECT_GE(std::chrono::steady_clock::now() - started, 2 * overlay_location::republish_pause);
}

// A periodic round is spread over the time it is given: three batches over
// 600 ms go 300 ms apart, not 50.
TEST_F(OverlayLocation, APeriodicRoundIsSpreadOverTheTimeItIsGiven) {
  auto a = node(true, "127.0.0.1:5070");
  constexpr std::size_t phones = 2 * overlay_location::republish_batch + 5;
  register_phones(a->location, phones);
  const auto started = std::chrono::steady_clock::now();
  a->location.republish(proxy::wall_clock::now(), std::chrono::milliseconds(600));
  const auto& st = a->location.stats();
  ASSERT_TRUE(run_until(io, [&] { return st.republished + st.republish_failures == phones; }));
  EXPECT_EQ(st.republished, phones);
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(600));
}

TEST_F(OverlayLocation, ANodeWithoutTheDomainsNameCannotStoreAndTheRegistrarHearsIt) {
  auto rogue = node(false, "127.0.0.1:5090");
  (void)fetch(rogue->location);
  EXPECT_TRUE(store(rogue->location, {phone()}));
  EXPECT_EQ(rogue->location.stats().store_failures, 1u);
  auto b = node(true, "127.0.0.1:5080");
  EXPECT_TRUE(fetch(b->location).empty());
}

// The same phone (one +sip.instance) registers at A, then at B.
static proxy::binding roaming_phone(std::string_view address) {
  proxy::binding b;
  b.contact = "sip:bob@" + std::string(address) + ":5062";
  b.instance = "<urn:uuid:00000000-0000-0000-0000-00000000b0b0>";
  b.reg_id = 1;
  b.expires = proxy::wall_clock::now() + std::chrono::seconds(600);
  b.flow = {transport::protocol::udp, asio::ip::make_address(std::string(address)), 5062, 0};
  return b;
}

TEST_F(OverlayLocation, APhoneThatMovedToAnotherNodeIsNotPutBackByTheOldOne) {
  auto a = node(true, "127.0.0.1:5070");
  auto b = node(true, "127.0.0.1:5080");
  (void)fetch(a->location);
  ASSERT_FALSE(store(a->location, {roaming_phone("192.0.2.7")}));
  (void)fetch(b->location);  // B's registrar reads A's binding and replaces it
  ASSERT_FALSE(store(b->location, {roaming_phone("198.51.100.4")}));

  a->location.republish(proxy::wall_clock::now());
  ASSERT_TRUE(run_until(io, [&] { return a->location.stats().moved == 1; }));
  io.poll();
  EXPECT_EQ(a->location.stats().republished, 0u);
  EXPECT_TRUE(a->location.held(proxy::wall_clock::now()).empty());

  auto c = node(true, "127.0.0.1:5090");
  const auto seen = fetch(c->location);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].contact, "sip:bob@198.51.100.4:5062");
  ASSERT_EQ(seen[0].path.size(), 1u);
  EXPECT_TRUE(seen[0].path[0].ends_with("@127.0.0.1:5080;transport=tcp;lr>")) << seen[0].path[0];
}

TEST_F(OverlayLocation, APhoneStaysWhereItLastRegisteredThoughTheOldNodesClockIsAhead) {
  auto a = node(true, "127.0.0.1:5070", std::chrono::steady_clock::now, std::nullopt,
                std::chrono::minutes(10));
  auto b = node(true, "127.0.0.1:5080");
  (void)fetch(a->location);
  ASSERT_FALSE(store(a->location, {roaming_phone("192.0.2.7")}));
  (void)fetch(b->location);
  ASSERT_FALSE(store(b->location, {roaming_phone("198.51.100.4")}))
      << "B's version must outrank the one A dated ten minutes ahead";

  a->location.republish(proxy::wall_clock::now());
  ASSERT_TRUE(run_until(io, [&] { return a->location.stats().moved == 1; }));
  auto c = node(true, "127.0.0.1:5090");
  const auto seen = fetch(c->location);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].contact, "sip:bob@198.51.100.4:5062");
}

TEST_F(OverlayLocation, AnUnknownAorIsNeitherCachedNorListenedTo) {
  auto b = node(true, "127.0.0.1:5080");
  EXPECT_TRUE(fetch(b->location, "sip:nobody@p2psip.test").empty());
  EXPECT_TRUE(fetch(b->location, "sip:nobody@p2psip.test").empty());
  EXPECT_EQ(b->location.cached_aors(), 0u);
  EXPECT_EQ(b->location.listens(), 0u);
  EXPECT_EQ(b->location.stats().lookups, 2u) << "no answer is cached for an unknown AOR";
}

TEST_F(OverlayLocation, LookupsOfOneAorShareOneAndPastTheBoundTheStoreIsBusy) {
  auto settings = settings_for("127.0.0.1:5080;transport=tcp");
  settings.max_lookups = 2;
  auto b = node(true, "127.0.0.1:5080", std::chrono::steady_clock::now, settings);
  int answered = 0;
  std::error_code refused;
  const auto now = proxy::wall_clock::now();
  // The memory DHT answers from the event loop, so all of these are in flight at once.
  for (const auto* user : {"sip:u1@p2psip.test", "sip:u1@p2psip.test", "sip:u2@p2psip.test"})
    b->location.fetch(user, now, [&](std::vector<proxy::binding>, std::error_code ec) {
      EXPECT_FALSE(ec);
      ++answered;
    });
  b->location.fetch("sip:u3@p2psip.test", now,
                    [&](std::vector<proxy::binding>, std::error_code ec) { refused = ec; });
  EXPECT_EQ(refused, std::errc::resource_unavailable_try_again);
  EXPECT_EQ(b->location.stats().busy, 1u);
  EXPECT_EQ(b->location.stats().lookups, 2u);
  ASSERT_TRUE(run_until(io, [&] { return answered == 3; }));
  EXPECT_TRUE(fetch(b->location, "sip:u3@p2psip.test").empty()) << "free again once answered";
}

TEST_F(OverlayLocation, TheCacheAndItsListensAreCappedDroppingTheOldest) {
  auto a = node(true, "127.0.0.1:5070");
  const std::vector<std::string> users{"sip:u1@p2psip.test", "sip:u2@p2psip.test",
                                       "sip:u3@p2psip.test"};
  for (const auto& user : users) {
    (void)fetch(a->location, user);
    ASSERT_FALSE(store(a->location, {phone()}, user));
  }
  auto settings = settings_for("127.0.0.1:5080;transport=tcp");
  settings.max_cached = 2;
  auto b = node(true, "127.0.0.1:5080", std::chrono::steady_clock::now, settings);
  for (const auto& user : users) EXPECT_EQ(fetch(b->location, user).size(), 1u);
  EXPECT_EQ(b->location.cached_aors(), 2u);
  EXPECT_EQ(b->location.listens(), 2u);
  // u1 went first: it is looked up again, the others come from the cache.
  const auto lookups = b->location.stats().lookups;
  EXPECT_EQ(fetch(b->location, users[2]).size(), 1u);
  EXPECT_EQ(b->location.stats().lookups, lookups);
  EXPECT_EQ(fetch(b->location, users[0]).size(), 1u);
  EXPECT_EQ(b->location.stats().lookups, lookups + 1);
}

TEST_F(OverlayLocation, ABindingNoStorerWouldTakeIsRefusedBeforeItIsSigned) {
  auto a = node(true, "127.0.0.1:5070");
  auto headers = phone();
  headers.contact = "sip:bob@192.0.2.7:5062?Subject=hi";  // would become a Request-URI with headers
  (void)fetch(a->location);
  EXPECT_EQ(store(a->location, {headers}), std::errc::invalid_argument);
  EXPECT_EQ(a->location.stats().unusable, 1u);
  EXPECT_EQ(a->location.stats().published, 0u);
  EXPECT_TRUE(a->location.held(proxy::wall_clock::now()).empty());
}

TEST(FlowTokens, RoundTripAndRefuseWhatThisNodeDidNotMake) {
  const proxy::flow_tokens tokens(std::string(32, 's'));
  const transport::endpoint v4{transport::protocol::tcp, asio::ip::make_address("10.1.2.3"), 40000,
                               77};
  const transport::endpoint v6{transport::protocol::tls, asio::ip::make_address("2001:db8::1"),
                               5061, 3};
  EXPECT_EQ(tokens.decode(tokens.encode(v4)), v4);
  EXPECT_EQ(tokens.decode(tokens.encode(v6)), v6);

  auto tampered = tokens.encode(v4);
  tampered[10] = tampered[10] == '0' ? '1' : '0';
  EXPECT_FALSE(tokens.decode(tampered).has_value());
  EXPECT_FALSE(proxy::flow_tokens(std::string(32, 't')).decode(tokens.encode(v4)).has_value());
  EXPECT_FALSE(tokens.decode("not-a-token").has_value());
  EXPECT_FALSE(tokens.decode("").has_value());
  EXPECT_FALSE(tokens.decode(tokens.encode(v4).substr(2)).has_value());
}

}  // namespace
}  // namespace p2psip::node
