// What a response's wire bytes say when no server is at hand to send them:
// response codes, a missing SOA, bytes that are no DNS message at all.
#include "dns/answer_parser.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "dns/error.hpp"

namespace p2psip::dns {
namespace {

// A response header (one question, no records) with `rcode`, then the
// question "example.test IN A".
std::vector<std::uint8_t> empty_response(std::uint8_t rcode) {
  std::vector<std::uint8_t> wire = {
      0x12, 0x34, 0x81, static_cast<std::uint8_t>(0x80 | rcode), 0, 1, 0, 0, 0, 0, 0, 0};
  for (const char c : std::string_view("\x07"
                                       "example\x04"
                                       "test"))
    wire.push_back(static_cast<std::uint8_t>(c));
  wire.insert(wire.end(), {0, 0, 1, 0, 1});
  return wire;
}

TEST(AnswerParser, ResponseCodesBecomeErrors) {
  const struct {
    std::uint8_t rcode;
    error expected;
  } cases[] = {{1, error::bad_response},
               {2, error::server_failure},
               {3, error::not_found},
               {4, error::bad_response},
               {5, error::refused}};
  for (const auto& c : cases) {
    const auto wire = empty_response(c.rcode);
    EXPECT_EQ(parse_answer(wire.data(), wire.size(), rr_type::a).error, c.expected)
        << "rcode " << int{c.rcode};
  }
}

TEST(AnswerParser, NoRecordsAndNoSoaIsNoDataWithoutATtl) {
  const auto wire = empty_response(0);
  const auto parsed = parse_answer(wire.data(), wire.size(), rr_type::srv);
  EXPECT_EQ(parsed.error, error::no_data);
  EXPECT_FALSE(parsed.result.ttl);
}

TEST(AnswerParser, BytesThatAreNoDnsMessageAreABadResponse) {
  const std::vector<std::uint8_t> garbage = {0x12, 0x34, 0x81, 0x80, 0, 9, 0, 9, 0, 9, 0, 9, 1};
  EXPECT_EQ(parse_answer(garbage.data(), garbage.size(), rr_type::a).error, error::bad_response);
  auto cut = empty_response(0);
  cut.resize(cut.size() - 3);
  EXPECT_EQ(parse_answer(cut.data(), cut.size(), rr_type::a).error, error::bad_response);
  EXPECT_EQ(parse_answer(nullptr, 0, rr_type::a).error, error::bad_response);
}

}  // namespace
}  // namespace p2psip::dns
