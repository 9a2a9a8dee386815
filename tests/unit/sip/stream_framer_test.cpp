#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sip/parser.hpp"
#include "support/test_messages.hpp"

namespace p2psip::sip {
namespace {

using kind = stream_framer::kind;

// What a connection sees: each frame the framer reports, and for messages
// the outcome of parsing them.
struct event {
  kind what;
  std::size_t length;
  parse_error error;
  std::string summary;
  bool operator==(const event&) const = default;
};

std::string summarize(std::string_view bytes) {
  message m;
  const auto r = parse(bytes, m, framing::stream);
  if (!r) return std::string("error:") + std::string(counter_name(r.error));
  return std::string(m.start_line()) + "|" + std::string(m.call_id()) + "|" +
         std::to_string(m.headers().size()) + "|" + std::string(m.body());
}

// Feeds `pieces` in order, draining the framer after each, as a socket loop does.
std::vector<event> run(const std::vector<std::string_view>& pieces) {
  stream_framer framer;
  std::string buffer;
  std::vector<event> events;
  for (auto piece : pieces) {
    buffer.append(piece);
    for (;;) {
      const auto f = framer.next(buffer);
      if (f.what == kind::need_more) break;
      if (f.what == kind::error) {
        events.push_back({f.what, 0, f.error, {}});
        return events;
      }
      events.push_back({f.what, f.length, f.error,
                        f.what == kind::message ? summarize(buffer.substr(0, f.length)) : ""});
      buffer.erase(0, f.length);
    }
  }
  return events;
}

// A message as it would arrive on a stream: the datagram parse tells us
// whether the file carries a usable Content-Length, and the stream gets the
// bytes as they are either way.
std::vector<event> whole(std::string_view bytes) {
  return run({bytes});
}

void grind(const std::string& name, std::string_view bytes) {
  const auto expected = whole(bytes);
  for (std::size_t split = 1; split < bytes.size(); ++split) {
    const auto got = run({bytes.substr(0, split), bytes.substr(split)});
    ASSERT_EQ(got, expected) << name << " split at " << split;
  }
  std::vector<std::string_view> bytewise;
  for (std::size_t i = 0; i < bytes.size(); ++i) bytewise.push_back(bytes.substr(i, 1));
  ASSERT_EQ(run(bytewise), expected) << name << " fed one byte at a time";
}

TEST(StreamFramer, GrindEveryTortureMessageAtEveryOffset) {
  const auto corpus = test::load_messages({"rfc4475", "rfc5118"});
  ASSERT_GE(corpus.size(), 50u);
  for (const auto& m : corpus) grind(m.name, m.bytes);
}

TEST(StreamFramer, GrindTwoMessagesAndKeepAlivesBackToBack) {
  const std::string one =
      "OPTIONS sip:a@example.com SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\n"
      "From: <sip:b@example.com>;tag=1\r\nTo: <sip:a@example.com>\r\nCall-ID: c1\r\n"
      "CSeq: 1 OPTIONS\r\nContent-Length: 5\r\n\r\nhello";
  const std::string stream = "\r\n\r\n" + one + "\r\n" + one + "\r\n\r\n";
  const auto expected = whole(stream);
  ASSERT_EQ(expected.size(), 5u);
  EXPECT_EQ(expected[0].what, kind::ping);
  EXPECT_EQ(expected[1].what, kind::message);
  EXPECT_EQ(expected[1].length, one.size());
  EXPECT_EQ(expected[2].what, kind::skip);
  EXPECT_EQ(expected[3].what, kind::message);
  EXPECT_EQ(expected[4].what, kind::ping);
  grind("two messages", stream);
}

TEST(StreamFramer, OversizeInputIsRefusedBeforeItIsBuffered) {
  limits bounds;
  bounds.max_header_section = 64;
  stream_framer framer(bounds);
  const std::string endless = "INVITE sip:a@b SIP/2.0\r\nX: " + std::string(100, 'a');
  EXPECT_EQ(framer.next(endless).error, parse_error::header_section_too_large);

  bounds = {};
  bounds.max_body_size = 1000;
  stream_framer body_framer(bounds);
  // The declared body is refused as soon as the headers are complete,
  // before any of it has been received.
  const auto f = body_framer.next("MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 100000000\r\n\r\n");
  EXPECT_EQ(f.what, kind::error);
  EXPECT_EQ(f.error, parse_error::body_too_large);
}

TEST(StreamFramer, MissingContentLengthIsAnError) {
  stream_framer framer;
  const auto f = framer.next("OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\n\r\n");
  EXPECT_EQ(f.what, kind::error);
  EXPECT_EQ(f.error, parse_error::stream_missing_content_length);
}

TEST(StreamFramer, StrayCarriageReturnIsAnError) {
  stream_framer framer;
  EXPECT_EQ(framer.next("\rX").what, kind::error);
}

}  // namespace
}  // namespace p2psip::sip
