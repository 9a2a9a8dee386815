// What the node counts of its SIP messages for /metrics, and what its taps
// (HEP, the dashboard) are shown.
#include "node/sip_traffic.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace p2psip::node {
namespace {

sip_event event(direction way, std::string_view bytes) {
  sip_event e;
  e.way = way;
  e.bytes = bytes;
  return e;
}

std::size_t method_index(std::string_view name) {
  for (std::size_t i = 0; i < sip_traffic::methods.size(); ++i)
    if (sip_traffic::methods[i] == name) return i;
  return sip_traffic::other_method;
}

TEST(SipTraffic, RequestsAreCountedByMethodAndDirection) {
  sip_traffic t;
  t.seen(event(direction::received, "INVITE sip:bob@p2psip.test SIP/2.0\r\nVia: x\r\n\r\n"));
  t.seen(event(direction::received, "INVITE sip:bob@p2psip.test SIP/2.0\r\n\r\n"));
  t.seen(event(direction::sent, "INVITE sip:bob@127.0.0.1:5062 SIP/2.0\r\n\r\n"));
  t.seen(event(direction::received, "BYE sip:bob@p2psip.test SIP/2.0\r\n\r\n"));
  EXPECT_EQ(t.requests(direction::received, method_index("INVITE")), 2u);
  EXPECT_EQ(t.requests(direction::sent, method_index("INVITE")), 1u);
  EXPECT_EQ(t.requests(direction::received, method_index("BYE")), 1u);
  EXPECT_EQ(t.requests(direction::sent, method_index("BYE")), 0u);
}

// A method is a token anyone may send: every unlisted one shares OTHER, so
// the metrics cannot be grown label by label from the network.
TEST(SipTraffic, AnUnlistedMethodIsOther) {
  sip_traffic t;
  t.seen(event(direction::received, "FOO sip:x SIP/2.0\r\n\r\n"));
  t.seen(event(direction::received, "invite sip:x SIP/2.0\r\n\r\n"));  // methods are case-sensitive
  EXPECT_EQ(t.requests(direction::received, sip_traffic::other_method), 2u);
  EXPECT_EQ(t.requests(direction::received, method_index("INVITE")), 0u);
}

TEST(SipTraffic, ResponsesAreCountedByStatusCode) {
  sip_traffic t;
  t.seen(event(direction::sent, "SIP/2.0 200 OK\r\n\r\n"));
  t.seen(event(direction::sent, "SIP/2.0 200 OK\r\n\r\n"));
  t.seen(event(direction::received, "SIP/2.0 486 Busy Here\r\n\r\n"));
  t.seen(event(direction::received, "SIP/2.0 699 Whatever\r\n\r\n"));
  EXPECT_EQ(t.responses(direction::sent, 200), 2u);
  EXPECT_EQ(t.responses(direction::received, 200), 0u);
  EXPECT_EQ(t.responses(direction::received, 486), 1u);
  EXPECT_EQ(t.responses(direction::received, 699), 1u);
  EXPECT_EQ(t.unreadable(), 0u);
}

TEST(SipTraffic, AStartLineThatIsNeitherIsUnreadableNotCounted) {
  sip_traffic t;
  t.seen(event(direction::sent, "SIP/2.0 099 Low\r\n\r\n"));
  t.seen(event(direction::sent, "SIP/2.0 2x0 OK\r\n\r\n"));
  t.seen(event(direction::sent, ""));
  EXPECT_EQ(t.unreadable(), 3u);
  EXPECT_EQ(t.responses(direction::sent, 200), 0u);
}

TEST(SipTraffic, EveryTapSeesEveryMessageWhole) {
  sip_traffic t;
  std::vector<std::string> first;
  std::vector<direction> second;
  t.add_tap([&](const sip_event& e) { first.emplace_back(e.bytes); });
  t.add_tap([&](const sip_event& e) { second.push_back(e.way); });
  t.seen(event(direction::received, "OPTIONS sip:x SIP/2.0\r\nCall-ID: a\r\n\r\n"));
  t.seen(event(direction::sent, "SIP/2.0 200 OK\r\nCall-ID: a\r\n\r\n"));
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0], "OPTIONS sip:x SIP/2.0\r\nCall-ID: a\r\n\r\n");
  EXPECT_EQ(second, (std::vector{direction::received, direction::sent}));
}

}  // namespace
}  // namespace p2psip::node
