// A proxy listening on a wildcard address (or behind a static NAT) names
// itself by its advertised host: in its Via and Record-Route, and when it
// recognises the Route values that name it.
#include <gtest/gtest.h>

#include "proxy/core.hpp"
#include "proxy/flow_token.hpp"
#include "proxy/processors.hpp"
#include "proxy_test_support.hpp"
#include "sip/parser.hpp"

namespace p2psip::proxy {
namespace {

using namespace std::chrono_literals;
using namespace test_support;

const auto bob_phone = udp("198.51.100.9", 40000);
const auto node_b = tcp("192.0.2.50", 5060, 3);
constexpr std::string_view node_vias =
    "Via: SIP/2.0/TCP 192.0.2.50:5060;branch=z9hG4bKnodeb1\r\n"
    "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKua1\r\n";

std::string request(std::string_view method, std::string_view uri, std::string_view routes,
                    std::string_view to_tag) {
  return std::string(method) + " " + std::string(uri) + " SIP/2.0\r\n" + std::string(node_vias) +
         std::string(routes) + "Max-Forwards: 70\r\nTo: <sip:bob@p2psip.test>" +
         (to_tag.empty() ? "" : ";tag=" + std::string(to_tag)) +
         "\r\nFrom: <sip:alice@p2psip.test>;tag=a1\r\nCall-ID: call-1\r\nCSeq: 1 " +
         std::string(method) +
         "\r\nContact: <sip:alice@192.0.2.10:5060>\r\nContent-Length: 0\r\n\r\n";
}

class AdvertisedProxy : public ::testing::Test {
 protected:
  void SetUp() override {
    chain_settings chain;
    chain.store = &store;
    chain.registrar = {{"p2psip.test"}, 3600, 60, 86400, 8};
    chain.now = [this] { return now; };
    install_standard_chain(core, chain);
    binding b;
    b.contact = "sip:bob@10.0.0.7:5062";
    b.expires = now + 3600s;
    b.flow = bob_phone;
    store.store("sip:bob@p2psip.test", {b}, [](std::error_code) {});
  }

  proxy_config config() const {
    proxy_config c;
    c.domains = {"p2psip.test"};
    c.local = {udp("0.0.0.0", 5060), tcp("0.0.0.0", 5060)};
    c.tokens = &tokens;
    c.advertise = "203.0.113.5";
    return c;
  }

  void deliver(transaction_id server, const std::string& text) {
    parsed p(text);
    core.on_request(server, p.msg, node_b);
  }

  wall_clock::time_point now = wall_clock::time_point{} + 1'700'000'000s;
  flow_tokens tokens{std::string(32, 'k')};
  fake_txn txn;
  memory_location store;
  proxy_core core{config(), txn, [] { return steady_clock::time_point{}; }};
};

TEST_F(AdvertisedProxy, ViaAndRecordRouteNameTheAdvertisedHost) {
  deliver(1, request("INVITE", "sip:bob@p2psip.test", "", ""));
  ASSERT_EQ(txn.requests.size(), 1u);
  parsed fwd(txn.requests[0].bytes);
  const auto& via = fwd.msg.top_via();
  EXPECT_EQ(via.host, "203.0.113.5");
  EXPECT_EQ(via.port, 5060);
  std::vector<std::string> rr;
  for (const auto& v : fwd.msg.values(sip::header_id::record_route)) rr.emplace_back(v.text);
  ASSERT_EQ(rr.size(), 2u);
  EXPECT_TRUE(rr[0].ends_with("@203.0.113.5:5060;lr>")) << rr[0];
  EXPECT_EQ(rr[1], "<sip:203.0.113.5:5060;transport=tcp;lr>");
  EXPECT_EQ(fwd.bytes.find("0.0.0.0"), std::string::npos) << fwd.bytes;
}

TEST_F(AdvertisedProxy, ARouteNamingTheAdvertisedHostIsOurs) {
  const std::string route = "Route: <sip:" + tokens.encode(bob_phone) + "@203.0.113.5:5060;lr>\r\n";
  deliver(1, request("BYE", "sip:bob@10.0.0.7:5062", route, "callee"));
  ASSERT_EQ(txn.requests.size(), 1u);
  EXPECT_EQ(txn.requests[0].hop, bob_phone);
  parsed fwd(txn.requests[0].bytes);
  EXPECT_EQ(fwd.msg.find(sip::header_id::route), nullptr);
}

}  // namespace
}  // namespace p2psip::proxy
