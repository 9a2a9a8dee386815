#include "sip/uri.hpp"

#include <gtest/gtest.h>

namespace p2psip::sip {
namespace {

uri must_parse(std::string_view text) {
  auto parsed = parse_uri(text);
  EXPECT_TRUE(parsed.has_value()) << text;
  return parsed.value_or(uri{});
}

TEST(Uri, SipWithEveryPart) {
  const auto u = must_parse(
      "sip:alice:secret@atlanta.com:5061;transport=tcp;lr?subject=project%20x&priority=urgent");
  EXPECT_EQ(u.scheme, uri_scheme::sip);
  EXPECT_EQ(u.user, "alice");
  EXPECT_TRUE(u.has_password);
  EXPECT_EQ(u.password, "secret");
  EXPECT_EQ(u.host, "atlanta.com");
  EXPECT_EQ(u.host_type, host_kind::name);
  EXPECT_TRUE(u.has_port);
  EXPECT_EQ(u.port, 5061);
  ASSERT_TRUE(u.params.find("transport"));
  EXPECT_EQ(u.params.find("TRANSPORT")->value, "tcp");
  ASSERT_TRUE(u.params.find("lr"));
  EXPECT_FALSE(u.params.find("lr")->has_value);
  int headers = 0;
  u.headers.for_each([&](std::string_view name, std::string_view value) {
    ++headers;
    if (name == "subject") {
      EXPECT_EQ(unescape(value), "project x");
    }
  });
  EXPECT_EQ(headers, 2);
}

TEST(Uri, SipsAndHostForms) {
  EXPECT_EQ(must_parse("sips:bob@192.0.2.4").host_type, host_kind::ipv4);
  const auto v6 = must_parse("sip:[2001:db8::10]:5070");
  EXPECT_EQ(v6.host_type, host_kind::ipv6);
  EXPECT_EQ(v6.host, "2001:db8::10");
  EXPECT_EQ(v6.host_text(), "[2001:db8::10]");
  EXPECT_EQ(v6.port, 5070);
  EXPECT_EQ(must_parse("sip:example.com.").host_type, host_kind::name);
  EXPECT_EQ(must_parse("SIPS:x@y.org").scheme, uri_scheme::sips);
}

TEST(Uri, UserMayHoldEscapesAndUserUnreserved) {
  const auto u = must_parse("sip:user;par=u%40example.net@example.com");
  EXPECT_EQ(u.user, "user;par=u%40example.net");
  EXPECT_EQ(unescape(u.user), "user;par=u@example.net");
  EXPECT_EQ(u.host, "example.com");
  EXPECT_TRUE(u.params.empty());
}

TEST(Uri, Tel) {
  const auto u = must_parse("tel:+1-201-555-0123;phone-context=example.com");
  EXPECT_EQ(u.scheme, uri_scheme::tel);
  EXPECT_EQ(u.user, "+1-201-555-0123");
  EXPECT_EQ(u.params.find("phone-context")->value, "example.com");
}

TEST(Uri, OtherSchemesAreOpaque) {
  const auto u = must_parse("mailto:alice@example.com");
  EXPECT_EQ(u.scheme, uri_scheme::other);
  EXPECT_EQ(u.opaque, "alice@example.com");
}

TEST(Uri, RejectsMalformed) {
  for (std::string_view bad : {"",
                               "sip:",
                               "sip:@example.com",
                               "sip:a@",
                               "sip:a b@example.com",
                               "sip:a@exa mple.com",
                               "sip:a@example.com:99999",
                               "sip:a@example.com:",
                               "sip:a@[2001:db8::1",
                               "sip:a@[zz::1]",
                               "sip:a@-bad.example.com",
                               "sip:a@example.com;=x",
                               "sip:a@example.com;x=",
                               "sip:a@b;lr;LR",
                               "tel:1;a=1;a=2",
                               "sip:a@example.com?",
                               "sip:a%4@example.com",
                               "1sip:a@b",
                               "sip:a@1.2.3.4.5",
                               "sip:<a@b>",
                               "tel:",
                               "tel:+1 555",
                               "mailto:a b"}) {
    EXPECT_FALSE(parse_uri(bad).has_value()) << bad;
  }
}

// The equivalences of RFC 3261 §19.1.4.
TEST(Uri, ComparisonEquivalentPairsFromRfc3261) {
  const std::pair<std::string_view, std::string_view> equal[] = {
      {"sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=tcp"},
      {"sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5"},
      {"sip:carol@chicago.com", "sip:carol@chicago.com;security=on"},
      {"sip:carol@chicago.com;newparam=5", "sip:carol@chicago.com;security=on"},
      {"sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
       "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com"},
      {"sip:alice@atlanta.com?subject=project%20x&priority=urgent",
       "sip:alice@atlanta.com?priority=urgent&subject=project%20x"},
  };
  for (const auto& [a, b] : equal) {
    EXPECT_TRUE(uri_equal(must_parse(a), must_parse(b))) << a << " vs " << b;
    EXPECT_TRUE(uri_equal(must_parse(b), must_parse(a))) << b << " vs " << a;
  }
}

TEST(Uri, ComparisonNonEquivalentPairsFromRfc3261) {
  const std::pair<std::string_view, std::string_view> different[] = {
      {"SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP"},
      {"sip:bob@biloxi.com", "sip:bob@biloxi.com:5060"},
      {"sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp;user=phone"},
      {"sip:bob@biloxi.com", "sip:bob@biloxi.com;maddr=192.0.2.1"},
      {"sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting"},
      {"sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4"},
      {"sip:alice@atlanta.com", "sips:alice@atlanta.com"},
      {"sip:alice:pw@atlanta.com", "sip:alice@atlanta.com"},
  };
  for (const auto& [a, b] : different) {
    EXPECT_FALSE(uri_equal(must_parse(a), must_parse(b))) << a << " vs " << b;
    EXPECT_FALSE(uri_equal(must_parse(b), must_parse(a))) << b << " vs " << a;
  }
}

TEST(Uri, TelComparisonIgnoresVisualSeparators) {
  EXPECT_TRUE(uri_equal(must_parse("tel:+1-201-555-0123"), must_parse("tel:+1.201.555.0123")));
  EXPECT_FALSE(uri_equal(must_parse("tel:+1-201-555-0123"), must_parse("tel:+1-201-555-0124")));
  EXPECT_FALSE(uri_equal(must_parse("tel:7042;phone-context=example.com"),
                         must_parse("tel:7042;phone-context=example.org")));
}

TEST(Uri, EscapedEqualDecodesBothSides) {
  EXPECT_TRUE(escaped_equal("%41b", "Ab", false));
  EXPECT_FALSE(escaped_equal("%41b", "ab", false));
  EXPECT_TRUE(escaped_equal("%41b", "ab", true));
  EXPECT_FALSE(escaped_equal("abc", "ab", false));
  EXPECT_EQ(unescape("a%20b%2"), "a b%2");
}

}  // namespace
}  // namespace p2psip::sip
