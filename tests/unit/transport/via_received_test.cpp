// received= and rport= on the top Via (RFC 3261 §18.2.1, RFC 3581 §4,
// RFC 5118 §4.5 for IPv6).
#include "transport/via_received.hpp"

#include <gtest/gtest.h>

#include "transport_test_support.hpp"

namespace p2psip::transport::test {
namespace {

const auto source = asio::ip::make_address("192.0.2.9");

std::string with_via(std::string_view via_lines) {
  std::string m = "INVITE sip:bob@p2psip.test SIP/2.0\r\n";
  m.append(via_lines);
  m.append(
      "To: <sip:bob@p2psip.test>\r\nFrom: <sip:alice@p2psip.test>;tag=1\r\n"
      "Call-ID: c@h\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n");
  return m;
}

std::optional<std::string> stamp(std::string_view via_value,
                                 const asio::ip::address& from = source) {
  const parsed request(with_via("Via: " + std::string(via_value) + "\r\n"));
  EXPECT_TRUE(request.result) << sip::describe(request.result.error);
  return stamped_top_via(request.msg->top_via(), from, 4242);
}

TEST(via_received, sent_by_that_is_the_source_needs_nothing) {
  EXPECT_EQ(stamp("SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bKa"), std::nullopt);
}

TEST(via_received, other_address_or_a_name_gets_received) {
  EXPECT_EQ(stamp("SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKa"),
            "SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKa;received=192.0.2.9");
  EXPECT_EQ(stamp("SIP/2.0/TCP pc33.p2psip.test;branch=z9hG4bKa"),
            "SIP/2.0/TCP pc33.p2psip.test;branch=z9hG4bKa;received=192.0.2.9");
}

TEST(via_received, empty_rport_gets_the_source_port_and_received_always) {
  EXPECT_EQ(stamp("SIP/2.0/UDP 192.0.2.9:5060;rport;branch=z9hG4bKa"),
            "SIP/2.0/UDP 192.0.2.9:5060;rport=4242;branch=z9hG4bKa;received=192.0.2.9");
}

TEST(via_received, a_received_the_client_wrote_is_replaced) {
  EXPECT_EQ(stamp("SIP/2.0/UDP 192.0.2.9;received=198.51.100.7;branch=z9hG4bKa"),
            "SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKa;received=192.0.2.9");
}

TEST(via_received, ipv6_source_is_written_without_brackets) {
  const auto v6 = asio::ip::make_address("2001:db8::9");
  EXPECT_EQ(stamp("SIP/2.0/UDP [2001:db8::9]:5060;branch=z9hG4bKa", v6), std::nullopt);
  EXPECT_EQ(stamp("SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bKa", v6),
            "SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bKa;received=2001:db8::9");
}

TEST(via_received, only_the_top_value_of_a_combined_via_is_replaced) {
  const parsed request(
      with_via("v: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKa, SIP/2.0/UDP 10.0.0.2;branch=z9hG4bKb\r\n"
               "Via: SIP/2.0/UDP 10.0.0.3;branch=z9hG4bKc\r\n"));
  ASSERT_TRUE(request.result);
  const auto value = stamped_top_via(request.msg->top_via(), source, 4242);
  ASSERT_TRUE(value);

  const parsed rewritten(with_top_via(*request.msg, *value));

  ASSERT_TRUE(rewritten.result) << sip::describe(rewritten.result.error);
  std::vector<std::string_view> vias;
  for (const auto& v : rewritten.msg->values(sip::header_id::via)) vias.push_back(v.text);
  EXPECT_EQ(vias,
            (std::vector<std::string_view>{
                "SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKa;received=192.0.2.9",
                "SIP/2.0/UDP 10.0.0.2;branch=z9hG4bKb", "SIP/2.0/UDP 10.0.0.3;branch=z9hG4bKc"}));
  EXPECT_EQ(rewritten.msg->top_via().received, "192.0.2.9");
}

}  // namespace
}  // namespace p2psip::transport::test
