// Calls to telephone numbers (number_routing.hpp), in the proxy core alone:
// which requests name a number, the patterns a gateway serves, who may
// reach a trunk, and how a node sends a number to the gateway peers a
// scripted finder names, failing over from one to the next.
#include "proxy/number_routing.hpp"

#include <gtest/gtest.h>

#include <map>

#include "auth/digest.hpp"
#include "proxy/core.hpp"
#include "proxy/processors.hpp"
#include "proxy_test_support.hpp"
#include "sip/editor.hpp"
#include "sip/telephone_number.hpp"

namespace p2psip::proxy {
namespace {

using namespace std::chrono_literals;
using namespace test_support;

transport::endpoint tls(std::string_view ip, std::uint16_t port) {
  return {transport::protocol::tls, asio::ip::make_address(std::string(ip)), port, 0};
}

std::optional<std::string> number_of(std::string_view text) {
  const auto u = sip::parse_uri(text);
  EXPECT_TRUE(u) << text;
  return u ? sip::telephone_number(*u) : std::nullopt;
}

// ------------------------------------------------------------------ numbers

TEST(TelephoneNumber, TelAndUserPhoneNameNumbersWithoutTheirSeparators) {
  EXPECT_EQ(number_of("tel:+1-555-123-4567"), "+15551234567");
  EXPECT_EQ(number_of("tel:(030)123.456;phone-context=+49"), "030123456");
  EXPECT_EQ(number_of("sip:+15551234@p2psip.test;user=phone"), "+15551234");
  EXPECT_EQ(number_of("sips:+1-555-1234@p2psip.test;user=phone"), "+15551234");
  EXPECT_EQ(number_of("sip:%2B15551234@p2psip.test;user=phone"), "+15551234");
  // RFC 3261 §19.1.6: the user part's own parameters are not the number.
  EXPECT_EQ(number_of("sip:+358-555-1234567;postd=pp22@p2psip.test;user=phone"), "+3585551234567");
}

TEST(TelephoneNumber, DigitsWithoutUserPhoneAreAUserNotANumber) {
  EXPECT_EQ(number_of("sip:5551234@p2psip.test"), std::nullopt);
  EXPECT_EQ(number_of("sip:+15551234@p2psip.test;user=ip"), std::nullopt);
  const auto u = sip::parse_uri("sip:5551234@p2psip.test");
  EXPECT_FALSE(sip::names_telephone_number(*u));
}

TEST(TelephoneNumber, ServiceCodesAndHexAreNoNumberAGatewayDials) {
  for (const auto* text : {"tel:*21#", "tel:+1555ab", "sip:alice@p2psip.test;user=phone"}) {
    const auto u = sip::parse_uri(text);
    ASSERT_TRUE(u) << text;
    EXPECT_TRUE(sip::names_telephone_number(*u)) << text;
    EXPECT_EQ(sip::telephone_number(*u), std::nullopt) << text;
  }
}

TEST(NumberPattern, SyntaxIsDigitsAnOptionalPlusAndAnOptionalTrailingStar) {
  for (const auto* good : {"*", "+*", "+1*", "00*", "+4930123456", "112"})
    EXPECT_TRUE(sip::valid_number_pattern(good)) << good;
  for (const auto* bad : {"", "+", "1*2", "**", "*1", "+1-555*", "1 2", "x*", "++1*"})
    EXPECT_FALSE(sip::valid_number_pattern(bad)) << bad;
  EXPECT_FALSE(sip::valid_number_pattern(std::string(sip::max_number_pattern + 1, '1')));
}

TEST(NumberPattern, APrefixMatchesTheRestAndALongerPrefixIsMoreSpecific) {
  EXPECT_EQ(sip::number_match("*", "+15551234"), 0u);
  EXPECT_EQ(sip::number_match("+1*", "+15551234"), 2u);
  EXPECT_EQ(sip::number_match("+1555*", "+15551234"), 5u);
  EXPECT_EQ(sip::number_match("+1*", "+4930123"), std::nullopt);
  EXPECT_EQ(sip::number_match("00*", "0049301234"), 2u);
  EXPECT_EQ(sip::number_match("00*", "+49301234"), std::nullopt);
  // Without a star, the number itself and nothing longer.
  EXPECT_EQ(sip::number_match("112", "112"), 3u);
  EXPECT_EQ(sip::number_match("112", "1123"), std::nullopt);
  EXPECT_EQ(sip::number_match("+*", "+1"), 1u);
  EXPECT_EQ(sip::number_match("+*", "0049"), std::nullopt);
}

TEST(TrunkRequestUri, TheNumberBecomesTheUserPartAtTheTrunk) {
  EXPECT_EQ(trunk_request_uri("sip:192.0.2.5:5090;transport=udp", "+15551234"),
            "sip:+15551234@192.0.2.5:5090;transport=udp;user=phone");
  EXPECT_EQ(trunk_request_uri("sips:pstn.example.net", "0049301234"),
            "sips:0049301234@pstn.example.net;user=phone");
  EXPECT_EQ(trunk_request_uri("sip:[2001:db8::5];user=ip", "112"),
            "sip:112@[2001:db8::5];user=phone");
  for (const auto* bad : {"sip:gw@192.0.2.5", "tel:+1555", "sip:192.0.2.5?subject=x", "nonsense"})
    EXPECT_EQ(trunk_request_uri(bad, "112"), "") << bad;
}

// ------------------------------------------------------------------ routing

// Answers from a script: the gateway peers of each number.
class scripted_gateways final : public gateway_finder {
 public:
  void find(const std::string& number, found_handler done) override {
    asked.push_back(number);
    const auto it = script.find(number);
    done(it == script.end() ? std::vector<transport::endpoint>{} : it->second);
  }
  std::map<std::string, std::vector<transport::endpoint>> script;
  std::vector<std::string> asked;
};

const auto gateway_1 = tls("198.51.100.31", 5061);
const auto gateway_2 = tls("198.51.100.32", 5061);
const auto trunk_address = udp("192.0.2.5", 5090);
const auto another_node = tls("198.51.100.7", 40000);
const std::string dialled = "sip:+15551234@p2psip.test;user=phone";

std::string invite(std::string_view to, std::string_view from, std::string_view extra = {}) {
  return "INVITE " + std::string(to) +
         " SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKcaller1\r\n"
         "Max-Forwards: 70\r\nTo: <" +
         std::string(to) + ">\r\nFrom: <" + std::string(from) +
         ">;tag=a1\r\nCall-ID: call-x\r\nCSeq: 1 INVITE\r\nContact: <sip:a@192.0.2.10>\r\n" +
         std::string(extra) + "Content-Length: 0\r\n\r\n";
}

// As another node passes it on over its authenticated link.
std::string from_node(std::string_view to) {
  auto text = invite(to, "sip:alice@p2psip.test");
  text.insert(text.find("Via:"), "Via: SIP/2.0/TLS 198.51.100.7:5061;branch=z9hG4bKnode\r\n");
  return text;
}

// A node of p2psip.test on 203.0.113.1; 198.51.100.7 is another node.
// make(trunk) makes it a gateway peer with that trunk.
class NumberRouting : public ::testing::Test {
 protected:
  void SetUp() override { users.add("alice", "wonderland"); }

  void make(std::optional<trunk> own = std::nullopt) {
    proxy_config pc;
    pc.domains = {"p2psip.test"};
    pc.local = {udp("203.0.113.1", 5060), tls("203.0.113.1", 5061)};
    pc.from_node = [](const transport::endpoint& e) {
      return e.address == asio::ip::make_address("198.51.100.7");
    };
    core = std::make_unique<proxy_core>(pc, txn, [this] { return steady_now; });
    auto chain = standard_chain(store, authenticator, users, now);
    chain.overlay = "p2psip.test";
    chain.gateways = &gateways;
    chain.own_trunk = std::move(own);
    install_standard_chain(*core, chain);
  }

  std::string alice_credentials(const std::string& challenge, std::string_view uri) {
    parsed c(challenge);
    const auto prx = sip::parse_credentials(c.msg.find(sip::header_id::proxy_authenticate)->value);
    EXPECT_TRUE(prx);
    const auto nonce = std::string(*prx->param("nonce"));
    const auto response = auth::request_digest(
        auth::algorithm::sha256,
        auth::ha1(auth::algorithm::sha256, "alice", "p2psip.test", "wonderland"),
        {"INVITE", uri, nonce, "00000001", "c", "auth"});
    return "Proxy-Authorization: Digest username=\"alice\", realm=\"p2psip.test\", nonce=\"" +
           nonce + "\", uri=\"" + std::string(uri) + "\", response=\"" + response +
           "\", algorithm=SHA-256, qop=auth, nc=00000001, cnonce=\"c\"\r\n";
  }

  void deliver(transaction_id server, const std::string& text,
               transport::endpoint from = udp("192.0.2.10", 5060)) {
    parsed p(text);
    core->on_request(server, p.msg, from);
  }

  // alice dials `to` from her phone: challenged, then with her credentials.
  void alice_dials(std::string_view to) {
    deliver(1, invite(to, "sip:alice@p2psip.test"));
    ASSERT_EQ(last_status(1), 407);
    EXPECT_TRUE(txn.requests.empty());
    deliver(2, invite(to, "sip:alice@p2psip.test", alice_credentials(txn.responses[1].back(), to)));
  }

  void answer(const sent_request& r, std::uint16_t code) {
    parsed forwarded(r.bytes);
    parsed p(sip::make_response(forwarded.msg, code, "Reason", "callee"));
    core->on_response(r.id, p.msg);
  }

  std::uint16_t last_status(transaction_id server) {
    return txn.responses[server].empty() ? 0 : status_of(txn.responses[server].back());
  }

  static std::string request_uri(const sent_request& r) {
    parsed p(r.bytes);
    return std::string(p.msg.request().uri_text);
  }

  static std::size_t routes(const sent_request& r) {
    parsed p(r.bytes);
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& v : p.msg.values(sip::header_id::route)) ++n;
    return n;
  }

  wall_clock::time_point now = wall_clock::time_point{} + 1'700'000'000s;
  steady_clock::time_point steady_now{};
  fake_txn txn;
  scripted_gateways gateways;
  memory_location store;
  auth::user_file users;
  auth::authenticator authenticator{{"p2psip.test", "secret", 300s, {auth::algorithm::sha256}},
                                    users};
  std::unique_ptr<proxy_core> core;
};

TEST_F(NumberRouting, AUserIsChallengedAndTheNumberGoesToAGatewayPeerAsDialled) {
  make();
  gateways.script["+15551234"] = {gateway_1, gateway_2};
  alice_dials(dialled);
  EXPECT_EQ(gateways.asked, std::vector<std::string>{"+15551234"});
  ASSERT_EQ(txn.requests.size(), 1u);
  EXPECT_EQ(txn.requests[0].hop, gateway_1);
  EXPECT_EQ(request_uri(txn.requests[0]), dialled);
  EXPECT_EQ(routes(txn.requests[0]), 0u);
}

TEST_F(NumberRouting, ATelUriGoesToAGatewayPeerToo) {
  make();
  gateways.script["+15551234"] = {gateway_2};
  alice_dials("tel:+1-555-1234");
  ASSERT_EQ(txn.requests.size(), 1u);
  EXPECT_EQ(txn.requests[0].hop, gateway_2);
  EXPECT_EQ(request_uri(txn.requests[0]), "tel:+1-555-1234");
}

TEST_F(NumberRouting, A503FromAGatewayPeerMovesTheCallToTheNext) {
  make();
  gateways.script["+15551234"] = {gateway_1, gateway_2};
  alice_dials(dialled);
  ASSERT_EQ(txn.requests.size(), 1u);
  answer(txn.requests[0], 503);
  ASSERT_EQ(txn.requests.size(), 2u);
  EXPECT_EQ(txn.requests[1].hop, gateway_2);
  EXPECT_EQ(request_uri(txn.requests[1]), dialled);
  answer(txn.requests[1], 200);
  EXPECT_EQ(last_status(2), 200);
  EXPECT_EQ(core->stats().failovers, 1u);
}

TEST_F(NumberRouting, AGatewayPeerThatIsGoneIsPassedOver) {
  make();
  gateways.script["+15551234"] = {gateway_1, gateway_2};
  alice_dials(dialled);
  ASSERT_EQ(txn.requests.size(), 1u);
  // Its node link refuses the connection.
  core->on_transport_error(txn.requests[0].id);
  ASSERT_EQ(txn.requests.size(), 2u);
  EXPECT_EQ(txn.requests[1].hop, gateway_2);
  // And one that hears nothing moves on too, after failover_after.
  txn.requests.clear();
  gateways.script["+15551234"] = {gateway_1, gateway_2};
  deliver(3, invite(dialled, "sip:alice@p2psip.test"));
  deliver(4, invite(dialled, "sip:alice@p2psip.test",
                    alice_credentials(txn.responses[3].back(), dialled)));
  ASSERT_EQ(txn.requests.size(), 1u);
  steady_now += 5s;
  core->advance(steady_now);
  ASSERT_EQ(txn.requests.size(), 2u);
  EXPECT_EQ(txn.requests[1].hop, gateway_2);
}

TEST_F(NumberRouting, ANumberNoGatewayServesIs404) {
  make();
  alice_dials(dialled);
  EXPECT_EQ(last_status(2), 404);
  EXPECT_TRUE(txn.requests.empty());
}

TEST_F(NumberRouting, NobodyOutsideTheOverlayReachesAGateway) {
  make();
  gateways.script["+15551234"] = {gateway_1};
  deliver(1, invite(dialled, "sip:mallory@example.org"), udp("192.0.2.99", 5060));
  EXPECT_EQ(last_status(1), 403);
  EXPECT_TRUE(gateways.asked.empty());
  EXPECT_TRUE(txn.requests.empty());
}

TEST_F(NumberRouting, DigitsWithoutUserPhoneReachTheRegisteredUserAsToday) {
  make();
  gateways.script["5551234"] = {gateway_1};
  binding b;
  b.contact = "sip:5551234@192.0.2.40:5060";
  b.expires = now + 3600s;
  b.flow = udp("192.0.2.40", 5060);
  store.store("sip:5551234@p2psip.test", {b}, [](std::error_code) {});
  deliver(1, invite("sip:5551234@p2psip.test", "sip:alice@p2psip.test"));
  ASSERT_EQ(txn.requests.size(), 1u);
  EXPECT_EQ(txn.requests[0].hop, udp("192.0.2.40", 5060));
  EXPECT_TRUE(gateways.asked.empty());
}

TEST_F(NumberRouting, AGatewayPeerSendsANumberItServesToItsTrunk) {
  make(trunk{"sip:192.0.2.5:5090;transport=udp", {"+1*"}});
  deliver(1, from_node(dialled), another_node);
  ASSERT_EQ(txn.requests.size(), 1u);
  EXPECT_EQ(txn.requests[0].hop, trunk_address);
  EXPECT_EQ(request_uri(txn.requests[0]), "sip:+15551234@192.0.2.5:5090;transport=udp;user=phone");
  EXPECT_TRUE(gateways.asked.empty());
}

TEST_F(NumberRouting, AGatewayPeerSendsItsOwnUsersNumbersToItsTrunkAfterTheirDigest) {
  make(trunk{"sip:192.0.2.5:5090;transport=udp", {"+1*"}});
  alice_dials(dialled);
  ASSERT_EQ(txn.requests.size(), 1u);
  EXPECT_EQ(txn.requests[0].hop, trunk_address);
}

TEST_F(NumberRouting, AGatewayPeerPassesANodesNumberItDoesNotServeNowhere) {
  make(trunk{"sip:192.0.2.5:5090;transport=udp", {"00*"}});
  gateways.script["+15551234"] = {gateway_2};
  deliver(1, from_node(dialled), another_node);
  EXPECT_EQ(last_status(1), 404);
  EXPECT_TRUE(gateways.asked.empty());
  EXPECT_TRUE(txn.requests.empty());
}

TEST_F(NumberRouting, AGatewayPeerSendsItsUsersOtherNumbersToOtherGatewayPeers) {
  make(trunk{"sip:192.0.2.5:5090;transport=udp", {"00*"}});
  gateways.script["+15551234"] = {gateway_2};
  alice_dials(dialled);
  ASSERT_EQ(txn.requests.size(), 1u);
  EXPECT_EQ(txn.requests[0].hop, gateway_2);
}

TEST_F(NumberRouting, ServiceCodesAreNotSentAnywhere) {
  make(trunk{"sip:192.0.2.5:5090;transport=udp", {"*"}});
  alice_dials("tel:*21#");
  EXPECT_EQ(last_status(2), 404);
  EXPECT_TRUE(txn.requests.empty());
}

}  // namespace
}  // namespace p2psip::proxy
