#include "auth/digest_client.hpp"

#include <gtest/gtest.h>

#include "sip/headers.hpp"
#include "sip/uri.hpp"

namespace p2psip::auth {
namespace {

using namespace std::chrono_literals;

// RFC 2617 §3.5: the client's answer to the example challenge carries the
// example's response.
TEST(DigestClient, AnswersTheRfc2617Example) {
  const auto c = parse_challenge(
      "Digest realm=\"testrealm@host.com\", qop=\"auth,auth-int\", "
      "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"");
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->qop_auth);
  EXPECT_EQ(c->algo, algorithm::md5);
  const auto value = answer(*c, {.method = "GET",
                                 .uri = "/dir/index.html",
                                 .username = "Mufasa",
                                 .password = "Circle Of Life",
                                 .cnonce = "0a4f113b",
                                 .nc = 1});
  const auto parsed = sip::parse_credentials(value);
  ASSERT_TRUE(parsed) << value;
  EXPECT_EQ(parsed->param("response"), "6629fae49393a05397450978507c4ef1");
  EXPECT_EQ(parsed->param("nc"), "00000001");
  EXPECT_EQ(parsed->param("qop"), "auth");
  EXPECT_EQ(parsed->param("opaque"), "5ccc069c403ebaf9f0171e9517f40e41");
}

TEST(DigestClient, RefusesWhatItCannotAnswer) {
  EXPECT_FALSE(parse_challenge("Basic realm=\"x\""));
  EXPECT_FALSE(parse_challenge("Digest realm=\"x\", nonce=\"n\", algorithm=MD5-sess"));
  EXPECT_FALSE(parse_challenge("Digest realm=\"x\", nonce=\"n\", qop=\"auth-int\""));
  EXPECT_FALSE(parse_challenge("Digest realm=\"x\""));
  EXPECT_FALSE(parse_challenge("Digest nonce=\"n\""));
  const auto stale = parse_challenge("Digest realm=\"x\", nonce=\"n\", stale=TRUE");
  ASSERT_TRUE(stale);
  EXPECT_TRUE(stale->stale);
  EXPECT_FALSE(stale->qop_auth);
}

// RFC 8760 §2.4: the first challenge the client supports, in the server's order.
TEST(DigestClient, TakesTheFirstSupportedChallenge) {
  const auto c = first_supported({"Digest realm=\"x\", nonce=\"a\", algorithm=SHA-512-256",
                                  "Digest realm=\"x\", nonce=\"b\", algorithm=SHA-256",
                                  "Digest realm=\"x\", nonce=\"c\", algorithm=MD5"});
  ASSERT_TRUE(c);
  EXPECT_EQ(c->algo, algorithm::sha256);
  EXPECT_EQ(c->nonce, "b");
}

// Our own server side takes the client's answers, with either algorithm,
// and refuses one made with another password.
TEST(DigestClient, OurAuthenticatorAcceptsItsAnswers) {
  user_file users;
  users.add("alice", "wonderland");
  authenticator server({.realm = "p2psip.test", .secret = "k"}, users);
  const auto now = authenticator::clock::now();
  const auto uri = sip::parse_uri("sip:p2psip.test");
  ASSERT_TRUE(uri);
  std::uint32_t nc = 0;
  for (const auto& challenge : server.challenges(now, false)) {
    const auto c = parse_challenge(challenge);
    ASSERT_TRUE(c) << challenge;
    const auto good = answer(*c, {.method = "REGISTER",
                                  .uri = "sip:p2psip.test",
                                  .username = "alice",
                                  .password = "wonderland",
                                  .cnonce = "c0ffee",
                                  .nc = ++nc});
    EXPECT_EQ(server.verify("REGISTER", *uri, {good}, now).what, authenticator::outcome::ok)
        << good;
    const auto bad = answer(*c, {.method = "REGISTER",
                                 .uri = "sip:p2psip.test",
                                 .username = "alice",
                                 .password = "looking-glass",
                                 .cnonce = "c0ffee",
                                 .nc = ++nc});
    EXPECT_EQ(server.verify("REGISTER", *uri, {bad}, now).what, authenticator::outcome::wrong);
  }
}

}  // namespace
}  // namespace p2psip::auth
