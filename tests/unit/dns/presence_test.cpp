#include "dns/presence.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>

#include "support/named_server.hpp"

namespace p2psip::dns {
namespace {

using namespace std::chrono_literals;

constexpr auto zone_text =
    "$TTL 300\n"
    "@ IN SOA ns.p2psip.test. hostmaster.p2psip.test. 1 3600 600 86400 60\n"
    "@ IN NS ns\n"
    "ns IN A 127.0.0.1\n";

// Runs the loop until `done` holds; false when it did not within `limit`.
template <class Predicate>
bool run_until(asio::io_context& io, Predicate done, std::chrono::milliseconds limit = 5000ms) {
  io.restart();
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    io.run_one_for(20ms);
  }
  return true;
}

presence_settings settings_for(const std::string& label, const std::string& address,
                               sip_ports ports = {5060, 5060, 5061}) {
  presence_settings s;
  s.overlay = "p2psip.test.";
  s.self = {label + ".p2psip.test.", {asio::ip::make_address(address)}, ports};
  s.ttl = 60s;
  return s;
}

const std::vector<std::string> all_naptrs = {
    "100 50 \"s\" \"SIP+D2U\" \"\" _sip._udp.p2psip.test.",
    "50 50 \"s\" \"SIPS+D2T\" \"\" _sips._tcp.p2psip.test.",
    "90 50 \"s\" \"SIP+D2T\" \"\" _sip._tcp.p2psip.test.",
};

class PresenceAgainstNamed : public ::testing::Test {
 protected:
  explicit PresenceAgainstNamed(const std::string& policy =
                                    "grant pp1-key zonesub ANY; "
                                    "grant pp2-key zonesub ANY; ")
      : named({{{"p2psip.test.", zone_text,
                 policy + "grant reader-key name nothing.p2psip.test. TXT;"}},
               {"pp1-key", "pp2-key", "reader-key"},
               {}}) {}

  update_settings to_named() const {
    return {{asio::ip::make_address("127.0.0.1"), named.port()}, 1000ms, 3, 300s};
  }
  std::unique_ptr<update_client> client_with(const std::filesystem::path& key_file) {
    auto k = read_tsig_key(key_file);
    EXPECT_TRUE(k) << k.error;
    return std::make_unique<update_client>(io, to_named(), k.key);
  }
  std::unique_ptr<update_client> client(const std::string& key_name) {
    return client_with(named.key_file(key_name));
  }
  std::vector<std::string> served(const std::string& name, const std::string& type) const {
    std::vector<std::string> out;
    for (const auto& rr : named.query(name, type)) out.push_back(rr.rdata);
    std::sort(out.begin(), out.end());
    return out;
  }
  std::vector<std::string> srvs(const std::string& transport) const {
    return served(transport + "p2psip.test.", "SRV");
  }
  std::vector<std::string> naptrs() const { return served("p2psip.test.", "NAPTR"); }

  // Runs `withdraw` or `remove_peer` to its end.
  std::optional<std::error_code> finish(std::function<void(presence::handler)> operation) {
    std::optional<std::error_code> result;
    operation([&](std::error_code ec) { result = ec; });
    EXPECT_FALSE(result) << "the handler ran inside the call";
    EXPECT_TRUE(run_until(io, [&] { return result.has_value(); }));
    return result;
  }

  test::named_server named;
  asio::io_context io;
};

TEST_F(PresenceAgainstNamed, PublishPutsAddressSrvsAndNaptrsWithTheTtl) {
  auto c = client("pp1-key");
  presence pp1(io, *c, settings_for("pp1", "192.0.2.1"));
  pp1.start();
  ASSERT_TRUE(run_until(io, [&] { return pp1.published(); })) << pp1.last_error().message();

  const auto a = named.query("pp1.p2psip.test.", "A");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].rdata, "192.0.2.1");
  EXPECT_EQ(a[0].ttl, 60u);
  EXPECT_EQ(srvs("_sip._udp."), std::vector<std::string>{"10 10 5060 pp1.p2psip.test."});
  EXPECT_EQ(srvs("_sip._tcp."), std::vector<std::string>{"10 10 5060 pp1.p2psip.test."});
  EXPECT_EQ(srvs("_sips._tcp."), std::vector<std::string>{"10 10 5061 pp1.p2psip.test."});
  EXPECT_EQ(naptrs(), all_naptrs);
  for (const auto& rr : named.query("p2psip.test.", "NAPTR")) EXPECT_EQ(rr.ttl, 60u);
  for (const auto& rr : named.query("_sips._tcp.p2psip.test.", "SRV")) EXPECT_EQ(rr.ttl, 60u);
  EXPECT_EQ(pp1.counters().sent, 1u);
  EXPECT_EQ(pp1.counters().succeeded, 1u);
  EXPECT_FALSE(pp1.last_error());
}

TEST_F(PresenceAgainstNamed, OnlyTheTransportsServedPubliclyAreNamed) {
  auto c = client("pp1-key");
  auto s = settings_for("pp1", "2001:db8::1", {5070, std::nullopt, std::nullopt});
  s.priority = 5;
  s.weight = 70;
  presence pp1(io, *c, s);
  pp1.start();
  ASSERT_TRUE(run_until(io, [&] { return pp1.published(); })) << pp1.last_error().message();
  EXPECT_TRUE(served("pp1.p2psip.test.", "A").empty());
  EXPECT_EQ(served("pp1.p2psip.test.", "AAAA"), std::vector<std::string>{"2001:db8::1"});
  EXPECT_EQ(srvs("_sip._udp."), std::vector<std::string>{"5 70 5070 pp1.p2psip.test."});
  EXPECT_TRUE(srvs("_sip._tcp.").empty());
  EXPECT_TRUE(srvs("_sips._tcp.").empty());
  EXPECT_EQ(naptrs(), std::vector<std::string>{all_naptrs[0]});
}

TEST_F(PresenceAgainstNamed, TwoPeersPublishingAtOnceAreBothPresent) {
  auto c1 = client("pp1-key");
  auto c2 = client("pp2-key");
  presence pp1(io, *c1, settings_for("pp1", "192.0.2.1"));
  presence pp2(io, *c2, settings_for("pp2", "192.0.2.2"));
  pp1.start();
  pp2.start();
  ASSERT_TRUE(run_until(io, [&] { return pp1.published() && pp2.published(); }));
  for (const auto* t : {"_sip._udp.", "_sip._tcp."})
    EXPECT_EQ(srvs(t), (std::vector<std::string>{"10 10 5060 pp1.p2psip.test.",
                                                 "10 10 5060 pp2.p2psip.test."}));
  EXPECT_EQ(srvs("_sips._tcp."), (std::vector<std::string>{"10 10 5061 pp1.p2psip.test.",
                                                           "10 10 5061 pp2.p2psip.test."}));
  EXPECT_EQ(naptrs(), all_naptrs);  // one of each, not one per peer
  EXPECT_EQ(served("pp2.p2psip.test.", "A"), std::vector<std::string>{"192.0.2.2"});
}

TEST_F(PresenceAgainstNamed, NaptrsGoWithTheLastPeerOnly) {
  auto c1 = client("pp1-key");
  auto c2 = client("pp2-key");
  presence pp1(io, *c1, settings_for("pp1", "192.0.2.1"));
  presence pp2(io, *c2, settings_for("pp2", "192.0.2.2"));
  pp1.start();
  pp2.start();
  ASSERT_TRUE(run_until(io, [&] { return pp1.published() && pp2.published(); }));

  EXPECT_EQ(finish([&](auto done) { pp1.withdraw(done); }), std::error_code());
  EXPECT_FALSE(pp1.published());
  EXPECT_TRUE(served("pp1.p2psip.test.", "A").empty());
  EXPECT_EQ(srvs("_sip._udp."), std::vector<std::string>{"10 10 5060 pp2.p2psip.test."});
  EXPECT_EQ(srvs("_sips._tcp."), std::vector<std::string>{"10 10 5061 pp2.p2psip.test."});
  EXPECT_EQ(naptrs(), all_naptrs);
  EXPECT_EQ(served("pp2.p2psip.test.", "A"), std::vector<std::string>{"192.0.2.2"});
  // The three guarded NAPTR deletes found pp2's SRVs.
  EXPECT_EQ(pp1.counters().failed_by_rcode[static_cast<int>(update_error::yxrrset)], 3u);

  EXPECT_EQ(finish([&](auto done) { pp2.withdraw(done); }), std::error_code());
  EXPECT_TRUE(naptrs().empty());
  EXPECT_TRUE(srvs("_sip._udp.").empty());
  EXPECT_TRUE(srvs("_sip._tcp.").empty());
  EXPECT_TRUE(srvs("_sips._tcp.").empty());
  EXPECT_TRUE(served("pp2.p2psip.test.", "A").empty());
  EXPECT_EQ(pp2.counters().succeeded, pp2.counters().sent);

  // Nothing refreshes after a withdraw.
  const auto sent = pp1.counters().sent;
  io.restart();
  io.run_for(200ms);
  EXPECT_EQ(pp1.counters().sent, sent);
}

TEST_F(PresenceAgainstNamed, ATransportLosesItsNaptrWithItsLastPeer) {
  auto c1 = client("pp1-key");
  auto c2 = client("pp2-key");
  presence pp1(io, *c1, settings_for("pp1", "192.0.2.1", {5060, std::nullopt, std::nullopt}));
  presence pp2(io, *c2, settings_for("pp2", "192.0.2.2"));
  pp1.start();
  pp2.start();
  ASSERT_TRUE(run_until(io, [&] { return pp1.published() && pp2.published(); }));
  EXPECT_EQ(finish([&](auto done) { pp2.withdraw(done); }), std::error_code());
  // pp1 serves UDP only: TCP and TLS have no proxy peer left.
  EXPECT_EQ(naptrs(), std::vector<std::string>{all_naptrs[0]});
  EXPECT_EQ(srvs("_sip._udp."), std::vector<std::string>{"10 10 5060 pp1.p2psip.test."});
}

TEST_F(PresenceAgainstNamed, WithdrawDuringAPublishWaitsForIt) {
  auto c = client("pp1-key");
  presence pp1(io, *c, settings_for("pp1", "192.0.2.1"));
  pp1.start();
  EXPECT_EQ(finish([&](auto done) { pp1.withdraw(done); }), std::error_code());
  // Had the removal overtaken the publish, the records would be back.
  EXPECT_TRUE(served("pp1.p2psip.test.", "A").empty());
  EXPECT_TRUE(srvs("_sip._udp.").empty());
  EXPECT_TRUE(naptrs().empty());
  EXPECT_EQ(pp1.counters().sent, 5u);  // publish, removal, three NAPTR deletes
  EXPECT_EQ(pp1.counters().succeeded, 5u);
}

TEST_F(PresenceAgainstNamed, RemovePeerTakesOutADeadPeer) {
  auto c1 = client("pp1-key");
  auto c2 = client("pp2-key");
  presence pp1(io, *c1, settings_for("pp1", "192.0.2.1"));
  const auto pp2_settings = settings_for("pp2", "192.0.2.2");
  {
    presence pp2(io, *c2, pp2_settings);
    pp2.start();
    pp1.start();
    ASSERT_TRUE(run_until(io, [&] { return pp1.published() && pp2.published(); }));
  }  // pp2 dies without a word

  EXPECT_EQ(finish([&](auto done) { pp1.remove_peer(pp2_settings.self, done); }),
            std::error_code());
  EXPECT_TRUE(served("pp2.p2psip.test.", "A").empty());
  EXPECT_EQ(srvs("_sip._udp."), std::vector<std::string>{"10 10 5060 pp1.p2psip.test."});
  EXPECT_EQ(srvs("_sips._tcp."), std::vector<std::string>{"10 10 5061 pp1.p2psip.test."});
  EXPECT_EQ(naptrs(), all_naptrs);
  EXPECT_EQ(served("pp1.p2psip.test.", "A"), std::vector<std::string>{"192.0.2.1"});
}

TEST_F(PresenceAgainstNamed, RemovingTheLastPeerTakesTheNaptrs) {
  auto c1 = client("pp1-key");
  auto c2 = client("pp2-key");
  const auto pp1_settings = settings_for("pp1", "192.0.2.1");
  {
    presence pp1(io, *c1, pp1_settings);
    pp1.start();
    ASSERT_TRUE(run_until(io, [&] { return pp1.published(); }));
  }
  presence steward(io, *c2, settings_for("pp2", "192.0.2.2"));  // not started: not a proxy peer
  EXPECT_EQ(finish([&](auto done) { steward.remove_peer(pp1_settings.self, done); }),
            std::error_code());
  EXPECT_TRUE(naptrs().empty());
  EXPECT_TRUE(srvs("_sip._udp.").empty());
  EXPECT_TRUE(served("pp1.p2psip.test.", "A").empty());
}

TEST_F(PresenceAgainstNamed, RepublishesWhatAStewardRemovedWrongly) {
  auto c1 = client("pp1-key");
  auto c2 = client("pp2-key");
  auto s = settings_for("pp1", "192.0.2.1");
  s.refresh_every = 1s;
  presence pp1(io, *c1, s);
  presence pp2(io, *c2, settings_for("pp2", "192.0.2.2"));
  pp1.start();
  ASSERT_TRUE(run_until(io, [&] { return pp1.published(); }));
  EXPECT_EQ(finish([&](auto done) { pp2.remove_peer(s.self, done); }), std::error_code());
  ASSERT_TRUE(naptrs().empty());
  ASSERT_TRUE(run_until(
      io, [&] { return pp1.counters().succeeded >= 2; }, 3000ms));
  EXPECT_EQ(served("pp1.p2psip.test.", "A"), std::vector<std::string>{"192.0.2.1"});
  EXPECT_EQ(srvs("_sip._udp."), std::vector<std::string>{"10 10 5060 pp1.p2psip.test."});
  EXPECT_EQ(naptrs(), all_naptrs);
}

TEST_F(PresenceAgainstNamed, NameHoldingAnotherMachinesAddressIsNotClaimed) {
  auto c = client("pp1-key");
  std::optional<std::error_code> added;
  c->send(update_message("p2psip.test.").add({"pp1.p2psip.test.", "A", "198.51.100.9", 60}),
          [&](std::error_code ec) { added = ec; });
  ASSERT_TRUE(run_until(io, [&] { return added.has_value(); }));
  ASSERT_EQ(*added, std::error_code());

  auto s = settings_for("pp1", "192.0.2.1");
  s.first_backoff = 10s;
  presence pp1(io, *c, s);
  pp1.start();
  ASSERT_TRUE(run_until(io, [&] { return pp1.counters().sent == 2 && pp1.retry_delay() > 0ms; }));
  EXPECT_FALSE(pp1.published());
  EXPECT_EQ(pp1.last_error(), update_error::nxrrset);
  EXPECT_EQ(pp1.retry_delay(), 10s);
  EXPECT_EQ(served("pp1.p2psip.test.", "A"), std::vector<std::string>{"198.51.100.9"});
  EXPECT_TRUE(srvs("_sip._udp.").empty());
  EXPECT_TRUE(naptrs().empty());
}

// The policy docs/dns.md gives operators: each key may write its peer's
// name and the shared SRV and NAPTR RRsets, nothing else.
std::string per_peer_policy(const std::string& peer) {
  const auto key = peer + "-key";
  return "grant " + key + " name " + peer + ".p2psip.test. A AAAA; " +  //
         "grant " + key + " name _sip._udp.p2psip.test. SRV; " +        //
         "grant " + key + " name _sip._tcp.p2psip.test. SRV; " +        //
         "grant " + key + " name _sips._tcp.p2psip.test. SRV; " +       //
         "grant " + key + " name p2psip.test. NAPTR; ";
}

class PresenceUnderPerPeerPolicy : public PresenceAgainstNamed {
 protected:
  PresenceUnderPerPeerPolicy()
      : PresenceAgainstNamed(per_peer_policy("pp1") + per_peer_policy("pp2")) {}
};

TEST_F(PresenceUnderPerPeerPolicy, PeersPublishAndLeaveButCannotTakeEachOthersNames) {
  auto c1 = client("pp1-key");
  auto c2 = client("pp2-key");
  presence pp1(io, *c1, settings_for("pp1", "192.0.2.1"));
  presence pp2(io, *c2, settings_for("pp2", "192.0.2.2"));
  pp1.start();
  pp2.start();
  ASSERT_TRUE(run_until(io, [&] { return pp1.published() && pp2.published(); }));
  EXPECT_EQ(naptrs(), all_naptrs);

  // pp1's key cannot claim pp2's name, nor write outside what it was granted.
  std::optional<std::error_code> taken, other;
  c1->send(update_message("p2psip.test.").add({"pp2.p2psip.test.", "A", "192.0.2.66", 60}),
           [&](std::error_code ec) { taken = ec; });
  c1->send(update_message("p2psip.test.")
               .add({"_sip._sctp.p2psip.test.", "SRV", "1 1 5060 pp1.p2psip.test.", 60}),
           [&](std::error_code ec) { other = ec; });
  ASSERT_TRUE(run_until(io, [&] { return taken && other; }));
  EXPECT_EQ(*taken, update_error::refused);
  EXPECT_EQ(*other, update_error::refused);
  EXPECT_EQ(served("pp2.p2psip.test.", "A"), std::vector<std::string>{"192.0.2.2"});

  EXPECT_EQ(finish([&](auto done) { pp1.withdraw(done); }), std::error_code());
  EXPECT_EQ(naptrs(), all_naptrs);
  EXPECT_EQ(srvs("_sip._udp."), std::vector<std::string>{"10 10 5060 pp2.p2psip.test."});
  EXPECT_EQ(finish([&](auto done) { pp2.withdraw(done); }), std::error_code());
  EXPECT_TRUE(naptrs().empty());
  EXPECT_TRUE(srvs("_sips._tcp.").empty());
  EXPECT_TRUE(served("pp2.p2psip.test.", "A").empty());
}

// A key the server does not accept: the zone stays as it was, the error
// says why, each failure is counted, and the retries back off, bounded.
struct refused_key {
  const char* name;
  update_error expected;
};

class PresenceWithRefusedKey : public PresenceAgainstNamed,
                               public ::testing::WithParamInterface<refused_key> {
 protected:
  std::unique_ptr<update_client> refused_client() {
    const std::string name = GetParam().name;
    if (name == "reader-key") return client(name);  // known, but granted nothing of this
    const auto path = named.dir() / "other.key";
    test::write_tsig_key(path, name);  // pp1-key with another secret, or a key named never knew
    return client_with(path);
  }
};

TEST_P(PresenceWithRefusedKey, ZoneUnchangedErrorCountedRetriesBackOff) {
  auto c = refused_client();
  auto s = settings_for("pp1", "192.0.2.1");
  s.first_backoff = 50ms;
  s.max_backoff = 200ms;
  presence pp1(io, *c, s);
  const auto start = std::chrono::steady_clock::now();
  pp1.start();
  const auto index = static_cast<std::size_t>(GetParam().expected);
  std::vector<std::chrono::milliseconds> delays;
  ASSERT_TRUE(run_until(io, [&] {
    if (pp1.counters().failed_by_rcode[index] > delays.size()) delays.push_back(pp1.retry_delay());
    return delays.size() == 5;
  }));
  const auto elapsed = std::chrono::steady_clock::now() - start;

  EXPECT_EQ(delays, (std::vector<std::chrono::milliseconds>{50ms, 100ms, 200ms, 200ms, 200ms}));
  // The fifth failure came after the first four delays, not sooner.
  EXPECT_GE(elapsed, 550ms);
  EXPECT_EQ(pp1.last_error(), GetParam().expected);
  EXPECT_EQ(pp1.counters().sent, 5u);
  EXPECT_EQ(pp1.counters().succeeded, 0u);
  EXPECT_FALSE(pp1.published());
  EXPECT_NE(
      pp1.last_error().message().find(GetParam().expected == update_error::refused  ? "REFUSED"
                                      : GetParam().expected == update_error::badsig ? "BADSIG"
                                                                                    : "BADKEY"),
      std::string::npos);
  EXPECT_TRUE(served("pp1.p2psip.test.", "A").empty());
  EXPECT_TRUE(srvs("_sip._udp.").empty());
  EXPECT_TRUE(naptrs().empty());
}

INSTANTIATE_TEST_SUITE_P(Keys, PresenceWithRefusedKey,
                         ::testing::Values(refused_key{"pp1-key", update_error::badsig},
                                           refused_key{"stranger-key", update_error::badkey},
                                           refused_key{"reader-key", update_error::refused}),
                         [](const auto& p) {
                           std::string n = p.param.name;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

TEST(PresenceWithoutAnswer, TimeoutIsCountedAndRetried) {
  asio::io_context io;
  // Bound, never read: datagrams vanish into it.
  asio::ip::udp::socket silent(io, {asio::ip::make_address("127.0.0.1"), 0});
  update_client c(
      io, {silent.local_endpoint(), 30ms, 2, 300s},
      {"pp1-key.", tsig_algorithm::hmac_sha256, "sm1F2C2c2XNM3LU6hkh36gGI0KxbLKwV+0UbQUA4lw8="});
  auto s = settings_for("pp1", "192.0.2.1");
  s.first_backoff = 40ms;
  presence pp1(io, c, s);
  pp1.start();
  ASSERT_TRUE(run_until(
      io, [&] { return pp1.counters().timeouts == 2; }, 2000ms));
  EXPECT_EQ(pp1.last_error(), update_error::timeout);
  EXPECT_EQ(pp1.retry_delay(), 80ms);
  EXPECT_FALSE(pp1.published());
}

TEST(PresenceDestroyed, NeverCallsBack) {
  asio::io_context io;
  asio::ip::udp::socket silent(io, {asio::ip::make_address("127.0.0.1"), 0});
  update_client c(
      io, {silent.local_endpoint(), 30ms, 1, 300s},
      {"pp1-key.", tsig_algorithm::hmac_sha256, "sm1F2C2c2XNM3LU6hkh36gGI0KxbLKwV+0UbQUA4lw8="});
  bool called = false;
  {
    presence pp1(io, c, settings_for("pp1", "192.0.2.1"));
    pp1.start();
    pp1.withdraw([&](std::error_code) { called = true; });
  }
  io.run_for(200ms);
  EXPECT_FALSE(called);
}

}  // namespace
}  // namespace p2psip::dns
