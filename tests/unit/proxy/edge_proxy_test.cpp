// The proxy as the edge proxy of the UAs that reach it directly (RFC 5626
// §5.3): the Record-Route entry facing such a UA carries a token for its
// flow, and requests of the dialog that come back with that Route go on
// over the flow, unless they came from that very flow.
#include <gtest/gtest.h>

#include <memory>
#include <optional>

#include "proxy/core.hpp"
#include "proxy/flow_token.hpp"
#include "proxy/processors.hpp"
#include "proxy_test_support.hpp"
#include "sip/parser.hpp"

namespace p2psip::proxy {
namespace {

using namespace std::chrono_literals;
using namespace test_support;

// Bob's phone registered here; Alice's phone is another UA that reaches us
// directly; node B is another node of the overlay.
const auto bob_phone = udp("198.51.100.9", 40000);
const auto alice_phone = udp("192.0.2.10", 5060);
const auto node_b = tcp("192.0.2.50", 5060, 3);

constexpr std::string_view phone_via = "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKua1\r\n";
constexpr std::string_view node_vias =
    "Via: SIP/2.0/TCP 192.0.2.50:5060;branch=z9hG4bKnodeb1\r\n"
    "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKua1\r\n";

std::string request(std::string_view method, std::string_view uri, std::string_view vias,
                    std::string_view routes = "", std::string_view to_tag = "") {
  return std::string(method) + " " + std::string(uri) + " SIP/2.0\r\n" + std::string(vias) +
         std::string(routes) + "Max-Forwards: 70\r\nTo: <sip:bob@p2psip.test>" +
         (to_tag.empty() ? "" : ";tag=" + std::string(to_tag)) +
         "\r\nFrom: <sip:alice@p2psip.test>;tag=a1\r\nCall-ID: call-1\r\nCSeq: 1 " +
         std::string(method) +
         "\r\nContact: <sip:alice@192.0.2.10:5060>\r\nContent-Length: 0\r\n\r\n";
}

std::string bye(std::string_view uri, std::string_view vias, std::string_view routes) {
  return request("BYE", uri, vias, routes, "callee");
}

class EdgeProxy : public ::testing::Test {
 protected:
  EdgeProxy() = default;
  // A proxy listening on 0.0.0.0 that names itself by `advertise`.
  explicit EdgeProxy(std::string advertise) : advertise_(std::move(advertise)) {}

  void SetUp() override {
    chain_settings chain;
    chain.store = &store;
    chain.registrar = {{"p2psip.test"}, 3600, 60, 86400, 8};
    chain.now = [this] { return now; };
    chain.located = located;
    install_standard_chain(core, chain);
  }

  proxy_config edge_config() const {
    proxy_config c;
    c.domains = {"p2psip.test"};
    c.local = {udp("203.0.113.1", 5060), tcp("203.0.113.1", 5060)};
    if (!advertise_.empty()) c.local = {udp("0.0.0.0", 5060), tcp("0.0.0.0", 5060)};
    c.advertise = advertise_;
    c.tokens = &tokens;
    // Node B's link is authenticated; no other source is a node.
    c.from_node = [](const transport::endpoint& source) { return source == node_b; };
    return c;
  }

  void registered(std::string_view user, std::string contact, transport::endpoint flow,
                  std::vector<std::string> path = {}) {
    binding b;
    b.contact = std::move(contact);
    b.path = std::move(path);
    b.expires = now + 3600s;
    b.flow = flow;
    store.store("sip:" + std::string(user) + "@p2psip.test", {b}, [](std::error_code) {});
  }

  void deliver(transaction_id server, const std::string& text, const transport::endpoint& from) {
    parsed p(text);
    core.on_request(server, p.msg, from);
  }

  // The Record-Route values of the request the core sent last, topmost first.
  std::vector<std::string> record_routes() {
    EXPECT_FALSE(txn.requests.empty());
    parsed fwd(txn.requests.back().bytes);
    std::vector<std::string> out;
    for (const auto& v : fwd.msg.values(sip::header_id::record_route)) out.emplace_back(v.text);
    return out;
  }

  // The flow a Record-Route or Route value's token names; nullopt without one.
  std::optional<transport::endpoint> token_of(std::string_view value) const {
    const auto na = sip::parse_name_addr(value);
    EXPECT_TRUE(na) << value;
    if (!na || na->address.user.empty()) return std::nullopt;
    return tokens.decode(sip::unescape(na->address.user));
  }

  // A Route value naming this proxy's UDP side with a token for `flow`.
  std::string route_to(const transport::endpoint& flow) const {
    return "<sip:" + tokens.encode(flow) + "@203.0.113.1:5060;lr>";
  }

  std::string advertise_;
  location_lookup::answer located = location_lookup::answer::forward;
  wall_clock::time_point now = wall_clock::time_point{} + 1'700'000'000s;
  flow_tokens tokens{std::string(32, 'k')};
  fake_txn txn;
  memory_location store;
  steady_clock::time_point steady_now{};
  proxy_core core{edge_config(), txn, [this] { return steady_now; }};
};

TEST_F(EdgeProxy, InviteSentOverAFlowRecordRoutesATokenForThatFlow) {
  registered("bob", "sip:bob@10.0.0.7:5062", bob_phone);
  deliver(1, request("INVITE", "sip:bob@p2psip.test", node_vias), node_b);
  ASSERT_EQ(txn.requests.size(), 1u);
  EXPECT_EQ(txn.requests[0].hop, bob_phone);
  // TCP in, UDP out (RFC 5658): the token is on the entry facing the phone.
  const auto rr = record_routes();
  ASSERT_EQ(rr.size(), 2u);
  EXPECT_EQ(token_of(rr[0]), bob_phone);
  EXPECT_NE(rr[0].find("@203.0.113.1:5060;lr>"), std::string::npos) << rr[0];
  EXPECT_EQ(rr[1], "<sip:203.0.113.1:5060;transport=tcp;lr>");
}

TEST_F(EdgeProxy, OneEntryCarriesTheTokenWhenTheTransportStays) {
  registered("bob", "sip:bob@10.0.0.7:5062", bob_phone);
  deliver(1, request("INVITE", "sip:bob@p2psip.test", node_vias), udp("192.0.2.50", 5060));
  const auto rr = record_routes();
  ASSERT_EQ(rr.size(), 1u);
  EXPECT_EQ(token_of(rr[0]), bob_phone);
}

TEST_F(EdgeProxy, InviteWithOneViaGetsATokenForItsSource) {
  // Bob is reached through another node: the outbound side has no flow.
  registered("bob", "sip:bob@10.0.0.7:5062", udp("198.51.100.77", 5060),
             {"<sip:198.51.100.77:5060;transport=tcp;lr>"});
  const auto caller = tcp("192.0.2.10", 50123, 42);
  deliver(1,
          request("INVITE", "sip:bob@p2psip.test",
                  "Via: SIP/2.0/TCP 192.0.2.10:50123;branch=z9hG4bKua1\r\n"),
          caller);
  ASSERT_EQ(txn.requests.size(), 1u);
  EXPECT_EQ(txn.requests[0].hop, tcp("198.51.100.77", 5060));
  auto rr = record_routes();
  ASSERT_EQ(rr.size(), 1u);
  EXPECT_EQ(token_of(rr[0]), caller);  // the connection id included
  EXPECT_NE(rr[0].find("@203.0.113.1:5060;transport=tcp;lr>"), std::string::npos) << rr[0];

  // UDP in, TCP out: the token goes on the inbound entry, the one the phone sees first.
  deliver(2, request("INVITE", "sip:bob@p2psip.test", phone_via), alice_phone);
  rr = record_routes();
  ASSERT_EQ(rr.size(), 2u);
  EXPECT_EQ(rr[0], "<sip:203.0.113.1:5060;transport=tcp;lr>");
  EXPECT_EQ(token_of(rr[1]), alice_phone);
}

TEST_F(EdgeProxy, NodeToNodeForwardGetsNoToken) {
  registered("bob", "sip:bob@10.0.0.7:5062", udp("198.51.100.77", 5060),
             {"<sip:198.51.100.77:5060;lr>"});
  deliver(1, request("INVITE", "sip:bob@p2psip.test", node_vias), udp("192.0.2.50", 5060));
  EXPECT_EQ(record_routes(), (std::vector<std::string>{"<sip:203.0.113.1:5060;lr>"}));
}

TEST_F(EdgeProxy, TwoPhonesOfOursGetAnEntryEach) {
  registered("bob", "sip:bob@10.0.0.7:5062", bob_phone);
  deliver(1, request("INVITE", "sip:bob@p2psip.test", phone_via), alice_phone);
  const auto rr = record_routes();
  ASSERT_EQ(rr.size(), 2u);
  EXPECT_EQ(token_of(rr[0]), bob_phone);
  EXPECT_EQ(token_of(rr[1]), alice_phone);
}

TEST_F(EdgeProxy, InDialogRequestFromElsewhereGoesDownTheFlow) {
  deliver(1, bye("sip:bob@10.0.0.7:5062", node_vias, "Route: " + route_to(bob_phone) + "\r\n"),
          node_b);
  ASSERT_EQ(txn.requests.size(), 1u);
  EXPECT_EQ(txn.requests[0].hop, bob_phone);
  parsed fwd(txn.requests[0].bytes);
  EXPECT_EQ(fwd.msg.find(sip::header_id::route), nullptr);
  EXPECT_EQ(fwd.msg.request().uri_text, "sip:bob@10.0.0.7:5062");

  // After a double Record-Route the token is on our second Route value.
  deliver(2,
          bye("sip:bob@10.0.0.7:5062", node_vias,
              "Route: <sip:203.0.113.1:5060;transport=tcp;lr>, " + route_to(bob_phone) + "\r\n"),
          node_b);
  ASSERT_EQ(txn.requests.size(), 2u);
  EXPECT_EQ(txn.requests[1].hop, bob_phone);
}

TEST_F(EdgeProxy, InDialogRequestFromTheVeryFlowIsRoutedOnward) {
  deliver(1,
          bye("sip:alice@192.0.2.10:5060", phone_via,
              "Route: " + route_to(bob_phone) + ", <sip:198.51.100.77:5060;transport=tcp;lr>\r\n"),
          bob_phone);
  ASSERT_EQ(txn.requests.size(), 1u);
  EXPECT_EQ(txn.requests[0].hop, tcp("198.51.100.77", 5060));
  parsed fwd(txn.requests[0].bytes);
  EXPECT_EQ(*fwd.msg.values(sip::header_id::route).front(),
            "<sip:198.51.100.77:5060;transport=tcp;lr>");

  // No Route left: to the Request-URI, not back to the phone.
  deliver(2, bye("sip:alice@192.0.2.10:5060", phone_via, "Route: " + route_to(bob_phone) + "\r\n"),
          bob_phone);
  ASSERT_EQ(txn.requests.size(), 2u);
  EXPECT_EQ(txn.requests[1].hop, alice_phone);
}

TEST_F(EdgeProxy, AForgedTokenIs403) {
  const flow_tokens other(std::string(32, 'x'));
  deliver(1,
          bye("sip:bob@10.0.0.7:5062", node_vias,
              "Route: <sip:" + other.encode(bob_phone) + "@203.0.113.1:5060;lr>\r\n"),
          node_b);
  deliver(2,
          bye("sip:bob@10.0.0.7:5062", node_vias, "Route: <sip:deadbeef@203.0.113.1:5060;lr>\r\n"),
          node_b);
  EXPECT_TRUE(txn.requests.empty());
  EXPECT_EQ(status_of(txn.responses[1].back()), 403);
  EXPECT_EQ(status_of(txn.responses[2].back()), 403);
}

// Tokens are published in the overlay: anyone can read them. Only another
// node, on its authenticated link, may send a request down a phone's flow.
TEST_F(EdgeProxy, ATokenRouteFromASourceThatIsNoNodeIs403) {
  const auto stranger = tcp("198.51.100.66", 5061, 9);
  deliver(1, bye("sip:bob@10.0.0.7:5062", node_vias, "Route: " + route_to(bob_phone) + "\r\n"),
          stranger);
  ASSERT_TRUE(txn.requests.empty());
  EXPECT_EQ(status_of(txn.responses[1].back()), 403);
  EXPECT_EQ(core.stats().untrusted_token_routes, 1u);

  // The same request from node B goes down the flow.
  deliver(2, bye("sip:bob@10.0.0.7:5062", node_vias, "Route: " + route_to(bob_phone) + "\r\n"),
          node_b);
  ASSERT_EQ(txn.requests.size(), 1u);
  EXPECT_EQ(txn.requests[0].hop, bob_phone);
  EXPECT_EQ(core.stats().untrusted_token_routes, 1u);
}

// Between two phones of ours (a double Record-Route), a request carries the
// token of the flow it arrives on: it comes from a UA of ours.
TEST_F(EdgeProxy, ATokenRouteFromAPhoneOfOursCarryingItsOwnTokenIsFollowed) {
  deliver(1,
          bye("sip:bob@10.0.0.7:5062", phone_via,
              "Route: " + route_to(alice_phone) + ", " + route_to(bob_phone) + "\r\n"),
          alice_phone);
  ASSERT_EQ(txn.requests.size(), 1u);
  EXPECT_EQ(txn.requests[0].hop, bob_phone);

  // Without its own token the same phone is just another source.
  deliver(2, bye("sip:bob@10.0.0.7:5062", phone_via, "Route: " + route_to(bob_phone) + "\r\n"),
          alice_phone);
  ASSERT_EQ(txn.requests.size(), 1u);
  EXPECT_EQ(status_of(txn.responses[2].back()), 403);
}

// The scope is under the MAC: a token for nodes opens as one for nodes, and
// no bit of it can be changed to make it one for anyone.
TEST(FlowTokenScope, TheScopeCannotBeChangedInTheToken) {
  const flow_tokens tokens(std::string(32, 'k'));
  const auto for_nodes = tokens.encode(bob_phone);
  const auto for_anyone = tokens.encode(bob_phone, flow_tokens::scope::anyone);
  EXPECT_NE(for_nodes, for_anyone);
  ASSERT_TRUE(tokens.open(for_nodes));
  EXPECT_EQ(tokens.open(for_nodes)->scope, flow_tokens::scope::nodes);
  ASSERT_TRUE(tokens.open(for_anyone));
  EXPECT_EQ(tokens.open(for_anyone)->scope, flow_tokens::scope::anyone);
  EXPECT_EQ(tokens.decode(for_anyone), bob_phone);
  for (std::size_t i = 0; i < for_nodes.size(); ++i) {
    auto changed = for_nodes;
    changed[i] = changed[i] == '0' ? '1' : '0';
    EXPECT_FALSE(tokens.open(changed)) << i;
  }
}

TEST_F(EdgeProxy, AckOfA2xxFollowsTheTokenToo) {
  const auto ack = [&] {
    return "ACK sip:bob@10.0.0.7:5062 SIP/2.0\r\nVia: SIP/2.0/UDP "
           "192.0.2.10:5060;branch=z9hG4bKa\r\n"
           "Route: " +
           route_to(bob_phone) +
           "\r\nMax-Forwards: 70\r\nTo: <sip:bob@p2psip.test>;tag=callee\r\n"
           "From: <sip:alice@p2psip.test>;tag=a1\r\nCall-ID: call-1\r\nCSeq: 1 ACK\r\n"
           "Content-Length: 0\r\n\r\n";
  };
  parsed p(ack());
  core.on_ack(p.msg, node_b);
  ASSERT_EQ(txn.stateless.size(), 1u);
  EXPECT_EQ(txn.stateless[0].hop, bob_phone);
  core.on_ack(p.msg, bob_phone);
  ASSERT_EQ(txn.stateless.size(), 2u);
  EXPECT_EQ(txn.stateless[1].hop, udp("10.0.0.7", 5062));
  // From a source that is no node, it goes nowhere.
  core.on_ack(p.msg, tcp("198.51.100.66", 5061, 9));
  EXPECT_EQ(txn.stateless.size(), 2u);
  EXPECT_EQ(core.stats().untrusted_token_routes, 1u);
}

TEST_F(EdgeProxy, AClosedFlowOfATokenIs430) {
  const auto bob_tcp = tcp("198.51.100.9", 40000, 17);
  deliver(1, bye("sip:bob@10.0.0.7:5062", node_vias, "Route: " + route_to(bob_tcp) + "\r\n"),
          node_b);
  ASSERT_EQ(txn.requests.size(), 1u);
  EXPECT_EQ(txn.requests[0].hop, bob_tcp);
  core.on_transport_error(txn.requests[0].id);
  // RFC 5626 §5.3: no retry elsewhere; the flow failed.
  EXPECT_EQ(txn.requests.size(), 1u);
  EXPECT_EQ(status_of(txn.responses[1].back()), 430);
  EXPECT_EQ(core.active_requests(), 0u);
}

// Listening on a wildcard address (or behind a static NAT), the proxy names
// itself by its advertised address: in its Via and Record-Route, and when
// it recognises the Route values that name it.
class AdvertisedEdgeProxy : public EdgeProxy {
 protected:
  AdvertisedEdgeProxy() : EdgeProxy("203.0.113.5") {}
};

TEST_F(AdvertisedEdgeProxy, ViaAndRecordRouteNameTheAdvertisedAddress) {
  registered("bob", "sip:bob@10.0.0.7:5062", bob_phone);
  deliver(1, request("INVITE", "sip:bob@p2psip.test", node_vias), node_b);
  ASSERT_EQ(txn.requests.size(), 1u);
  parsed fwd(txn.requests[0].bytes);
  EXPECT_EQ(fwd.msg.top_via().host, "203.0.113.5");
  EXPECT_EQ(fwd.msg.top_via().port, 5060);
  const auto rr = record_routes();
  ASSERT_EQ(rr.size(), 2u);
  EXPECT_TRUE(rr[0].ends_with("@203.0.113.5:5060;lr>")) << rr[0];
  EXPECT_EQ(rr[1], "<sip:203.0.113.5:5060;transport=tcp;lr>");
  EXPECT_EQ(fwd.bytes.find("0.0.0.0"), std::string::npos) << fwd.bytes;
}

TEST_F(AdvertisedEdgeProxy, ARouteNamingTheAdvertisedAddressIsOurs) {
  const std::string route = "Route: <sip:" + tokens.encode(bob_phone) + "@203.0.113.5:5060;lr>\r\n";
  deliver(1, bye("sip:bob@10.0.0.7:5062", node_vias, route), node_b);
  ASSERT_EQ(txn.requests.size(), 1u);
  EXPECT_EQ(txn.requests[0].hop, bob_phone);
  parsed fwd(txn.requests[0].bytes);
  EXPECT_EQ(fwd.msg.find(sip::header_id::route), nullptr);
}

// A redirect server is the edge proxy of the phones registered with it: its
// 302 must be followable from anywhere, so a phone whose flow ends here is
// reached through this node, which alone holds the flow (RFC 5626 §5.3), as
// a phone registered elsewhere is reached through its Path.
class RedirectingEdgeProxy : public EdgeProxy {
 protected:
  RedirectingEdgeProxy() { located = location_lookup::answer::redirect; }

  struct redirect {
    std::string target;  // the Contact's URI without its headers
    std::string route;   // its Route header, unescaped; empty without one
  };

  // The Contact of the one 302 that answered `server`.
  redirect redirected(transaction_id server) {
    const auto& answers = txn.responses[server];
    EXPECT_FALSE(answers.empty());
    if (answers.empty()) return {};
    EXPECT_EQ(status_of(answers.back()), 302) << answers.back();
    parsed r(answers.back());
    const auto contacts = r.msg.values(sip::header_id::contact);
    EXPECT_EQ(std::distance(contacts.begin(), contacts.end()), 1);
    const auto contact = sip::parse_name_addr(contacts.begin()->text);
    EXPECT_TRUE(contact) << contacts.begin()->text;
    if (!contact) return {};
    redirect out;
    const auto uri = contact->address.text;
    out.target = std::string(uri.substr(0, uri.find('?')));
    contact->address.headers.for_each([&](std::string_view name, std::string_view value) {
      if (name == "Route") out.route = sip::unescape(value);
    });
    return out;
  }
};

TEST_F(RedirectingEdgeProxy, AFollowedRedirectReachesAPhoneRegisteredHereOverItsFlow) {
  registered("bob", "sip:bob@10.0.0.7:5062", bob_phone);
  deliver(1, request("INVITE", "sip:bob@p2psip.test", phone_via), alice_phone);
  EXPECT_TRUE(txn.requests.empty());
  const auto r = redirected(1);
  EXPECT_EQ(r.target, "sip:bob@10.0.0.7:5062");
  // A token of bob's flow that anyone may follow: the redirect hands it out.
  const auto na = sip::parse_name_addr(r.route);
  ASSERT_TRUE(na) << r.route;
  EXPECT_TRUE(r.route.ends_with("@203.0.113.1:5060;lr>")) << r.route;
  const auto token = tokens.open(sip::unescape(na->address.user));
  ASSERT_TRUE(token) << r.route;
  EXPECT_EQ(token->flow, bob_phone);
  EXPECT_EQ(token->scope, flow_tokens::scope::anyone);

  // Alice follows it: the INVITE to the Contact, with its Route, comes here
  // and goes on over bob's flow.
  const auto route = r.route.empty() ? std::string() : "Route: " + r.route + "\r\n";
  deliver(2, request("INVITE", r.target, phone_via, route), alice_phone);
  ASSERT_EQ(txn.requests.size(), 1u) << txn.responses[2].back();
  EXPECT_EQ(txn.requests[0].hop, bob_phone);
}

TEST_F(RedirectingEdgeProxy, ARedirectToAPhoneOfAnotherNodeRoutesThroughItsPath) {
  const std::string path =
      "<sip:" + tokens.encode(bob_phone) + "@192.0.2.50:5060;transport=tcp;lr>";
  registered("bob", "sip:bob@10.0.0.7:5062", node_b, {path});
  deliver(1, request("INVITE", "sip:bob@p2psip.test", phone_via), alice_phone);
  EXPECT_TRUE(txn.requests.empty());
  const auto r = redirected(1);
  EXPECT_EQ(r.target, "sip:bob@10.0.0.7:5062");
  // Through this node first: only a node may follow node B's token.
  EXPECT_EQ(r.route, "<sip:203.0.113.1:5060;lr>," + path);

  // Alice follows it: this node sends it on along the Path, to node B.
  deliver(2, request("INVITE", r.target, phone_via, "Route: " + r.route + "\r\n"), alice_phone);
  ASSERT_EQ(txn.requests.size(), 1u) << txn.responses[2].back();
  EXPECT_EQ(txn.requests[0].hop, tcp("192.0.2.50", 5060));
  // Straight to node B's token, she would be no node there: as node B, 403.
  deliver(3, request("INVITE", r.target, phone_via, "Route: " + route_to(bob_phone) + "\r\n"),
          alice_phone);
  EXPECT_EQ(txn.requests.size(), 1u);
  EXPECT_EQ(status_of(txn.responses[3].back()), 403);
}

}  // namespace
}  // namespace p2psip::proxy
