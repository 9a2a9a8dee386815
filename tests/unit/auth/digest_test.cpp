#include "auth/digest.hpp"

#include <gtest/gtest.h>

namespace p2psip::auth {
namespace {

using namespace std::chrono_literals;

// RFC 2617 §3.5: the MD5 example.
TEST(Digest, Rfc2617ExampleResponse) {
  const auto h = ha1(algorithm::md5, "Mufasa", "testrealm@host.com", "Circle Of Life");
  EXPECT_EQ(request_digest(algorithm::md5, h,
                           {"GET", "/dir/index.html", "dcd98b7102dd2f0e8b11d0f600bfb0c093",
                            "00000001", "0a4f113b", "auth"}),
            "6629fae49393a05397450978507c4ef1");
}

// RFC 7616 §3.9.1: the SHA-256 example (the same computation RFC 8760 brings to SIP).
TEST(Digest, Rfc7616Sha256ExampleResponse) {
  const auto h = ha1(algorithm::sha256, "Mufasa", "http-auth@example.org", "Circle of Life");
  EXPECT_EQ(
      request_digest(algorithm::sha256, h,
                     {"GET", "/dir/index.html", "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
                      "00000001", "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", "auth"}),
      "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
}

class Authenticator : public ::testing::Test {
 protected:
  void SetUp() override { users.add("alice", "wonderland"); }

  // What a phone does with a challenge: answer it for `method` and `uri`.
  std::string answer(const std::string& challenge, std::string_view user, std::string_view password,
                     std::string_view method = "REGISTER",
                     std::string_view uri = "sip:p2psip.test") {
    const auto c = sip::parse_credentials(challenge);
    EXPECT_TRUE(c);
    const auto alg = *algorithm_from(*c->param("algorithm"));
    const auto nonce = std::string(*c->param("nonce"));
    const auto response = request_digest(alg, ha1(alg, user, "p2psip.test", password),
                                         {method, uri, nonce, "00000001", "c0ffee", "auth"});
    return "Digest username=\"" + std::string(user) + "\", realm=\"p2psip.test\", nonce=\"" +
           nonce + "\", uri=\"" + std::string(uri) + "\", response=\"" + response +
           "\", algorithm=" + std::string(algorithm_name(alg)) +
           ", qop=auth, nc=00000001, cnonce=\"c0ffee\"";
  }

  authenticator::result verify(const std::string& value, authenticator::clock::time_point when) {
    return auth.verify("REGISTER", {value}, when);
  }

  user_file users;
  authenticator auth{{"p2psip.test", "node-secret", 300s, {algorithm::sha256, algorithm::md5}},
                     users};
  authenticator::clock::time_point now = authenticator::clock::time_point{} + 1'700'000'000s;
};

TEST_F(Authenticator, ChallengesOfferSha256ThenMd5) {
  const auto c = auth.challenges(now, false);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(sip::parse_credentials(c[0])->param("algorithm"), "SHA-256");
  EXPECT_EQ(sip::parse_credentials(c[1])->param("algorithm"), "MD5");
  EXPECT_EQ(sip::parse_credentials(c[0])->param("realm"), "p2psip.test");
  EXPECT_EQ(sip::parse_credentials(c[0])->param("qop"), "auth");
  EXPECT_FALSE(sip::parse_credentials(c[0])->param("stale"));
  EXPECT_EQ(sip::parse_credentials(auth.challenges(now, true)[0])->param("stale"), "true");
}

TEST_F(Authenticator, RightPasswordWithEitherAlgorithm) {
  for (const auto& challenge : auth.challenges(now, false)) {
    const auto r = verify(answer(challenge, "alice", "wonderland"), now + 10s);
    EXPECT_EQ(r.what, authenticator::outcome::ok) << challenge;
    EXPECT_EQ(r.user, "alice");
  }
}

TEST_F(Authenticator, WrongPasswordUnknownUserAndForgedNonce) {
  const auto challenge = auth.challenges(now, false)[0];
  EXPECT_EQ(verify(answer(challenge, "alice", "guess"), now).what, authenticator::outcome::wrong);
  EXPECT_EQ(verify(answer(challenge, "mallory", "wonderland"), now).what,
            authenticator::outcome::wrong);
  // A nonce from a node with another secret is not ours.
  authenticator other{{"p2psip.test", "other-secret", 300s, {algorithm::sha256}}, users};
  EXPECT_EQ(verify(answer(other.challenges(now, false)[0], "alice", "wonderland"), now).what,
            authenticator::outcome::wrong);
}

TEST_F(Authenticator, CredentialsForAnotherMethodDoNotVerify) {
  const auto value = answer(auth.challenges(now, false)[0], "alice", "wonderland", "INVITE");
  EXPECT_EQ(verify(value, now).what, authenticator::outcome::wrong);
}

TEST_F(Authenticator, ExpiredNonceIsStaleOnlyWithTheRightPassword) {
  const auto challenge = auth.challenges(now, false)[0];
  EXPECT_EQ(verify(answer(challenge, "alice", "wonderland"), now + 300s).what,
            authenticator::outcome::ok);
  EXPECT_EQ(verify(answer(challenge, "alice", "wonderland"), now + 301s).what,
            authenticator::outcome::stale);
  EXPECT_EQ(verify(answer(challenge, "alice", "guess"), now + 301s).what,
            authenticator::outcome::wrong);
}

TEST_F(Authenticator, MissingAndMalformedCredentials) {
  EXPECT_EQ(auth.verify("REGISTER", {}, now).what, authenticator::outcome::missing);
  // Credentials for another realm belong to another proxy on the path.
  EXPECT_EQ(verify("Digest username=\"alice\", realm=\"elsewhere\", nonce=\"1.x\", uri=\"sip:a\", "
                   "response=\"00\"",
                   now)
                .what,
            authenticator::outcome::missing);
  EXPECT_EQ(verify("Digest username=\"alice\", realm=\"p2psip.test\"", now).what,
            authenticator::outcome::malformed);
  EXPECT_EQ(verify("Digest realm=\"unterminated", now).what, authenticator::outcome::malformed);
}

TEST(UserFile, ParsesAndNamesTheBadLine) {
  const auto ok = user_file::parse("# users\nalice wonderland\n\nbob  builder # trailing\n");
  ASSERT_TRUE(std::holds_alternative<user_file>(ok));
  const auto& users = std::get<user_file>(ok);
  EXPECT_EQ(users.size(), 2u);
  EXPECT_EQ(users.password("bob"), "builder");
  EXPECT_FALSE(users.password("carol"));

  const auto bad = user_file::parse("alice wonderland\nbob\n");
  ASSERT_TRUE(std::holds_alternative<user_file::error>(bad));
  EXPECT_EQ(std::get<user_file::error>(bad).line, 2u);

  const auto twice = user_file::parse("alice a\nalice b\n");
  ASSERT_TRUE(std::holds_alternative<user_file::error>(twice));
  EXPECT_EQ(std::get<user_file::error>(twice).line, 2u);

  const auto bad_user = user_file::parse("al ice x\n");
  ASSERT_TRUE(std::holds_alternative<user_file::error>(bad_user));
}

}  // namespace
}  // namespace p2psip::auth
