// HTTP Basic credentials (RFC 7617) as Get Relay reads them, and the
// constant-time comparison of secrets.
#include "ops/basic_auth.hpp"

#include <gtest/gtest.h>

namespace p2psip::ops {
namespace {

// RFC 7617 §2's example: "Aladdin:open sesame".
TEST(ParseBasic, TheRfcExampleGivesUserAndPassword) {
  const auto c = parse_basic("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->user, "Aladdin");
  EXPECT_EQ(c->password, "open sesame");
}

TEST(ParseBasic, TheSchemeIsCaseInsensitiveAndSpacesAroundTheTokenAreSkipped) {
  for (const auto* value :
       {"basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", "BASIC QWxhZGRpbjpvcGVuIHNlc2FtZQ==",
        "Basic   QWxhZGRpbjpvcGVuIHNlc2FtZQ==  "}) {
    const auto c = parse_basic(value);
    ASSERT_TRUE(c) << value;
    EXPECT_EQ(c->user, "Aladdin") << value;
    EXPECT_EQ(c->password, "open sesame") << value;
  }
}

// The user-id has no ':'; the password may (RFC 7617 §2).
TEST(ParseBasic, TheFirstColonSplitsAndThePasswordKeepsTheRest) {
  const auto c = parse_basic("Basic YWxpY2U6YTpiOmM=");  // alice:a:b:c
  ASSERT_TRUE(c);
  EXPECT_EQ(c->user, "alice");
  EXPECT_EQ(c->password, "a:b:c");

  const auto empty = parse_basic("Basic YWxpY2U6");  // alice:
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->user, "alice");
  EXPECT_EQ(empty->password, "");
}

TEST(ParseBasic, PaddingIsNotPartOfTheCredentials) {
  // "bob:pw" is 6 bytes (no padding), "bob:pwd" 7 (two '='), "bob:pwdx" 8 (one).
  EXPECT_EQ(parse_basic("Basic Ym9iOnB3").value_or(basic_credentials{"", "(none)"}).password, "pw");
  EXPECT_EQ(parse_basic("Basic Ym9iOnB3ZA==").value_or(basic_credentials{"", "(none)"}).password,
            "pwd");
  EXPECT_EQ(parse_basic("Basic Ym9iOnB3ZHg=").value_or(basic_credentials{"", "(none)"}).password,
            "pwdx");
}

TEST(ParseBasic, OtherSchemesAndBrokenTokensGiveNothing) {
  EXPECT_FALSE(parse_basic(""));
  EXPECT_FALSE(parse_basic("Basic"));
  EXPECT_FALSE(parse_basic("Basic "));
  EXPECT_FALSE(parse_basic("Bearer QWxhZGRpbjpvcGVuIHNlc2FtZQ=="));
  EXPECT_FALSE(parse_basic("BasicQWxhZGRpbjpvcGVuIHNlc2FtZQ=="));
  EXPECT_FALSE(parse_basic("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ"));    // not a multiple of 4
  EXPECT_FALSE(parse_basic("Basic QWxhZGRp bjpvcGVuIHNlc2FtZQ="));  // a space inside
  EXPECT_FALSE(parse_basic("Basic QWxh*GRpbjpvcGVuIHNlc2FtZQ=="));  // not base64
  EXPECT_FALSE(parse_basic("Basic YWxpY2U="));                      // "alice": no colon
  EXPECT_FALSE(parse_basic("Basic OnB3"));                          // ":pw": no user
}

// '=' only pads the last quantum, at most twice (RFC 4648 §4). Anything
// else is not base64, and must not be decoded into something else.
TEST(ParseBasic, PaddingThatIsNotAtTheEndOrTooLongIsRefused) {
  EXPECT_FALSE(parse_basic("Basic ===="));
  EXPECT_FALSE(parse_basic("Basic ========"));
  EXPECT_FALSE(parse_basic("Basic YW===="));
  EXPECT_FALSE(parse_basic("Basic Ym9i=npw"));
  EXPECT_FALSE(parse_basic("Basic =m9iOnB3"));
}

TEST(SameSecret, EqualOnlyWhenEveryByteAndTheLengthAgree) {
  EXPECT_TRUE(same_secret("hunter2", "hunter2"));
  EXPECT_TRUE(same_secret("", ""));
  EXPECT_FALSE(same_secret("hunter3", "hunter2"));
  EXPECT_FALSE(same_secret("Hunter2", "hunter2"));
  EXPECT_FALSE(same_secret("hunter", "hunter2"));    // a prefix
  EXPECT_FALSE(same_secret("hunter22", "hunter2"));  // longer
  EXPECT_FALSE(same_secret("", "hunter2"));
  EXPECT_FALSE(same_secret("hunter2", ""));
  // A NUL byte is a byte like any other, not an end.
  EXPECT_FALSE(same_secret(std::string_view("hunter2\0x", 9), "hunter2"));
  EXPECT_FALSE(same_secret(std::string_view("\0", 1), ""));
}

}  // namespace
}  // namespace p2psip::ops
