#include "sip/editor.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sip/parser.hpp"
#include "support/test_messages.hpp"

namespace p2psip::sip {
namespace {

constexpr std::string_view request =
    "INVITE sip:bob@biloxi.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP p1.example.com;branch=z9hG4bKp1, SIP/2.0/UDP "
    "pc33.atlanta.com;branch=z9hG4bKa\r\n"
    "Route: <sip:p2.example.com;lr>, <sip:p3.example.com;lr>\r\n"
    "Route: <sip:p4.example.com;lr>\r\n"
    "Record-Route: <sip:p1.example.com;lr>\r\n"
    "Max-Forwards: 69\r\n"
    "To: Bob <sip:bob@biloxi.com>\r\n"
    "From: Alice <sip:alice@atlanta.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Content-Type: text/plain\r\n"
    "Content-Length: 5\r\n"
    "\r\n"
    "hello";

std::vector<std::string> values_of(const message& m, header_id id) {
  std::vector<std::string> out;
  for (const auto& v : m.values(id)) out.emplace_back(v.text);
  return out;
}

TEST(Editor, NoEditsWritesTheReceivedBytes) {
  message m;
  ASSERT_TRUE(parse(request, m));
  EXPECT_EQ(message_editor(m).str(), request);
}

// What a proxy does to a request it forwards (§16.6), checked by re-parsing.
TEST(Editor, ProxyForwardingEditsReparseAsIntended) {
  message m;
  ASSERT_TRUE(parse(request, m));
  message_editor e(m);
  e.set_request_uri("sip:bob@192.0.2.4:5062");
  e.pop_route();
  e.add_record_route("<sip:p2.example.com;lr>");
  e.push_via("SIP/2.0/TCP p2.example.com;branch=z9hG4bKp2");
  e.decrement_max_forwards();
  e.add_header("X-Forwarded-By", "p2");
  const auto out = e.str();

  message edited;
  ASSERT_TRUE(parse(out, edited)) << out;
  EXPECT_EQ(edited.request().uri_text, "sip:bob@192.0.2.4:5062");
  EXPECT_EQ(edited.top_via().branch, "z9hG4bKp2");
  EXPECT_EQ(values_of(edited, header_id::via).size(), 3u);
  EXPECT_EQ(values_of(edited, header_id::route),
            (std::vector<std::string>{"<sip:p3.example.com;lr>", "<sip:p4.example.com;lr>"}));
  EXPECT_EQ(values_of(edited, header_id::record_route),
            (std::vector<std::string>{"<sip:p2.example.com;lr>", "<sip:p1.example.com;lr>"}));
  EXPECT_EQ(edited.max_forwards(), 68u);
  ASSERT_NE(edited.find("x-forwarded-by"), nullptr);
  EXPECT_EQ(edited.body(), "hello");
  EXPECT_EQ(edited.call_id(), m.call_id());
}

TEST(Editor, PopsRemoveWholeFieldsOnceTheirValuesAreGone) {
  message m;
  ASSERT_TRUE(parse(request, m));
  message_editor e(m);
  EXPECT_TRUE(e.pop_route());
  EXPECT_TRUE(e.pop_route());
  EXPECT_TRUE(e.pop_route());
  EXPECT_FALSE(e.pop_route());
  const auto out = e.str();
  message edited;
  ASSERT_TRUE(parse(out, edited));
  EXPECT_EQ(edited.find(header_id::route), nullptr);
  EXPECT_EQ(out.find("Route: ,"), std::string::npos);
  EXPECT_EQ(out.find("\r\nRoute:"), std::string::npos);
}

TEST(Editor, ResponseViaPopAndPushOrder) {
  message m;
  ASSERT_TRUE(parse(request, m));
  message_editor e(m);
  e.pop_via();
  e.push_via("SIP/2.0/UDP lower;branch=z9hG4bK1");
  e.push_via("SIP/2.0/UDP upper;branch=z9hG4bK2");
  message edited;
  const auto out = e.str();
  ASSERT_TRUE(parse(out, edited));
  const auto vias = values_of(edited, header_id::via);
  ASSERT_EQ(vias.size(), 3u);
  EXPECT_EQ(parse_via(vias[0])->host, "upper");
  EXPECT_EQ(parse_via(vias[1])->host, "lower");
  EXPECT_EQ(parse_via(vias[2])->host, "pc33.atlanta.com");
}

TEST(Editor, MaxForwardsAddedWhenAbsent) {
  std::string no_mf(request);
  no_mf.erase(no_mf.find("Max-Forwards: 69\r\n"), 18);
  message m;
  ASSERT_TRUE(parse(no_mf, m));
  message_editor e(m);
  e.decrement_max_forwards();
  message edited;
  const auto out = e.str();
  ASSERT_TRUE(parse(out, edited));
  EXPECT_EQ(edited.max_forwards(), 70u);
}

TEST(Editor, BodyReplacementKeepsLengthAndTypeInStep) {
  message m;
  ASSERT_TRUE(parse(request, m));
  message_editor e(m);
  e.set_body("application/sdp", "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n");
  e.remove_headers(header_id::record_route);
  message edited;
  const auto out = e.str();
  ASSERT_TRUE(parse(out, edited, framing::stream));
  EXPECT_EQ(edited.body(), "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n");
  EXPECT_EQ(edited.content_length(), edited.body().size());
  EXPECT_EQ(edited.count(header_id::content_type), 1u);
  EXPECT_EQ(edited.find(header_id::content_type)->value, "application/sdp");
  EXPECT_EQ(edited.find(header_id::record_route), nullptr);
}

TEST(Editor, ResponseCopiesTheFieldsOfSection8_2_6) {
  message m;
  ASSERT_TRUE(parse(request, m));
  const auto text = make_response(m, 486, "Busy Here", "xyz");
  message response;
  ASSERT_TRUE(parse(text, response, framing::stream)) << text;
  EXPECT_EQ(response.status().code, 486);
  EXPECT_EQ(values_of(response, header_id::via), values_of(m, header_id::via));
  EXPECT_EQ(response.to().tag(), "xyz");
  EXPECT_EQ(response.from().tag(), "1928301774");
  EXPECT_EQ(response.call_id(), m.call_id());
  EXPECT_EQ(response.cseq().number, 314159u);
  EXPECT_EQ(response.find(header_id::route), nullptr);
}

// parse -> write -> parse gives the same message, for every message of the
// corpus that parses at all.
TEST(Editor, RoundTripOfTheWholeCorpus) {
  int round_tripped = 0;
  for (const auto& sample : test::load_messages({"rfc4475", "rfc5118"})) {
    message first;
    if (!parse(sample.bytes, first)) continue;
    const auto normalized = write_normalized(first);
    message second;
    ASSERT_TRUE(parse(normalized, second)) << sample.name << "\n" << normalized;
    EXPECT_EQ(second.start_line(), first.start_line()) << sample.name;
    ASSERT_EQ(second.headers().size(), first.headers().size()) << sample.name;
    for (std::size_t i = 0; i < first.headers().size(); ++i) {
      EXPECT_EQ(second.headers()[i].id, first.headers()[i].id) << sample.name;
      if (first.headers()[i].value.find('\n') == std::string_view::npos) {
        EXPECT_EQ(second.headers()[i].value, first.headers()[i].value) << sample.name;
      }
    }
    EXPECT_EQ(second.body(), first.body()) << sample.name;
    EXPECT_EQ(second.call_id(), first.call_id()) << sample.name;
    EXPECT_EQ(second.top_via().branch, first.top_via().branch) << sample.name;
    EXPECT_EQ(second.from().tag(), first.from().tag()) << sample.name;
    EXPECT_EQ(second.cseq().number, first.cseq().number) << sample.name;
    // Normalizing is idempotent.
    EXPECT_EQ(write_normalized(second), normalized) << sample.name;
    ++round_tripped;
  }
  EXPECT_GE(round_tripped, 30);
}

}  // namespace
}  // namespace p2psip::sip
