#include "sip/parser.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace p2psip::sip {
namespace {

constexpr std::string_view invite =
    "INVITE sip:bob@biloxi.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bKnashds8, SIP/2.0/UDP "
    "bigbox3.site3.atlanta.com;branch=z9hG4bK77ef4c2312983.1\r\n"
    "v: SIP/2.0/TCP client.atlanta.example.com:5060;branch=z9hG4bK74bf9\r\n"
    "Max-Forwards: 70\r\n"
    "To: Bob <sip:bob@biloxi.com>\r\n"
    "From: Alice <sip:alice@atlanta.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710@pc33.atlanta.com\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Contact: <sip:alice@pc33.atlanta.com>\r\n"
    "X-Unknown-Header:   some value  \r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 4\r\n"
    "\r\n"
    "v=0\n";

TEST(Parser, RequestRoutingFields) {
  message m;
  const auto r = parse(invite, m);
  ASSERT_TRUE(r) << describe(r.error);
  EXPECT_EQ(r.consumed, invite.size());
  EXPECT_TRUE(m.is_request());
  EXPECT_EQ(m.method(), method::invite);
  EXPECT_EQ(m.request().uri.user, "bob");
  EXPECT_EQ(m.request().version, "SIP/2.0");
  EXPECT_EQ(m.top_via().host, "pc33.atlanta.com");
  EXPECT_EQ(m.top_via().branch, "z9hG4bKnashds8");
  EXPECT_EQ(m.from().tag(), "1928301774");
  EXPECT_EQ(m.to().tag(), "");
  EXPECT_EQ(m.to().display_name, "Bob");
  EXPECT_EQ(m.call_id(), "a84b4c76e66710@pc33.atlanta.com");
  EXPECT_EQ(m.cseq().number, 314159u);
  EXPECT_EQ(m.cseq().method, "INVITE");
  EXPECT_EQ(m.max_forwards(), 70u);
  EXPECT_EQ(m.content_length(), 4u);
  EXPECT_EQ(m.body(), "v=0\n");
}

TEST(Parser, ValuesSpanLinesAndCommasAlike) {
  message m;
  ASSERT_TRUE(parse(invite, m));
  std::vector<std::string_view> hosts;
  for (const auto& v : m.values(header_id::via)) hosts.push_back(parse_via(v.text)->host);
  EXPECT_EQ(hosts, (std::vector<std::string_view>{"pc33.atlanta.com", "bigbox3.site3.atlanta.com",
                                                  "client.atlanta.example.com"}));
  EXPECT_EQ(m.count(header_id::via), 2u);
}

TEST(Parser, UnknownHeaderKeptVerbatim) {
  message m;
  ASSERT_TRUE(parse(invite, m));
  const auto* h = m.find("x-unknown-header");
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->id, header_id::other);
  EXPECT_EQ(h->name, "X-Unknown-Header");
  EXPECT_EQ(h->value, "some value");
  EXPECT_EQ(h->line, "X-Unknown-Header:   some value  \r\n");
}

TEST(Parser, Response) {
  constexpr std::string_view response =
      "SIP/2.0 180 Ringing\r\n"
      "Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bKnashds8;received=192.0.2.1\r\n"
      "To: Bob <sip:bob@biloxi.com>;tag=a6c85cf\r\n"
      "From: Alice <sip:alice@atlanta.com>;tag=1928301774\r\n"
      "Call-ID: a84b4c76e66710\r\n"
      "CSeq: 314159 INVITE\r\n"
      "Content-Length: 0\r\n\r\n";
  message m;
  ASSERT_TRUE(parse(response, m));
  EXPECT_TRUE(m.is_response());
  EXPECT_EQ(m.status().code, 180);
  EXPECT_EQ(m.status().reason, "Ringing");
  EXPECT_EQ(m.to().tag(), "a6c85cf");
  EXPECT_EQ(m.top_via().received, "192.0.2.1");
}

TEST(Parser, LeadingCrlfIgnoredAndTrailingDatagramBytesDiscarded) {
  std::string packet = "\r\n\r\n";
  packet.append(invite);
  packet.append("garbage after the body");
  message m;
  const auto r = parse(packet, m);
  ASSERT_TRUE(r);
  EXPECT_EQ(m.body(), "v=0\n");
  EXPECT_EQ(r.consumed, packet.size() - std::string_view("garbage after the body").size());
  EXPECT_TRUE(m.raw().starts_with("INVITE"));
}

std::string replace(std::string_view text, std::string_view from, std::string_view to) {
  std::string out(text);
  const auto at = out.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  out.replace(at, from.size(), to);
  return out;
}

TEST(Parser, DatagramWithoutContentLengthTakesTheRest) {
  const auto packet = replace(invite, "Content-Length: 4\r\n", "");
  message m;
  ASSERT_TRUE(parse(packet, m));
  EXPECT_EQ(m.body(), "v=0\n");
  EXPECT_FALSE(m.content_length());
  EXPECT_EQ(parse(packet, m, framing::stream).error, parse_error::stream_missing_content_length);
}

TEST(Parser, ErrorsSayWhatAndWhetherToAnswer) {
  struct bad_case {
    std::string text;
    parse_error error;
    disposition action;
  };
  const bad_case cases[] = {
      {replace(invite, "CSeq: 314159 INVITE", "CSeq: x INVITE"), parse_error::bad_cseq,
       disposition::reply_400},
      // Without a Call-ID there is nothing to answer with.
      {replace(replace(invite, "Call-ID: a84b4c76e66710@pc33.atlanta.com\r\n", ""),
               "Max-Forwards: 70", "Max-Forwards: x"),
       parse_error::bad_max_forwards, disposition::drop},
      {replace(invite, "Max-Forwards: 70", "Max-Forwards: seventy"), parse_error::bad_max_forwards,
       disposition::reply_400},
      {replace(invite, "Content-Length: 4", "Content-Length: 40"),
       parse_error::body_shorter_than_content_length, disposition::reply_400},
      {replace(invite, "INVITE sip:bob@biloxi.com SIP/2.0", "INVITE sip:bob@biloxi.com SIP/2.0 x"),
       parse_error::bad_start_line, disposition::reply_400},
      {replace(invite, "INVITE sip:bob@biloxi.com SIP/2.0", "INVITE sip:bob@biloxi.com SIP/2"),
       parse_error::bad_version, disposition::reply_400},
      {replace(invite, "SIP/2.0/UDP pc33", "SIP/2.0/UDP;pc33"), parse_error::bad_via,
       disposition::reply_400},
      {replace(invite, "INVITE sip:bob@biloxi.com", "INVITE <sip:bob@biloxi.com>"),
       parse_error::bad_request_uri, disposition::reply_400},
      {replace(invite, "To: Bob", "To: \"Bob"), parse_error::bad_to, disposition::reply_400},
      {replace(invite, "Max-Forwards: 70\r\n", "Max-Forwards 70\r\n"), parse_error::bad_header_name,
       disposition::reply_400},
      {replace(replace(invite, "Max-Forwards: 70\r\n", "Max-Forwards 70\r\n"),
               "Call-ID: a84b4c76e66710@pc33.atlanta.com\r\n", ""),
       parse_error::bad_header_name, disposition::drop},
      {replace(invite, "Max-Forwards: 70\r\n", "Max-Forwards: 70\n"), parse_error::bad_header_line,
       disposition::drop},
      {replace(invite, "\r\n\r\nv=0\n", "\r\n"), parse_error::missing_header_end,
       disposition::drop},
      {"SIP/2.0 99 Too Low\r\n\r\n", parse_error::bad_status_code, disposition::drop},
      {"", parse_error::empty_message, disposition::drop},
  };
  for (const auto& c : cases) {
    message m;
    const auto r = parse(c.text, m);
    EXPECT_EQ(r.error, c.error) << c.text << "\n-> " << describe(r.error);
    EXPECT_EQ(r.action, c.action) << c.text;
  }
}

TEST(Parser, LimitsAreCheckedBeforeIndexing) {
  limits tight;
  tight.max_message_size = 200;
  message m;
  EXPECT_EQ(parse(invite, m, framing::datagram, tight).error, parse_error::message_too_large);

  tight = {};
  tight.max_headers = 5;
  EXPECT_EQ(parse(invite, m, framing::datagram, tight).error, parse_error::too_many_headers);

  tight = {};
  tight.max_line_length = 40;
  EXPECT_EQ(parse(invite, m, framing::datagram, tight).error, parse_error::line_too_long);

  tight = {};
  tight.max_body_size = 3;
  EXPECT_EQ(parse(invite, m, framing::datagram, tight).error, parse_error::body_too_large);

  tight = {};
  tight.max_header_section = 100;
  EXPECT_EQ(parse(invite, m, framing::datagram, tight).error,
            parse_error::header_section_too_large);

  std::string many(invite.substr(0, invite.find("Content-Type")));
  for (int i = 0; i < 200; ++i) many.append("X-Filler: 1\r\n");
  many.append("\r\n");
  EXPECT_EQ(parse(many, m).error, parse_error::too_many_headers);
}

TEST(Parser, ConflictingContentLengthsAreRejected) {
  const auto twice = replace(invite, "Content-Length: 4\r\n", "Content-Length: 4\r\nl: 3\r\n");
  message m;
  EXPECT_EQ(parse(twice, m).error, parse_error::bad_content_length);
}

TEST(Parser, ErrorCodesCarryTheirCategory) {
  const std::error_code ec = parse_error::bad_cseq;
  EXPECT_EQ(ec.category().name(), std::string("sip.parse"));
  EXPECT_EQ(ec.message(), "Malformed CSeq");
  EXPECT_EQ(counter_name(parse_error::bad_cseq), "bad_cseq");
}

}  // namespace
}  // namespace p2psip::sip
