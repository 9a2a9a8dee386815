// RFC 5118 §4: the IPv6 torture messages, each with the RFC's verdict.
// Data: tests/data/rfc5118 (see tests/data/MANIFEST.md). Three messages
// carry a Content-Length that does not match their SDP body as the RFC
// prints them; their tests say what §18.3 of RFC 3261 makes of that and
// check the IPv6 content with the length corrected.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "sip/parser.hpp"
#include "sip/validate.hpp"
#include "support/test_messages.hpp"

namespace p2psip::sip {
namespace {

using sample = test::parsed_sample;
using test::parse_sample;

std::string read(std::string_view name) {
  auto bytes = test::read_file(test::data_dir() / "rfc5118" / name);
  EXPECT_FALSE(bytes.empty()) << name;
  return bytes;
}

std::unique_ptr<sample> load(std::string_view name) {
  return parse_sample(read(name));
}

// The same message with Content-Length set to the length of its body.
std::unique_ptr<sample> load_with_true_length(std::string_view name) {
  auto bytes = read(name);
  const auto body_start = bytes.find("\r\n\r\n") + 4;
  const auto at = bytes.find("Content-Length: ");
  const auto end = bytes.find("\r\n", at);
  bytes.replace(at, end - at, "Content-Length: " + std::to_string(bytes.size() - body_start));
  return parse_sample(std::move(bytes));
}

verdict as_uas(const message& m) {
  return validate_request(m);
}

std::vector<via> vias_of(const message& m) {
  std::vector<via> out;
  for (const auto& v : m.values(header_id::via)) {
    const auto parsed = parse_via(v.text);
    EXPECT_TRUE(parsed) << v.text;
    if (parsed) out.push_back(*parsed);
  }
  return out;
}

TEST(Rfc5118, S4_1_ipv6_good_ValidIpv6Reference) {
  const auto s = load("ipv6-good.dat");
  ASSERT_TRUE(s->result) << describe(s->result.error);
  const auto& m = s->msg;
  EXPECT_EQ(m.method(), method::register_);
  EXPECT_EQ(m.request().uri.host_type, host_kind::ipv6);
  EXPECT_EQ(m.request().uri.host, "2001:db8::10");
  EXPECT_FALSE(m.request().uri.has_port);
  EXPECT_EQ(m.top_via().host, "[2001:db8::9:1]");
  EXPECT_EQ(m.top_via().branch, "z9hG4bKas3-111");
  const auto contact = parse_contact(*m.values(header_id::contact).front());
  ASSERT_TRUE(contact);
  EXPECT_EQ(contact->address.display_name, "Caller");
  EXPECT_EQ(contact->address.address.host, "2001:db8::1");
  EXPECT_EQ(m.call_id(), "SSG9559905523997077@hlau_4100");
  EXPECT_EQ(m.cseq().number, 98176u);
  EXPECT_TRUE(as_uas(m).acceptable()) << as_uas(m).reason;
}

TEST(Rfc5118, S4_2_ipv6_bad_Ipv6ReferenceWithoutBrackets) {
  const auto s = load("ipv6-bad.dat");
  EXPECT_FALSE(s->result);
  EXPECT_EQ(s->result.error, parse_error::bad_request_uri);
  EXPECT_EQ(s->result.action, disposition::reply_400);
}

TEST(Rfc5118, S4_3_port_ambiguous_PortInsideTheBrackets) {
  const auto s = load("port-ambiguous.dat");
  ASSERT_TRUE(s->result) << describe(s->result.error);
  // Well formed, but the 5070 is part of the address, not a port.
  EXPECT_EQ(s->msg.request().uri.host, "2001:db8::10:5070");
  EXPECT_EQ(s->msg.request().uri.host_type, host_kind::ipv6);
  EXPECT_FALSE(s->msg.request().uri.has_port);
}

TEST(Rfc5118, S4_4_port_unambiguous_PortOutsideTheBrackets) {
  const auto s = load("port-unambiguous.dat");
  ASSERT_TRUE(s->result) << describe(s->result.error);
  EXPECT_EQ(s->msg.request().uri.host, "2001:db8::10");
  EXPECT_TRUE(s->msg.request().uri.has_port);
  EXPECT_EQ(s->msg.request().uri.port, 5070);
}

TEST(Rfc5118, S4_5_via_received_param_with_delim_BracketedReceived) {
  const auto s = load("via-received-param-with-delim.dat");
  ASSERT_TRUE(s->result) << describe(s->result.error);
  EXPECT_EQ(s->msg.method(), method::bye);
  EXPECT_EQ(s->msg.top_via().received, "[2001:db8::9:255]");
  EXPECT_EQ(s->msg.top_via().host, "[2001:db8::9:1]");
  EXPECT_EQ(s->msg.top_via().branch, "z9hG4bKas3-111");
  EXPECT_EQ(s->msg.to().tag(), "bd76ya");
  EXPECT_EQ(s->msg.cseq().number, 321u);
}

TEST(Rfc5118, S4_5_via_received_param_no_delim_BareReceived) {
  const auto s = load("via-received-param-no-delim.dat");
  ASSERT_TRUE(s->result) << describe(s->result.error);
  EXPECT_EQ(s->msg.method(), method::options);
  EXPECT_EQ(s->msg.top_via().received, "2001:db8::9:255");
  EXPECT_EQ(s->msg.top_via().branch, "z9hG4bKas3");
  EXPECT_EQ(parse_contact(*s->msg.values(header_id::contact).front())->address.address.host,
            "2001:db8::9:1");
  EXPECT_EQ(s->msg.call_id(), "SSG95523997077@hlau_4100");
  EXPECT_EQ(s->msg.cseq().number, 921u);
}

TEST(Rfc5118, S4_6_ipv6_in_sdp_Ipv6AddressesInSdpBody) {
  // As printed, Content-Length (268) exceeds the body: RFC 3261 §18.3 makes
  // that a 400 for a request arriving in a datagram.
  const auto printed = load("ipv6-in-sdp.dat");
  EXPECT_EQ(printed->result.error, parse_error::body_shorter_than_content_length);
  EXPECT_EQ(printed->result.action, disposition::reply_400);

  const auto s = load_with_true_length("ipv6-in-sdp.dat");
  ASSERT_TRUE(s->result) << describe(s->result.error);
  EXPECT_EQ(s->msg.request().uri.host, "2001:db8::10");
  EXPECT_EQ(s->msg.top_via().host, "[2001:db8::20]");
  EXPECT_NE(s->msg.body().find("o=assistant 971731711378798081 0 IN IP6 2001:db8::20"),
            std::string_view::npos);
  EXPECT_NE(s->msg.body().find("c=IN IP6 2001:db8::20"), std::string_view::npos);
  EXPECT_TRUE(as_uas(s->msg).acceptable());
}

TEST(Rfc5118, S4_7_mult_ip_in_header_MixedIpv4AndIpv6Vias) {
  const auto s = load("mult-ip-in-header.dat");
  ASSERT_TRUE(s->result) << describe(s->result.error);
  const auto vias = vias_of(s->msg);
  ASSERT_EQ(vias.size(), 3u);
  EXPECT_EQ(vias[0].host, "[2001:db8::9:1]");
  EXPECT_EQ(vias[0].port, 6050);
  EXPECT_EQ(vias[1].host, "192.0.2.1");
  EXPECT_EQ(vias[1].branch, "z9hG4bKjhja8781hjuaij65144");
  EXPECT_EQ(vias[2].transport, "TCP");
  EXPECT_EQ(vias[2].host, "[2001:db8::9:255]");
  EXPECT_EQ(vias[2].received, "192.0.2.200");
  EXPECT_EQ(s->msg.request().uri.host, "host.example.net");
  EXPECT_EQ(s->msg.cseq().number, 89187u);
  EXPECT_EQ(s->msg.to().tag(), "9817--94");
}

TEST(Rfc5118, S4_8_mult_ip_in_sdp_PerMediaConnectionAddresses) {
  // As printed, Content-Length (181) is shorter than the body: a datagram
  // is cut at Content-Length and the rest discarded (§18.3).
  const auto printed = load("mult-ip-in-sdp.dat");
  ASSERT_TRUE(printed->result) << describe(printed->result.error);
  EXPECT_EQ(printed->msg.body().size(), 181u);

  const auto s = load_with_true_length("mult-ip-in-sdp.dat");
  ASSERT_TRUE(s->result) << describe(s->result.error);
  EXPECT_NE(s->msg.body().find("c=IN IP4 192.0.2.1"), std::string_view::npos);
  EXPECT_NE(s->msg.body().find("c=IN IP6 2001:db8::1"), std::string_view::npos);
  EXPECT_TRUE(s->msg.body().ends_with("/90000\r\n"));
  EXPECT_TRUE(as_uas(s->msg).acceptable());
}

TEST(Rfc5118, S4_9_ipv4_mapped_ipv6_Ipv4MappedAddresses) {
  const auto printed = load("ipv4-mapped-ipv6.dat");
  ASSERT_TRUE(printed->result) << describe(printed->result.error);
  EXPECT_EQ(printed->msg.body().size(), 236u);

  const auto s = load_with_true_length("ipv4-mapped-ipv6.dat");
  ASSERT_TRUE(s->result) << describe(s->result.error);
  const auto vias = vias_of(s->msg);
  ASSERT_EQ(vias.size(), 2u);
  EXPECT_EQ(vias[0].host, "[::ffff:192.0.2.10]");
  EXPECT_EQ(vias[0].port, 19823);
  EXPECT_EQ(vias[0].host_type, host_kind::ipv6);
  EXPECT_EQ(vias[1].host, "[::ffff:192.0.2.2]");
  const auto contact = parse_contact(*s->msg.values(header_id::contact).front());
  ASSERT_TRUE(contact);
  EXPECT_EQ(contact->address.display_name, "T. desk phone");
  EXPECT_EQ(contact->address.address.host, "::ffff:192.0.2.2");
  EXPECT_NE(s->msg.body().find("c=IN IP6 ::ffff:192.0.2.2"), std::string_view::npos);
  EXPECT_TRUE(as_uas(s->msg).acceptable());
}

TEST(Rfc5118, S4_10_ipv6_bug_abnf_3_colons_ToleratedExtraColon) {
  const auto s = load("ipv6-bug-abnf-3-colons.dat");
  ASSERT_TRUE(s->result) << describe(s->result.error);
  EXPECT_EQ(s->msg.request().uri.host, "2001:db8:::192.0.2.1");
  EXPECT_EQ(s->msg.request().uri.host_type, host_kind::ipv6);
  EXPECT_EQ(s->msg.to().address.host_type, host_kind::ipv6);
  EXPECT_TRUE(as_uas(s->msg).acceptable());
}

TEST(Rfc5118, S4_10_ipv6_correct_abnf_2_colons_CorrectForm) {
  const auto s = load("ipv6-correct-abnf-2-colons.dat");
  ASSERT_TRUE(s->result) << describe(s->result.error);
  EXPECT_EQ(s->msg.request().uri.host, "2001:db8::192.0.2.1");
  EXPECT_EQ(s->msg.top_via().host, "lab1.east.example.com");
  EXPECT_EQ(s->msg.call_id(), "G9559905523997077@hlau_4100");
  EXPECT_EQ(s->msg.cseq().number, 689u);
  EXPECT_TRUE(as_uas(s->msg).acceptable());
}

}  // namespace
}  // namespace p2psip::sip
