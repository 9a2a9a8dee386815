#include "relay/turn_uri.hpp"

#include <gtest/gtest.h>

#include "relay/error.hpp"

namespace p2psip::relay {
namespace {

TEST(TurnUri, DefaultsOfEachScheme) {
  const auto turn = parse_turn_uri("turn:relay.example.org");
  ASSERT_FALSE(turn.error);
  EXPECT_EQ(turn.uri.scheme, turn_scheme::turn);
  EXPECT_EQ(turn.uri.host, "relay.example.org");
  EXPECT_EQ(turn.uri.port, 3478);
  EXPECT_FALSE(turn.uri.transport);
  EXPECT_EQ(turn.uri.effective_transport(), turn_transport::udp);

  const auto turns = parse_turn_uri("turns:relay.example.org");
  ASSERT_FALSE(turns.error);
  EXPECT_EQ(turns.uri.scheme, turn_scheme::turns);
  EXPECT_EQ(turns.uri.port, 5349);
  EXPECT_EQ(turns.uri.effective_transport(), turn_transport::tcp);
}

TEST(TurnUri, PortAndTransport) {
  const auto u = parse_turn_uri("turn:10.0.0.5:9991?transport=tcp");
  ASSERT_FALSE(u.error);
  EXPECT_EQ(u.uri.host, "10.0.0.5");
  EXPECT_EQ(u.uri.port, 9991);
  EXPECT_EQ(u.uri.transport, turn_transport::tcp);

  const auto v6 = parse_turn_uri("TURN:[2001:db8::1]:443?Transport=UDP");
  ASSERT_FALSE(v6.error);
  EXPECT_EQ(v6.uri.host, "2001:db8::1");
  EXPECT_EQ(v6.uri.port, 443);
  EXPECT_EQ(v6.uri.transport, turn_transport::udp);
}

TEST(TurnUri, RoundTrips) {
  for (const char* text : {"turn:relay.example.org", "turns:relay.example.org:443?transport=tcp",
                           "turn:1.2.3.4:9991?transport=udp", "turn:[2001:db8::1]",
                           "turn:[::1]:3478?transport=tcp", "turns:h?transport=udp"}) {
    const auto parsed = parse_turn_uri(text);
    ASSERT_FALSE(parsed.error) << text;
    EXPECT_EQ(to_string(parsed.uri), text);
    EXPECT_EQ(parse_turn_uri(to_string(parsed.uri)).uri, parsed.uri);
  }
  EXPECT_EQ(to_string(parse_turn_uri("TURN:h?TRANSPORT=TCP").uri), "turn:h?transport=tcp");
}

TEST(TurnUri, Refused) {
  const std::pair<const char*, error> cases[] = {
      {"", error::bad_uri_scheme},
      {"relay.example.org", error::bad_uri_scheme},
      {"stun:relay.example.org", error::bad_uri_scheme},
      {"sip:relay.example.org", error::bad_uri_scheme},
      {"turn:", error::bad_uri_host},
      {"turn:user@relay.example.org", error::bad_uri_host},
      {"turn:relay.example.org/path", error::bad_uri_host},
      {"turn:[2001:db8::1", error::bad_uri_host},
      {"turn:[not-v6]", error::bad_uri_host},
      {"turn:[::1]x", error::bad_uri_host},
      {"turn:h:", error::bad_uri_port},
      {"turn:h:0", error::bad_uri_port},
      {"turn:h:65536", error::bad_uri_port},
      {"turn:h:34x", error::bad_uri_port},
      {"turn:h:-1", error::bad_uri_port},
      {"turn:h?transport=sctp", error::bad_uri_query},
      {"turn:h?transport=", error::bad_uri_query},
      {"turn:h?foo=udp", error::bad_uri_query},
      {"turn:h?transport=udp&x=1", error::bad_uri_query},
  };
  for (const auto& [text, expected] : cases)
    EXPECT_EQ(parse_turn_uri(text).error, expected) << text;
}

}  // namespace
}  // namespace p2psip::relay
