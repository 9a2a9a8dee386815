#include "sip/header_name.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <string>

namespace p2psip::sip {
namespace {

std::string with_case(std::string_view s, bool upper) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(upper ? std::toupper(c) : std::tolower(c));
  return out;
}

// Every id: canonical name -> id, in any case; compact form -> id; and the
// id writes back the same canonical name.
TEST(HeaderName, EveryNameRoundTrips) {
  for (std::size_t i = 1; i < header_id_count; ++i) {
    const auto id = static_cast<header_id>(i);
    const auto name = canonical_name(id);
    ASSERT_FALSE(name.empty());
    EXPECT_EQ(lookup_header(name), id) << name;
    EXPECT_EQ(lookup_header(with_case(name, true)), id) << name;
    EXPECT_EQ(lookup_header(with_case(name, false)), id) << name;
    if (const auto c = compact_form(id)) {
      const char lower[] = {*c, '\0'};
      const char upper[] = {static_cast<char>(std::toupper(*c)), '\0'};
      EXPECT_EQ(lookup_header(lower), id) << name;
      EXPECT_EQ(lookup_header(upper), id) << name;
    }
  }
}

TEST(HeaderName, CompactFormsOfRfc3261AndFriends) {
  const std::pair<char, header_id> expected[] = {
      {'v', header_id::via},
      {'f', header_id::from},
      {'t', header_id::to},
      {'i', header_id::call_id},
      {'m', header_id::contact},
      {'l', header_id::content_length},
      {'c', header_id::content_type},
      {'k', header_id::supported},
      {'s', header_id::subject},
      {'e', header_id::content_encoding},
      {'o', header_id::event},
      {'u', header_id::allow_events},
      {'r', header_id::refer_to},
      {'b', header_id::referred_by},
      {'x', header_id::session_expires},
      {'y', header_id::identity},
      {'a', header_id::accept_contact},
  };
  for (const auto& [c, id] : expected) {
    EXPECT_EQ(compact_form(id), c);
    EXPECT_EQ(lookup_header(std::string(1, c)), id) << c;
  }
}

TEST(HeaderName, UnknownNamesAreOther) {
  EXPECT_EQ(lookup_header("NewFangledHeader"), header_id::other);
  EXPECT_EQ(lookup_header("q"), header_id::other);
  EXPECT_EQ(lookup_header("Vias"), header_id::other);
  EXPECT_EQ(lookup_header(""), header_id::other);
  EXPECT_FALSE(compact_form(header_id::cseq).has_value());
}

TEST(HeaderName, CanonicalSpellings) {
  EXPECT_EQ(canonical_name(header_id::call_id), "Call-ID");
  EXPECT_EQ(canonical_name(header_id::cseq), "CSeq");
  EXPECT_EQ(canonical_name(header_id::www_authenticate), "WWW-Authenticate");
}

}  // namespace
}  // namespace p2psip::sip
