// The steward against a real named: proxy peers published by presence, a
// dead one on a loopback port where nothing listens, a live one answered by
// the test's own UDP and TCP sockets. Rounds are short; the waits are
// bounded real time, since named is a real server.
#include "node/steward.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <asio/ip/tcp.hpp>
#include <asio/ip/udp.hpp>
#include <optional>

#include "dns/zone_query.hpp"
#include "identity/authority.hpp"
#include "node/proxy_peers.hpp"
#include "node/sip_probe.hpp"
#include "overlay/memory_dht.hpp"
#include "overlay/record_store.hpp"
#include "sip/parser.hpp"
#include "support/named_server.hpp"

namespace p2psip::node {
namespace {

using namespace std::chrono_literals;
using clock = std::chrono::steady_clock;

constexpr auto zone_text =
    "$TTL 300\n"
    "@ IN SOA ns.p2psip.test. hostmaster.p2psip.test. 1 3600 600 86400 60\n"
    "@ IN NS ns\n"
    "ns IN A 127.0.0.1\n";

const auto loopback = asio::ip::make_address("127.0.0.1");

template <class Predicate>
bool run_until(asio::io_context& io, Predicate done, std::chrono::milliseconds limit) {
  io.restart();
  const auto deadline = clock::now() + limit;
  while (!done()) {
    if (clock::now() > deadline) return false;
    io.run_one_for(20ms);
  }
  return true;
}

void run_for(asio::io_context& io, std::chrono::milliseconds span) {
  run_until(
      io, [] { return false; }, span);
}

// Ports on 127.0.0.1 where nothing listens: bound for a moment, then let go.
std::uint16_t unused_udp_port(asio::io_context& io) {
  asio::ip::udp::socket s(io, {loopback, 0});
  return s.local_endpoint().port();
}
std::uint16_t unused_tcp_port(asio::io_context& io) {
  asio::ip::tcp::acceptor a(io, {loopback, 0});
  return a.local_endpoint().port();
}

// The lines of `request` that a response copies (RFC 3261 §8.2.6.2).
std::string response_to(const std::string& request) {
  std::string out = "SIP/2.0 200 OK\r\n";
  std::size_t at = 0;
  while (at < request.size()) {
    const auto end = request.find("\r\n", at);
    if (end == std::string::npos || end == at) break;
    const auto line = request.substr(at, end - at);
    for (const auto* name : {"Via:", "From:", "Call-ID:", "CSeq:"})
      if (line.starts_with(name)) out += line + "\r\n";
    if (line.starts_with("To:")) out += line + ";tag=live\r\n";
    at = end + 2;
  }
  return out + "Content-Length: 0\r\n\r\n";
}

// A live proxy peer's SIP side: a UDP socket that answers every OPTIONS
// with 200 while `answering`, and TCP listeners.
class live_sip {
 public:
  explicit live_sip(asio::io_context& io) : udp_(io, {loopback, 0}), tcp_(io, {loopback, 0}) {}

  std::uint16_t udp_port() const { return udp_.local_endpoint().port(); }
  std::uint16_t tcp_port() const { return tcp_.local_endpoint().port(); }

  void answer() {
    answering_ = true;
    receive();
  }
  // Keeps the port bound but reads nothing: probes time out.
  void fall_silent() {
    answering_ = false;
    udp_.cancel();
  }

  std::vector<std::string> requests;

 private:
  void receive() {
    udp_.async_receive_from(asio::buffer(buffer_), from_,
                            [this](std::error_code ec, std::size_t n) {
                              if (ec || !answering_) return;
                              requests.emplace_back(buffer_.data(), n);
                              const auto response = response_to(requests.back());
                              udp_.send_to(asio::buffer(response), from_, 0, ec);
                              receive();
                            });
  }

  asio::ip::udp::socket udp_;
  asio::ip::tcp::acceptor tcp_;  // listening: the kernel accepts connections
  asio::ip::udp::endpoint from_;
  std::array<char, 4096> buffer_{};
  bool answering_ = false;
};

dns::presence_settings peer(const std::string& label, const std::string& address,
                            dns::sip_ports ports) {
  dns::presence_settings s;
  s.overlay = "p2psip.test.";
  s.self = {label + ".p2psip.test.", {asio::ip::make_address(address)}, ports};
  s.ttl = 60s;
  return s;
}

steward_election always(bool chosen) {
  return [chosen](std::function<void(bool)> decided) { decided(chosen); };
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

class StewardAgainstNamed : public ::testing::Test {
 protected:
  explicit StewardAgainstNamed(
      const std::string& policy = "grant pp1-key zonesub ANY; grant pp2-key zonesub ANY;")
      : named({{{"p2psip.test.", zone_text, policy}}, {"pp1-key", "pp2-key"}, {}}),
        pp1_client(client("pp1-key")),
        pp1(io, *pp1_client, peer("pp1", "192.0.2.1", {5060, 5060, 5061})),
        zone(io, {{loopback, named.port()}, 1000ms}) {
    pp1.start();
    EXPECT_TRUE(run_until(
        io, [&] { return pp1.published(); }, 5000ms));
  }

  std::unique_ptr<dns::update_client> client(const std::string& key_name) {
    auto k = dns::read_tsig_key(named.key_file(key_name));
    EXPECT_TRUE(k) << k.error;
    return std::make_unique<dns::update_client>(
        io, dns::update_settings{{loopback, named.port()}, 1000ms, 3, 300s}, k.key);
  }

  // pp2 publishes itself on 127.0.0.1 with `ports`, then dies without a word.
  void publish_pp2(dns::sip_ports ports) {
    auto c = client("pp2-key");
    dns::presence pp2(io, *c, peer("pp2", "127.0.0.1", ports));
    pp2.start();
    ASSERT_TRUE(run_until(
        io, [&] { return pp2.published(); }, 5000ms));
  }

  dns::sip_ports dead_ports() {
    return {unused_udp_port(io), unused_tcp_port(io), unused_tcp_port(io)};
  }

  steward_settings settings(std::chrono::milliseconds remove_after = 2s) const {
    steward_settings s;
    s.overlay = "p2psip.test.";
    s.self_name = "pp1.p2psip.test.";
    s.check_every = 200ms;
    s.remove_after = remove_after;
    s.probe = {150ms, 50ms};
    return s;
  }

  std::vector<std::string> served(const std::string& name, const std::string& type) const {
    std::vector<std::string> out;
    for (const auto& rr : named.query(name, type)) out.push_back(rr.rdata);
    std::sort(out.begin(), out.end());
    return out;
  }
  bool pp2_present() const {
    return served("pp2.p2psip.test.", "A") == std::vector<std::string>{"127.0.0.1"} &&
           served("_sip._udp.p2psip.test.", "SRV").size() == 2;
  }
  // pp1's records are all there, whoever else is.
  void expect_pp1_intact() const {
    auto has = [&](const std::string& name, const std::string& type, const std::string& rdata) {
      const auto all = served(name, type);
      return std::find(all.begin(), all.end(), rdata) != all.end();
    };
    EXPECT_EQ(served("pp1.p2psip.test.", "A"), std::vector<std::string>{"192.0.2.1"});
    EXPECT_TRUE(has("_sip._udp.p2psip.test.", "SRV", "10 10 5060 pp1.p2psip.test."));
    EXPECT_TRUE(has("_sip._tcp.p2psip.test.", "SRV", "10 10 5060 pp1.p2psip.test."));
    EXPECT_TRUE(has("_sips._tcp.p2psip.test.", "SRV", "10 10 5061 pp1.p2psip.test."));
    EXPECT_EQ(served("p2psip.test.", "NAPTR").size(), 3u);
  }

  test::named_server named;
  asio::io_context io;
  std::unique_ptr<dns::update_client> pp1_client;
  dns::presence pp1;
  dns::zone_reader zone;
};

TEST_F(StewardAgainstNamed, RemovesADeadPeerAfterRemoveAfterAndKeepsItself) {
  ASSERT_NO_FATAL_FAILURE(publish_pp2(dead_ports()));
  ASSERT_TRUE(pp2_present());

  steward s(io, always(true), zone, pp1, settings(2s));
  const auto start = clock::now();
  s.start();
  ASSERT_TRUE(run_until(
      io, [&] { return s.status().failing == 1; }, 2000ms));
  EXPECT_TRUE(pp2_present()) << "removed before remove_after";
  ASSERT_TRUE(run_until(
      io, [&] { return s.status().removed == 1; }, 2s + 3s));
  const auto took = clock::now() - start;
  EXPECT_GE(took, 2s);

  EXPECT_TRUE(served("pp2.p2psip.test.", "A").empty());
  for (const auto* t : {"_sip._udp.", "_sip._tcp.", "_sips._tcp."})
    EXPECT_EQ(served(std::string(t) + "p2psip.test.", "SRV").size(), 1u) << t;
  expect_pp1_intact();
  const auto& st = s.status();
  EXPECT_TRUE(st.steward);
  EXPECT_EQ(st.removal_failures, 0u);
  EXPECT_EQ(st.zone_read_failures, 0u);
  ASSERT_TRUE(st.last_removal);
  EXPECT_EQ(st.last_removal->name, "pp2.p2psip.test.");
  EXPECT_EQ(st.last_removal->addresses, std::vector<asio::ip::address>{loopback});
  EXPECT_GE(st.last_removal->failed_for, 2s);
  EXPECT_EQ(st.failing, 0u);

  // The next rounds find nobody else to watch.
  const auto rounds = st.rounds;
  ASSERT_TRUE(run_until(
      io, [&] { return s.status().rounds >= rounds + 2; }, 2000ms));
  EXPECT_EQ(s.status().watched, 0u);
  EXPECT_EQ(s.status().removed, 1u);
}

TEST_F(StewardAgainstNamed, NeverRemovesALivePeer) {
  live_sip live(io);
  live.answer();
  live_sip tls_port(io);  // only its TCP listener serves
  ASSERT_NO_FATAL_FAILURE(publish_pp2({live.udp_port(), live.tcp_port(), tls_port.tcp_port()}));

  steward s(io, always(true), zone, pp1, settings(1s));
  s.start();
  run_for(io, 1s + 1500ms);
  EXPECT_TRUE(pp2_present());
  expect_pp1_intact();
  EXPECT_EQ(s.status().removed, 0u);
  EXPECT_EQ(s.status().failing, 0u);
  EXPECT_EQ(s.status().watched, 1u);
  EXPECT_GE(s.status().rounds, 5u);
}

TEST_F(StewardAgainstNamed, AnOptionsAnswerOverUdpAloneIsEnough) {
  live_sip live(io);
  live.answer();
  ASSERT_NO_FATAL_FAILURE(publish_pp2({live.udp_port(), std::nullopt, std::nullopt}));

  steward s(io, always(true), zone, pp1, settings(1s));
  s.start();
  run_for(io, 1s + 1000ms);
  EXPECT_TRUE(pp2_present());
  EXPECT_EQ(s.status().removed, 0u);
  EXPECT_EQ(s.status().watched, 1u);

  // What the live peer was sent is a well-formed OPTIONS (RFC 3261 §8.1.1).
  ASSERT_FALSE(live.requests.empty());
  sip::message m;
  ASSERT_TRUE(sip::parse(live.requests.front(), m));
  EXPECT_TRUE(m.is_request());
  EXPECT_EQ(m.method(), sip::method::options);
  EXPECT_EQ(m.max_forwards(), 70u);
  EXPECT_TRUE(m.top_via().rfc3261_branch());
  EXPECT_EQ(m.top_via().transport, "UDP");
  EXPECT_TRUE(m.top_via().has_rport);
  EXPECT_EQ(m.cseq().method, "OPTIONS");
  EXPECT_FALSE(m.call_id().empty());
  EXPECT_NE(live.requests.front().find(";tag="), std::string::npos);
  EXPECT_TRUE(live.requests.front().starts_with(
      "OPTIONS sip:127.0.0.1:" + std::to_string(live.udp_port()) + " SIP/2.0\r\n"));
}

TEST_F(StewardAgainstNamed, ANonStewardDoesNothing) {
  ASSERT_NO_FATAL_FAILURE(publish_pp2(dead_ports()));
  steward s(io, always(false), zone, pp1, settings(1s));
  s.start();
  run_for(io, 1s + 1000ms);
  EXPECT_TRUE(pp2_present());
  EXPECT_FALSE(s.status().steward);
  EXPECT_EQ(s.status().rounds, 0u);
  EXPECT_EQ(s.status().watched, 0u);
  EXPECT_EQ(s.status().removed, 0u);
}

TEST_F(StewardAgainstNamed, APeerThatAnswersAgainBeforeRemoveAfterStartsAfresh) {
  live_sip flaky(io);  // bound, silent: probes time out
  ASSERT_NO_FATAL_FAILURE(publish_pp2({flaky.udp_port(), std::nullopt, std::nullopt}));

  steward s(io, always(true), zone, pp1, settings(2s));
  const auto start = clock::now();
  s.start();
  run_for(io, 1000ms);
  EXPECT_EQ(s.status().failing, 1u);
  flaky.answer();
  ASSERT_TRUE(run_until(
      io, [&] { return s.status().failing == 0; }, 1000ms));
  const auto answered_until = clock::now();
  flaky.fall_silent();
  // Without the reset it would go at 2 s from the start; it goes 2 s after
  // it fell silent again.
  run_for(io, 1500ms);
  EXPECT_TRUE(pp2_present());
  EXPECT_EQ(s.status().removed, 0u);
  EXPECT_EQ(s.status().failing, 1u);
  ASSERT_TRUE(run_until(
      io, [&] { return s.status().removed == 1; }, 3000ms));
  EXPECT_GE(clock::now() - answered_until, 2s);
  EXPECT_GE(clock::now() - start, 3s);
  EXPECT_FALSE(pp2_present());
  expect_pp1_intact();
}

TEST_F(StewardAgainstNamed, AZoneItCannotReadRemovesNothing) {
  ASSERT_NO_FATAL_FAILURE(publish_pp2(dead_ports()));
  dns::zone_reader nowhere(io, {{loopback, unused_tcp_port(io)}, 300ms});
  steward s(io, always(true), nowhere, pp1, settings(500ms));
  s.start();
  run_for(io, 1500ms);
  EXPECT_TRUE(pp2_present());
  EXPECT_GE(s.status().zone_read_failures, 3u);
  EXPECT_EQ(s.status().removed, 0u);
  EXPECT_EQ(s.status().watched, 0u);
}

TEST_F(StewardAgainstNamed, ZoneReaderReadsThePrimaryAndAnAbsentNameIsNoRecords) {
  std::optional<std::pair<std::error_code, std::vector<dns::record>>> srv, none;
  zone.query("_sip._udp.p2psip.test.", "SRV",
             [&](std::error_code ec, std::vector<dns::record> rrs) { srv.emplace(ec, rrs); });
  zone.query("nobody.p2psip.test.", "A",
             [&](std::error_code ec, std::vector<dns::record> rrs) { none.emplace(ec, rrs); });
  EXPECT_FALSE(srv) << "the handler ran inside the call";
  ASSERT_TRUE(run_until(
      io, [&] { return srv && none; }, 3000ms));
  EXPECT_EQ(srv->first, std::error_code());
  ASSERT_EQ(srv->second.size(), 1u);
  EXPECT_EQ(srv->second[0],
            (dns::record{"_sip._udp.p2psip.test.", "SRV", "10 10 5060 pp1.p2psip.test.", 60}));
  EXPECT_EQ(none->first, std::error_code());
  EXPECT_TRUE(none->second.empty());
}

class StewardUnderPerPeerPolicy : public StewardAgainstNamed {
 protected:
  StewardUnderPerPeerPolicy()
      : StewardAgainstNamed(per_peer_policy("pp1") + per_peer_policy("pp2")) {}
};

// The steward's key may not touch the dead peer's name, only the shared
// SRVs: those are what send callers to it, and they go.
TEST_F(StewardUnderPerPeerPolicy, RemovesTheDeadPeersSrvs) {
  ASSERT_NO_FATAL_FAILURE(publish_pp2(dead_ports()));
  steward s(io, always(true), zone, pp1, settings(1s));
  s.start();
  ASSERT_TRUE(run_until(
      io, [&] { return s.status().removed == 1; }, 1s + 3s))
      << "removal failures: " << s.status().removal_failures;
  for (const auto* t : {"_sip._udp.", "_sip._tcp.", "_sips._tcp."})
    EXPECT_EQ(served(std::string(t) + "p2psip.test.", "SRV").size(), 1u) << t;
  expect_pp1_intact();
  // Refused to pp1's key, and harmless: no SRV names it any more.
  EXPECT_EQ(served("pp2.p2psip.test.", "A"), std::vector<std::string>{"127.0.0.1"});
}

TEST(StewardElection, TheLowestFreshNodeIdIsSteward) {
  EXPECT_TRUE(lowest_is("node-a", {"node-a", "node-b", "node-c"}));
  EXPECT_FALSE(lowest_is("node-b", {"node-a", "node-b", "node-c"}));
  EXPECT_TRUE(lowest_is("node-b", {"node-c", "node-b"}));
  EXPECT_FALSE(lowest_is("node-a", {}));  // not in the overlay yet: nobody is steward for it
}

// Three proxy peers on an in-memory overlay, each asking the election of
// the overlay whether it is the steward.
class StewardElectionThroughTheOverlay : public ::testing::Test {
 protected:
  StewardElectionThroughTheOverlay() {
    auto now = [] { return overlay::wall_clock::now(); };
    auto verifier = std::make_shared<overlay::record_verifier>("p2psip.test",
                                                               identity::trust_anchor{ca.cert()});
    net = std::make_shared<overlay::memory_network>(io, overlay::storage_policies(verifier, now),
                                                    now);
    for (const auto* id : {"node-a", "node-b", "node-c"}) {
      dhts.push_back(std::make_unique<overlay::memory_dht>(net));
      stores.push_back(std::make_unique<overlay::record_store>(*dhts.back(), verifier, now));
      auto issued = ca.issue_node(id, false);
      peers.push_back(std::make_unique<proxy_peers>(
          io, *stores.back(), overlay::signer{std::move(issued.key), std::move(issued.cert)}, id,
          proxy_peers_settings{"p2psip.test", 2, 60s, 0s}));
      elections.push_back(lowest_node_id(*peers.back(), id));
    }
  }

  // Each peer's answer, in the order a, b, c.
  std::vector<bool> ask() {
    std::vector<std::optional<bool>> answers(elections.size());
    for (std::size_t i = 0; i < elections.size(); ++i)
      elections[i]([&answers, i](bool chosen) { answers[i] = chosen; });
    EXPECT_TRUE(run_until(
        io, [&] { return std::all_of(answers.begin(), answers.end(), [](auto a) { return a; }); },
        5000ms));
    std::vector<bool> out;
    for (const auto& a : answers) out.push_back(a.value_or(false));
    return out;
  }

  // One answer of `election`; nullopt when it gave none within 5 s.
  std::optional<bool> decide(const steward_election& election) {
    std::optional<bool> chosen;
    election([&chosen](bool c) { chosen = c; });
    run_until(
        io, [&] { return chosen.has_value(); }, 5000ms);
    return chosen;
  }

  // Waits until peer `i` reads `expected` as the members and node-a's link
  // on `a_port`.
  bool reads(std::size_t i, const std::vector<std::string>& expected, std::uint16_t a_port) {
    return run_until(
        io,
        [&] {
          std::optional<std::vector<std::string>> members;
          peers[i]->members([&](std::vector<std::string> m) { members = std::move(m); });
          run_until(
              io, [&] { return members.has_value(); }, 1000ms);
          const auto link = peers[i]->link_of("node-a");
          return members == expected && link && link->port == a_port;
        },
        5000ms);
  }

  asio::io_context io;
  identity::certificate_authority ca = identity::certificate_authority::create("p2psip.test");
  std::shared_ptr<overlay::memory_network> net;
  std::vector<std::unique_ptr<overlay::memory_dht>> dhts;
  std::vector<std::unique_ptr<overlay::record_store>> stores;
  std::vector<std::unique_ptr<proxy_peers>> peers;
  std::vector<steward_election> elections;
};

TEST_F(StewardElectionThroughTheOverlay, AllAgreeOnTheLowestAndTheNextTakesOverWhenItLeaves) {
  EXPECT_EQ(ask(), (std::vector<bool>{false, false, false})) << "no proxy peer yet";
  peers[2]->offer("sip:127.0.0.1:5082;transport=tcp");
  peers[0]->offer("sip:127.0.0.1:5080;transport=tcp");
  peers[1]->offer("sip:127.0.0.1:5081;transport=tcp");
  ASSERT_TRUE(run_until(
      io,
      [&] {
        return ask() == std::vector<bool>{true, false, false};
      },
      5000ms));

  std::optional<std::error_code> withdrawn;
  peers[0]->withdraw([&](std::error_code ec) { withdrawn = ec; });
  ASSERT_TRUE(run_until(
      io, [&] { return withdrawn.has_value(); }, 5000ms));
  EXPECT_EQ(ask(), (std::vector<bool>{false, true, false}));

  std::optional<std::vector<std::string>> members;
  peers[2]->members([&](std::vector<std::string> m) { members = std::move(m); });
  ASSERT_TRUE(run_until(
      io, [&] { return members.has_value(); }, 5000ms));
  EXPECT_EQ(*members, (std::vector<std::string>{"node-b", "node-c"}));
}

// A steward that died keeps its record in the overlay for minutes; the
// probe of its node link lets the next member take over at once, and never
// while the lower one still accepts connections.
TEST_F(StewardElectionThroughTheOverlay, ALowerMemberWhoseLinkRefusesIsPassedOverWithTheProbe) {
  sip_probe probe(io, {300ms, 100ms});
  const auto dead = unused_tcp_port(io);
  peers[0]->offer("sip:127.0.0.1:" + std::to_string(dead) + ";transport=tcp");
  peers[1]->offer("sip:127.0.0.1:5081;transport=tcp");
  ASSERT_TRUE(reads(1, {"node-a", "node-b"}, dead));

  EXPECT_EQ(decide(lowest_node_id(*peers[1], "node-b", &probe)), true);
  EXPECT_EQ(decide(lowest_node_id(*peers[1], "node-b")), false) << "without the probe";
  EXPECT_EQ(decide(lowest_node_id(*peers[0], "node-a", &probe)), true)
      << "the lowest never probes itself";

  // node-a's link listens now: it is alive and stays steward.
  asio::ip::tcp::acceptor listening(io, {loopback, 0});
  const auto live = listening.local_endpoint().port();
  peers[0]->offer("sip:127.0.0.1:" + std::to_string(live) + ";transport=tcp");
  ASSERT_TRUE(reads(1, {"node-a", "node-b"}, live));
  EXPECT_EQ(decide(lowest_node_id(*peers[1], "node-b", &probe)), false);
  EXPECT_EQ(decide(lowest_node_id(*peers[1], "node-b")), false);
}

TEST(SipProbe, AResponseMustMatchBranchAndCallId) {
  const probe_ids ids{"z9hG4bKabc", "call-1", "t1"};
  const asio::ip::udp::endpoint target{loopback, 5060}, local{loopback, 40000};
  const auto request = options_request(target, local, ids);
  EXPECT_TRUE(answers_options(response_to(request), ids));
  EXPECT_FALSE(answers_options(response_to(request), {"z9hG4bKother", "call-1", "t1"}));
  EXPECT_FALSE(answers_options(response_to(request), {"z9hG4bKabc", "call-2", "t1"}));
  EXPECT_FALSE(answers_options(request, ids)) << "a request is no answer";
  EXPECT_FALSE(answers_options("garbage", ids));
}

TEST(SipProbe, OptionsToAnIpv6PeerBracketsTheHost) {
  const auto request =
      options_request({asio::ip::make_address("2001:db8::1"), 5060},
                      {asio::ip::make_address("2001:db8::2"), 5062}, random_probe_ids());
  EXPECT_TRUE(request.starts_with("OPTIONS sip:[2001:db8::1]:5060 SIP/2.0\r\n"));
  sip::message m;
  EXPECT_TRUE(sip::parse(request, m));
  EXPECT_EQ(m.top_via().host, "[2001:db8::2]");
}

}  // namespace
}  // namespace p2psip::node
