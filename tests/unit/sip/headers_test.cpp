#include "sip/headers.hpp"

#include <gtest/gtest.h>

namespace p2psip::sip {
namespace {

TEST(Via, AllParameters) {
  const auto v = parse_via(
      "SIP/2.0/UDP pc33.atlanta.com:5066;branch=z9hG4bK776asdhds;received=192.0.2.1;rport=5070;"
      "maddr=224.2.0.1;ttl=16");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->protocol_name, "SIP");
  EXPECT_EQ(v->protocol_version, "2.0");
  EXPECT_EQ(v->transport, "UDP");
  EXPECT_EQ(v->host, "pc33.atlanta.com");
  EXPECT_EQ(v->port, 5066);
  EXPECT_EQ(v->branch, "z9hG4bK776asdhds");
  EXPECT_TRUE(v->rfc3261_branch());
  EXPECT_EQ(v->received, "192.0.2.1");
  EXPECT_TRUE(v->has_rport);
  EXPECT_EQ(v->rport, 5070);
  EXPECT_EQ(v->maddr, "224.2.0.1");
  EXPECT_EQ(v->ttl, 16);
}

TEST(Via, LwsAroundSeparatorsAndEmptyRport) {
  const auto v = parse_via("SIP / 2.0 / TCP\r\n 192.0.2.2 : 5060 ; rport ; branch = z9hG4bKx");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->transport, "TCP");
  EXPECT_EQ(v->host, "192.0.2.2");
  EXPECT_EQ(v->port, 5060);
  EXPECT_TRUE(v->has_rport);
  EXPECT_FALSE(v->rport.has_value());
  EXPECT_EQ(v->branch, "z9hG4bKx");
}

TEST(Via, Ipv6SentByAndReceived) {
  const auto v =
      parse_via("SIP/2.0/UDP [2001:db8::9:1]:5070;branch=z9hG4bKas3;received=2001:db8::9:255");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->host, "[2001:db8::9:1]");
  EXPECT_EQ(v->host_type, host_kind::ipv6);
  EXPECT_EQ(v->received, "2001:db8::9:255");
}

TEST(Via, RejectsMalformed) {
  for (std::string_view bad :
       {"SIP/2.0/UDP", "SIP/2.0 UDP host", "SIP/2.0/UDPhost", "SIP/2.0/UDP host;branch",
        "SIP/2.0/UDP host;received=example.com", "SIP/2.0/UDP host;ttl=256",
        "SIP/2.0/UDP host:70000", "SIP/2.0/UDP host;rport=x", "SIP/2.0/UDP [::1",
        "SIP/2.0/UDP host junk"}) {
    EXPECT_FALSE(parse_via(bad)) << bad;
  }
}

TEST(NameAddr, QuotedDisplayNameWithEscapes) {
  const auto n = parse_name_addr(R"("Bob \"the\" Builder" <sip:bob@biloxi.com>;tag=a48s)");
  ASSERT_TRUE(n);
  EXPECT_TRUE(n->display_name_quoted);
  EXPECT_EQ(n->display_name, R"(Bob \"the\" Builder)");
  EXPECT_EQ(n->address.user, "bob");
  EXPECT_EQ(n->tag(), "a48s");
  EXPECT_TRUE(n->bracketed);
}

TEST(NameAddr, TokenDisplayNameAndAddrSpec) {
  const auto token = parse_name_addr("Anonymous User <sip:c8oqz84zk7z@privacy.org>;tag=hyh8");
  ASSERT_TRUE(token);
  EXPECT_EQ(token->display_name, "Anonymous User");
  EXPECT_FALSE(token->display_name_quoted);
  EXPECT_EQ(token->tag(), "hyh8");

  // In addr-spec form the parameters belong to the header, not the URI.
  const auto spec = parse_name_addr("sip:alice@atlanta.com;tag=1928301774");
  ASSERT_TRUE(spec);
  EXPECT_FALSE(spec->bracketed);
  EXPECT_EQ(spec->tag(), "1928301774");
  EXPECT_TRUE(spec->address.params.empty());
}

TEST(NameAddr, UriParamsStayInsideBrackets) {
  const auto n = parse_name_addr("<sip:p1.example.com;lr>;x=y");
  ASSERT_TRUE(n);
  EXPECT_TRUE(n->address.params.contains("lr"));
  EXPECT_FALSE(n->params.contains("lr"));
  EXPECT_EQ(n->params.find("x")->value, "y");
}

TEST(NameAddr, RejectsMalformed) {
  for (std::string_view bad :
       {"\"unterminated <sip:a@b>", "<sip:a@b", "sip:a@b <sip:c@d>", "Bad\"Name <sip:a@b>",
        "<sip:a@b>;tag=", "<sip:a@b>;=x", "<sip:a@b> trailing", "", "<>", "sip:a@b, sip:c@d"}) {
    EXPECT_FALSE(parse_name_addr(bad)) << bad;
  }
}

TEST(Contact, WildcardAndParameters) {
  const auto star = parse_contact(" * ");
  ASSERT_TRUE(star);
  EXPECT_TRUE(star->wildcard);

  const auto c = parse_contact(
      "<sip:alice@192.0.2.1:5060;transport=tcp>;expires=3600;q=0.7;"
      "+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-000A95A0E128>\";reg-id=1");
  ASSERT_TRUE(c);
  EXPECT_FALSE(c->wildcard);
  EXPECT_EQ(c->expires, 3600u);
  EXPECT_EQ(c->q_thousandths, 700);
  EXPECT_EQ(c->instance, "<urn:uuid:00000000-0000-1000-8000-000A95A0E128>");
  EXPECT_EQ(c->reg_id, 1u);
  EXPECT_EQ(c->address.address.port, 5060);
}

TEST(Contact, ExpiresBeyond32BitsIsClampedAndBadQRejected) {
  const auto big = parse_contact("<sip:a@b>;expires=280297596632815");
  ASSERT_TRUE(big);
  EXPECT_EQ(big->expires, 0xffffffffu);
  EXPECT_FALSE(parse_contact("<sip:a@b>;q=1.5"));
  EXPECT_FALSE(parse_contact("<sip:a@b>;q=0.1234"));
  EXPECT_FALSE(parse_contact("<sip:a@b>;reg-id=0"));
  EXPECT_FALSE(parse_contact("*;expires=0"));
}

TEST(CSeq, NumberMethodAndBounds) {
  const auto c = parse_cseq("4711 INVITE");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->number, 4711u);
  EXPECT_EQ(c->method, "INVITE");
  EXPECT_TRUE(parse_cseq("2147483647 ACK"));
  EXPECT_FALSE(parse_cseq("2147483648 ACK"));
  EXPECT_FALSE(parse_cseq("36893488147419103232 INVITE"));
  EXPECT_FALSE(parse_cseq("1INVITE"));
  EXPECT_FALSE(parse_cseq("INVITE"));
  EXPECT_FALSE(parse_cseq("1 INVITE x"));
}

TEST(CallId, WordAtWord) {
  EXPECT_EQ(parse_call_id(" a84b4c76e66710@pc33.atlanta.com "), "a84b4c76e66710@pc33.atlanta.com");
  EXPECT_EQ(parse_call_id("0ha0isndaksdj"), "0ha0isndaksdj");
  EXPECT_FALSE(parse_call_id("a@"));
  EXPECT_FALSE(parse_call_id("a b"));
  EXPECT_FALSE(parse_call_id(""));
}

TEST(DeltaSeconds, Bounds) {
  EXPECT_EQ(parse_delta_seconds("70", 255), 70u);
  EXPECT_FALSE(parse_delta_seconds("256", 255));
  EXPECT_FALSE(parse_delta_seconds("-1", 255));
  EXPECT_FALSE(parse_delta_seconds("1 2", 255));
  EXPECT_EQ(parse_delta_seconds("4294967295", 0xffffffffu), 0xffffffffu);
  EXPECT_FALSE(parse_delta_seconds("4294967296", 0xffffffffu));
}

TEST(Credentials, DigestChallengeAndResponse) {
  const auto challenge = parse_credentials(
      "Digest realm=\"atlanta.com\", domain=\"sip:ss1.carrier.com\", qop=\"auth\", "
      "nonce=\"f84f1cec41e6cbe5aea9c8e88d359\", opaque=\"\", stale=FALSE, algorithm=SHA-256");
  ASSERT_TRUE(challenge);
  EXPECT_EQ(challenge->scheme, "Digest");
  EXPECT_EQ(challenge->param("realm"), "atlanta.com");
  EXPECT_EQ(challenge->param("NONCE"), "f84f1cec41e6cbe5aea9c8e88d359");
  EXPECT_EQ(challenge->param("opaque"), "");
  EXPECT_EQ(challenge->param("algorithm"), "SHA-256");
  EXPECT_FALSE(challenge->param("cnonce"));

  const auto response = parse_credentials(
      "Digest username=\"bob\", realm=\"biloxi.com\", nonce=\"dcd98b\", uri=\"sip:bob@biloxi.com\","
      " qop=auth, nc=00000001, cnonce=\"0a4f113b\", response=\"6629fae49393a05397450978507c4ef1\"");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->param("nc"), "00000001");
  EXPECT_EQ(response->param("uri"), "sip:bob@biloxi.com");

  EXPECT_FALSE(parse_credentials("Digest realm=\"unterminated"));
  EXPECT_FALSE(parse_credentials("Digest realm"));
  EXPECT_FALSE(parse_credentials("Digest realm=a,, nonce=b"));
}

TEST(MediaType, TypeSubtypeAndParameters) {
  const auto m = parse_media_type("multipart/mixed ; boundary=unique-boundary-1");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->type, "multipart");
  EXPECT_EQ(m->subtype, "mixed");
  EXPECT_EQ(m->params.find("boundary")->value, "unique-boundary-1");
  EXPECT_FALSE(parse_media_type("application"));
  EXPECT_FALSE(parse_media_type("application/"));
}

TEST(RetryAfter, CommentAndDuration) {
  const auto r = parse_retry_after("18000;duration=3600");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->seconds, 18000u);
  EXPECT_EQ(r->duration, 3600u);
  const auto c = parse_retry_after("120 (I'm in a meeting)");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->comment, "(I'm in a meeting)");
  EXPECT_FALSE(parse_retry_after("120 (unbalanced"));
  EXPECT_FALSE(parse_retry_after("soon"));
}

TEST(Timestamp, ValueAndDelay) {
  const auto t = parse_timestamp("54.123 0.5");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->value, "54.123");
  EXPECT_EQ(t->delay, "0.5");
  EXPECT_TRUE(parse_timestamp("54"));
  EXPECT_FALSE(parse_timestamp("x"));
  EXPECT_FALSE(parse_timestamp("1 2 3"));
}

TEST(TokenValue, OptionTags) {
  EXPECT_EQ(parse_token_value(" 100rel "), "100rel");
  EXPECT_FALSE(parse_token_value("a b"));
  EXPECT_FALSE(parse_token_value(""));
}

}  // namespace
}  // namespace p2psip::sip
