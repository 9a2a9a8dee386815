// The overlay's door to other domains, in the proxy core alone: who may
// leave (interwork §5.2), how a plain node reaches a proxy peer, how a proxy
// peer resolves and fails over (RFC 3263 §4.3 through a scripted resolver),
// and the Record-Route that names the overlay rather than the proxy peer
// (interwork §3.1).
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "auth/digest.hpp"
#include "proxy/core.hpp"
#include "proxy/processors.hpp"
#include "proxy_test_support.hpp"
#include "sip/editor.hpp"
#include "sip/parser.hpp"

namespace p2psip::proxy {
namespace {

using namespace std::chrono_literals;
using namespace test_support;

transport::endpoint tls(std::string_view ip, std::uint16_t port) {
  return {transport::protocol::tls, asio::ip::make_address(std::string(ip)), port, 0};
}

// Answers from a script: each URI's destinations or why there are none.
// Deferred answers wait for release(), as a DNS query would.
class scripted_resolver final : public next_hop_resolver {
 public:
  void resolve(const std::string& uri, done_handler done) override {
    asked.push_back(uri);
    const auto it = script.find(uri);
    auto hops = it == script.end() ? std::vector<transport::endpoint>{} : it->second;
    const auto why = it == script.end() ? failure_for_unknown : resolve_failure::none;
    if (defer) {
      pending.push_back([done = std::move(done), hops, why] { done(hops, why); });
      return;
    }
    done(std::move(hops), why);
  }
  void failed(const transport::endpoint& hop, hop_failure why,
              std::optional<std::chrono::seconds> retry_after) override {
    failures.push_back({hop, why, retry_after});
  }
  void release() {
    auto now = std::move(pending);
    pending.clear();
    for (auto& f : now) f();
  }

  struct failure {
    transport::endpoint hop;
    hop_failure why;
    std::optional<std::chrono::seconds> retry_after;
  };
  std::map<std::string, std::vector<transport::endpoint>> script;
  resolve_failure failure_for_unknown = resolve_failure::not_found;
  bool defer = false;
  std::vector<std::function<void()>> pending;
  std::vector<std::string> asked;
  std::vector<failure> failures;
};

std::string invite(std::string_view to, std::string_view from, std::string_view extra = {},
                   std::string_view via_host = "192.0.2.10") {
  return "INVITE " + std::string(to) + " SIP/2.0\r\nVia: SIP/2.0/UDP " + std::string(via_host) +
         ":5060;branch=z9hG4bKcaller1\r\nMax-Forwards: 70\r\nTo: <" + std::string(to) +
         ">\r\nFrom: <" + std::string(from) +
         ">;tag=a1\r\nCall-ID: call-x\r\nCSeq: 1 INVITE\r\nContact: <sip:a@192.0.2.10>\r\n" +
         std::string(extra) + "Content-Length: 0\r\n\r\n";
}

// A node of the overlay p2psip.test on 203.0.113.1 (UDP 5060, TLS 5061);
// 198.51.100.7 is another node, on an authenticated link.
class Interworking : public ::testing::TestWithParam<bool> {
 protected:
  bool proxy_peer() const { return GetParam(); }

  void SetUp() override {
    users.add("alice", "wonderland");
    proxy_config pc;
    pc.domains = {"p2psip.test"};
    pc.local = {udp("203.0.113.1", 5060), tls("203.0.113.1", 5061)};
    pc.from_node = [](const transport::endpoint& e) {
      return e.address == asio::ip::make_address("198.51.100.7");
    };
    pc.resolver = &resolver;
    if (proxy_peer()) {
      pc.local_names = {"p2psip.test"};
      pc.boundary_name = "p2psip.test";
    }
    core = std::make_unique<proxy_core>(pc, txn, [this] { return steady_now; });
    auto chain = standard_chain(store, authenticator, users, now);
    chain.overlay = "p2psip.test";
    chain.proxy_peer = proxy_peer();
    install_standard_chain(*core, chain);
  }

  // alice's Proxy-Authorization for the challenge `response`, for `uri`.
  static std::string alice_credentials(const std::string& challenge, std::string_view uri,
                                       std::string_view method = "INVITE") {
    parsed c(challenge);
    const auto prx = sip::parse_credentials(c.msg.find(sip::header_id::proxy_authenticate)->value);
    EXPECT_TRUE(prx);
    const auto nonce = std::string(*prx->param("nonce"));
    const auto response = auth::request_digest(
        auth::algorithm::sha256,
        auth::ha1(auth::algorithm::sha256, "alice", "p2psip.test", "wonderland"),
        {method, uri, nonce, "00000001", "c", "auth"});
    return "Proxy-Authorization: Digest username=\"alice\", realm=\"p2psip.test\", nonce=\"" +
           nonce + "\", uri=\"" + std::string(uri) + "\", response=\"" + response +
           "\", algorithm=SHA-256, qop=auth, nc=00000001, cnonce=\"c\"\r\n";
  }

  void deliver(transaction_id server, const std::string& text,
               transport::endpoint from = udp("192.0.2.10", 5060)) {
    parsed p(text);
    core->on_request(server, p.msg, from);
  }

  void answer(const sent_request& r, std::uint16_t code, std::string_view extra = {}) {
    parsed forwarded(r.bytes);
    parsed p(sip::make_response(forwarded.msg, code, "Reason", "callee", extra));
    core->on_response(r.id, p.msg);
  }

  std::uint16_t last_status(transaction_id server) {
    return status_of(txn.responses[server].back());
  }

  static std::vector<std::string> values(const std::string& bytes, sip::header_id id) {
    parsed p(bytes);
    std::vector<std::string> out;
    for (const auto& v : p.msg.values(id)) out.emplace_back(v.text);
    return out;
  }

  void pass(std::chrono::milliseconds d) {
    steady_now += d;
    core->advance(steady_now);
  }

  wall_clock::time_point now = wall_clock::time_point{} + 1'700'000'000s;
  steady_clock::time_point steady_now{};
  fake_txn txn;
  scripted_resolver resolver;
  memory_location store;
  auth::user_file users;
  auth::authenticator authenticator{{"p2psip.test", "secret", 300s, {auth::algorithm::sha256}},
                                    users};
  std::unique_ptr<proxy_core> core;
};

INSTANTIATE_TEST_SUITE_P(PlainNodeAndProxyPeer, Interworking, ::testing::Bool(),
                         [](const auto& p) { return p.param ? "ProxyPeer" : "PlainNode"; });

const std::string carol = "sip:carol@example.test";
const auto kamailio = udp("192.0.2.50", 5060);
const auto kamailio_backup = udp("192.0.2.51", 5060);
const auto proxy_peer_1 = tls("198.51.100.21", 5061);
const auto proxy_peer_2 = tls("198.51.100.22", 5061);

TEST_P(Interworking, NobodyFromThePublicNetworkLeavesThroughTheOverlay) {
  deliver(1, invite(carol, "sip:mallory@example.org"), udp("192.0.2.99", 5060));
  EXPECT_EQ(last_status(1), 403);
  EXPECT_TRUE(txn.requests.empty());
  EXPECT_TRUE(resolver.asked.empty());
}

TEST_P(Interworking, AUserOfTheOverlayIsChallengedBeforeLeavingAndThenGoesOut) {
  resolver.script[carol] = {kamailio};
  resolver.script["sip:p2psip.test;lr"] = {proxy_peer_1};
  deliver(1, invite(carol, "sip:alice@p2psip.test"));
  ASSERT_EQ(last_status(1), 407);
  EXPECT_TRUE(txn.requests.empty());

  deliver(
      2, invite(carol, "sip:alice@p2psip.test", alice_credentials(txn.responses[1].back(), carol)));
  ASSERT_EQ(txn.requests.size(), 1u);
  const auto& out = txn.requests[0];
  if (proxy_peer()) {
    // Out by RFC 3263, Record-Routed with the overlay's name only.
    EXPECT_EQ(out.hop, kamailio);
    EXPECT_EQ(values(out.bytes, sip::header_id::route), std::vector<std::string>{});
    EXPECT_EQ(values(out.bytes, sip::header_id::record_route),
              std::vector<std::string>{"<sip:p2psip.test;lr>"});
  } else {
    // To a proxy peer, found through the Route that names the overlay.
    EXPECT_EQ(out.hop, proxy_peer_1);
    EXPECT_EQ(values(out.bytes, sip::header_id::route),
              std::vector<std::string>{"<sip:p2psip.test;lr>"});
    parsed p(out.bytes);
    EXPECT_EQ(p.msg.request().uri_text, carol);
  }
}

TEST_P(Interworking, ARequestPassedOnByANodeIsNotChallengedAgain) {
  resolver.script[carol] = {kamailio};
  resolver.script["sip:p2psip.test;lr"] = {proxy_peer_1};
  const auto via_node = "Via: SIP/2.0/TLS 198.51.100.7:5061;branch=z9hG4bKnode\r\n";
  auto text = invite(carol, "sip:alice@p2psip.test");
  text.insert(text.find("Via:"), via_node);
  deliver(1, text, tls("198.51.100.7", 40000));
  ASSERT_EQ(txn.requests.size(), 1u);
  EXPECT_EQ(txn.requests[0].hop, proxy_peer() ? kamailio : proxy_peer_1);
  if (proxy_peer()) {
    // RFC 5658: TLS from the node, UDP to the public side; neither entry
    // names this proxy peer.
    EXPECT_EQ(
        values(txn.requests[0].bytes, sip::header_id::record_route),
        (std::vector<std::string>{"<sip:p2psip.test;lr>", "<sip:p2psip.test;transport=tls;lr>"}));
  }
}

TEST_P(Interworking, APublicCallToAnOverlayUserIsRecordRoutedWithTheOverlayAtAProxyPeer) {
  binding b;
  b.contact = "sip:alice@192.0.2.30:5060";
  b.expires = now + 3600s;
  b.path = {"<sip:tok@198.51.100.7:5061;transport=tls;lr>"};
  store.store("sip:alice@p2psip.test", {b}, [](std::error_code) {});
  deliver(1, invite("sip:alice@p2psip.test", "sip:carol@example.test"), udp("192.0.2.50", 5060));
  ASSERT_EQ(txn.requests.size(), 1u);
  EXPECT_EQ(txn.requests[0].hop, tls("198.51.100.7", 5061));
  const auto rr = values(txn.requests[0].bytes, sip::header_id::record_route);
  if (proxy_peer()) {
    EXPECT_EQ(rr, (std::vector<std::string>{"<sip:p2psip.test;transport=tls;lr>",
                                            "<sip:p2psip.test;lr>"}));
  } else {
    ASSERT_EQ(rr.size(), 2u);
    EXPECT_NE(rr[0].find("203.0.113.1"), std::string::npos) << rr[0];
  }
}

TEST_P(Interworking, AnUnknownOverlayUserIsAnswered404AtOnce) {
  deliver(1, invite("sip:nobody@p2psip.test", "sip:carol@example.test"), udp("192.0.2.50", 5060));
  EXPECT_EQ(last_status(1), 404);
  EXPECT_TRUE(txn.requests.empty());
}

// Only a proxy peer resolves public domains; the rest are its cases.
class ProxyPeer : public Interworking {};
INSTANTIATE_TEST_SUITE_P(Only, ProxyPeer, ::testing::Values(true));

std::string from_node(std::string to) {
  auto text = invite(to, "sip:alice@p2psip.test");
  text.insert(text.find("Via:"), "Via: SIP/2.0/TLS 198.51.100.7:5061;branch=z9hG4bKnode\r\n");
  return text;
}

TEST_P(ProxyPeer, APreloadedRouteFromThePublicNetworkToAnotherDomainIsRefused) {
  resolver.script["sip:192.0.2.77"] = {udp("192.0.2.77", 5060)};
  const auto route = "Route: <sip:p2psip.test;lr>, <sip:192.0.2.77;lr>\r\n";
  deliver(1, invite("sip:victim@example.net", "sip:mallory@example.org", route),
          udp("192.0.2.99", 5060));
  EXPECT_EQ(last_status(1), 403);
  EXPECT_TRUE(txn.requests.empty());
}

TEST_P(ProxyPeer, ATransportErrorMovesOnToTheNextDestinationAndIsReported) {
  resolver.script[carol] = {kamailio, kamailio_backup};
  deliver(1, from_node(carol), tls("198.51.100.7", 40000));
  ASSERT_EQ(txn.requests.size(), 1u);
  core->on_transport_error(txn.requests[0].id);
  ASSERT_EQ(txn.requests.size(), 2u);
  EXPECT_EQ(txn.requests[1].hop, kamailio_backup);
  ASSERT_EQ(resolver.failures.size(), 1u);
  EXPECT_EQ(resolver.failures[0].hop, kamailio);
  EXPECT_EQ(resolver.failures[0].why, hop_failure::transport_error);
  answer(txn.requests[1], 200);
  EXPECT_EQ(last_status(1), 200);
  EXPECT_EQ(core->stats().failovers, 1u);
}

TEST_P(ProxyPeer, A503MovesOnAndItsRetryAfterIsReported) {
  resolver.script[carol] = {kamailio, kamailio_backup};
  deliver(1, from_node(carol), tls("198.51.100.7", 40000));
  answer(txn.requests[0], 503, "Retry-After: 30\r\n");
  ASSERT_EQ(txn.requests.size(), 2u);
  EXPECT_EQ(txn.requests[1].hop, kamailio_backup);
  ASSERT_EQ(resolver.failures.size(), 1u);
  EXPECT_EQ(resolver.failures[0].why, hop_failure::service_unavailable);
  EXPECT_EQ(resolver.failures[0].retry_after, std::optional(30s));
  // The caller never hears the 503.
  for (const auto& r : txn.responses[1]) EXPECT_NE(status_of(r), 503);
}

TEST_P(ProxyPeer, ASilentDestinationIsLeftAfterFailoverAfterButNotOneThatAnswered) {
  resolver.script[carol] = {kamailio, kamailio_backup};
  deliver(1, from_node(carol), tls("198.51.100.7", 40000));
  pass(3900ms);
  EXPECT_EQ(txn.requests.size(), 1u);
  pass(200ms);
  ASSERT_EQ(txn.requests.size(), 2u);
  EXPECT_EQ(txn.abandoned, std::vector<transaction_id>{txn.requests[0].id});
  EXPECT_EQ(txn.requests[1].hop, kamailio_backup);
  EXPECT_EQ(resolver.failures.at(0).why, hop_failure::timeout);

  // A destination that said 100 Trying is waited for as Timer C says.
  resolver.script["sip:dave@example.test"] = {kamailio, kamailio_backup};
  deliver(2, from_node("sip:dave@example.test"), tls("198.51.100.7", 40000));
  ASSERT_EQ(txn.requests.size(), 3u);
  answer(txn.requests[2], 100);
  pass(60s);
  EXPECT_EQ(txn.requests.size(), 3u);
}

TEST_P(ProxyPeer, TheLastDestinationFailingEndsTheBranch) {
  resolver.script[carol] = {kamailio};
  deliver(1, from_node(carol), tls("198.51.100.7", 40000));
  core->on_transport_error(txn.requests[0].id);
  EXPECT_EQ(txn.requests.size(), 1u);
  EXPECT_EQ(resolver.failures.size(), 1u);
  // §16.7 step 6: a 503 made here would make the caller back off this node.
  EXPECT_EQ(last_status(1), 500);
}

TEST_P(ProxyPeer, ANameWithoutDestinationsIs404AndOneTheResolversCannotAnswerIs504) {
  deliver(1, from_node(carol), tls("198.51.100.7", 40000));
  EXPECT_EQ(last_status(1), 404);
  resolver.failure_for_unknown = resolve_failure::timed_out;
  resolver.defer = true;
  deliver(2, from_node("sip:dave@example.test"), tls("198.51.100.7", 40000));
  EXPECT_EQ(txn.responses[2].size(), 1u) << "only 100 Trying while DNS answers";
  resolver.release();
  EXPECT_EQ(last_status(2), 504);
  EXPECT_EQ(core->active_requests(), 0u);
}

TEST_P(ProxyPeer, ACancelWhileResolvingEndsTheRequestAndTheLateAnswerIsIgnored) {
  resolver.script[carol] = {kamailio};
  resolver.defer = true;
  const auto text = from_node(carol);
  deliver(1, text, tls("198.51.100.7", 40000));
  auto cancel = text;
  cancel.replace(0, 6, "CANCEL");
  cancel.replace(cancel.find("1 INVITE"), 8, "1 CANCEL");
  parsed c(cancel);
  core->on_cancel(2, 1, c.msg);
  EXPECT_EQ(last_status(1), 487);
  resolver.release();
  EXPECT_TRUE(txn.requests.empty());
  EXPECT_EQ(core->active_requests(), 0u);
}

TEST_P(ProxyPeer, AnInDialogRequestFromThePublicSideTakesOurOverlayRoutesAsItsOwn) {
  const auto bye =
      "BYE sip:alice@192.0.2.30:5060 SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 192.0.2.50:5060;branch=z9hG4bKbye\r\nMax-Forwards: 69\r\n"
      "Route: <sip:p2psip.test;lr>, <sip:p2psip.test;transport=tls;lr>, "
      "<sip:198.51.100.7:5061;transport=tls;lr>\r\n"
      "To: <sip:alice@p2psip.test>;tag=callee\r\nFrom: <sip:carol@example.test>;tag=c1\r\n"
      "Call-ID: d\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n";
  deliver(1, bye, udp("192.0.2.50", 5060));
  ASSERT_EQ(txn.requests.size(), 1u);
  EXPECT_EQ(txn.requests[0].hop, tls("198.51.100.7", 5061));
  EXPECT_EQ(values(txn.requests[0].bytes, sip::header_id::route),
            std::vector<std::string>{"<sip:198.51.100.7:5061;transport=tls;lr>"});
  EXPECT_TRUE(resolver.asked.empty());
}

// alice's phone registers her public AOR at example.test's registrar
// through her node (interwork §4.2), binding her overlay AOR.
std::string public_register(std::string_view extra = {}) {
  return "REGISTER sip:example.test SIP/2.0\r\n"
         "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKreg1\r\nMax-Forwards: 70\r\n"
         "To: <sip:alice@example.test>\r\nFrom: <sip:alice@example.test>;tag=r1\r\n"
         "Call-ID: reg-x\r\nCSeq: 1 REGISTER\r\nContact: <sip:alice@p2psip.test>\r\n"
         "Expires: 600\r\n" +
         std::string(extra) + "Content-Length: 0\r\n\r\n";
}

TEST_P(Interworking, APublicRegistrationOfAnOverlayUserLeavesThroughAProxyPeer) {
  resolver.script["sip:example.test"] = {kamailio};
  resolver.script["sip:p2psip.test;lr"] = {proxy_peer_1};
  deliver(1, public_register());
  ASSERT_EQ(last_status(1), 407);
  EXPECT_TRUE(txn.requests.empty());
  deliver(2, public_register(
                 alice_credentials(txn.responses[1].back(), "sip:example.test", "REGISTER")));
  ASSERT_EQ(txn.requests.size(), 1u);
  const auto& out = txn.requests[0];
  EXPECT_EQ(out.hop, proxy_peer() ? kamailio : proxy_peer_1);
  // A REGISTER makes no dialog: nothing Record-Routes it.
  EXPECT_EQ(values(out.bytes, sip::header_id::record_route), std::vector<std::string>{});
  EXPECT_EQ(values(out.bytes, sip::header_id::contact),
            std::vector<std::string>{"<sip:alice@p2psip.test>"});
  // The registrar's own challenge goes back to the phone.
  answer(out, 401, "WWW-Authenticate: Digest realm=\"example.test\", nonce=\"k1\"\r\n");
  EXPECT_EQ(last_status(2), 401);
}

TEST_P(Interworking, NobodyFromThePublicNetworkRegistersElsewhereThroughTheOverlay) {
  resolver.script["sip:example.test"] = {kamailio};
  deliver(1, public_register(), udp("192.0.2.99", 5060));
  EXPECT_EQ(last_status(1), 407);
  EXPECT_TRUE(txn.requests.empty());
}

// A UA inside the node (its public registrations) sends through the same
// chain, as its user, without being challenged, and hears the final answer.
TEST_P(Interworking, ARequestTheNodeOriginatesGoesOutAsItsUserAndItsAnswerComesBack) {
  resolver.script["sip:example.test"] = {kamailio};
  resolver.script["sip:p2psip.test;lr"] = {proxy_peer_1};
  std::vector<std::string> answers;
  auto text = public_register();
  text.erase(text.find("Via:"), text.find("Max-Forwards:") - text.find("Via:"));
  ASSERT_TRUE(core->originate(text, "alice",
                              [&](const sip::message& m) { answers.emplace_back(m.raw()); }));
  ASSERT_EQ(txn.requests.size(), 1u);
  const auto& out = txn.requests[0];
  EXPECT_EQ(out.hop, proxy_peer() ? kamailio : proxy_peer_1);
  EXPECT_EQ(values(out.bytes, sip::header_id::via).size(), 2u);
  answer(out, 100);
  EXPECT_TRUE(answers.empty());
  answer(out, 401, "WWW-Authenticate: Digest realm=\"example.test\", nonce=\"k1\"\r\n");
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(status_of(answers[0]), 401);
  EXPECT_EQ(values(answers[0], sip::header_id::via), std::vector<std::string>{});
  EXPECT_EQ(values(answers[0], sip::header_id::www_authenticate).size(), 1u);
  EXPECT_EQ(core->active_requests(), 0u);
  EXPECT_TRUE(txn.responses.empty());
}

class PlainNode : public Interworking {};
INSTANTIATE_TEST_SUITE_P(Only, PlainNode, ::testing::Values(false));

TEST_P(PlainNode, AnInDialogRouteNamingTheOverlayGoesToAProxyPeerAndSoDoesItsAck) {
  resolver.script["sip:p2psip.test;transport=tls;lr"] = {proxy_peer_2, proxy_peer_1};
  const auto in_dialog = [](std::string_view method, std::string_view cseq) {
    return std::string(method) +
           " sip:carol@192.0.2.60 SIP/2.0\r\n"
           "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK" +
           std::string(method) +
           "\r\nMax-Forwards: 70\r\n"
           "Route: <sip:p2psip.test;transport=tls;lr>, <sip:p2psip.test;lr>, "
           "<sip:192.0.2.50;lr>\r\n"
           "To: <sip:carol@example.test>;tag=c1\r\nFrom: <sip:alice@p2psip.test>;tag=a1\r\n"
           "Call-ID: d\r\nCSeq: " +
           std::string(cseq) + "\r\nContent-Length: 0\r\n\r\n";
  };
  deliver(1, in_dialog("INVITE", "3 INVITE"));
  ASSERT_EQ(txn.requests.size(), 1u);
  EXPECT_EQ(txn.requests[0].hop, proxy_peer_2);
  // The Route set is the proxy peer's to follow: nothing is removed here.
  EXPECT_EQ(values(txn.requests[0].bytes, sip::header_id::route).size(), 3u);
  answer(txn.requests[0], 200);

  parsed ack(in_dialog("ACK", "3 ACK"));
  core->on_ack(ack.msg, udp("192.0.2.10", 5060));
  ASSERT_EQ(txn.stateless.size(), 1u);
  EXPECT_EQ(txn.stateless[0].hop, proxy_peer_2);
  EXPECT_EQ(resolver.asked.size(), 2u);
}

}  // namespace
}  // namespace p2psip::proxy
