#include "auth/digest.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

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

// What a phone puts in its answer to a challenge.
struct reply {
  std::string_view user = "alice";
  std::string_view password = "wonderland";
  std::string_view method = "REGISTER";
  std::string_view uri = "sip:p2psip.test";
  std::string_view nc = "00000001";  // empty: no qop, as an RFC 2069 client
};

class Authenticator : public ::testing::Test {
 protected:
  void SetUp() override { users.add("alice", "wonderland"); }

  // What a phone does with a challenge: answer it as `r` says.
  std::string answer(const std::string& challenge, const reply& r = {}) {
    const auto c = sip::parse_credentials(challenge);
    EXPECT_TRUE(c);
    const auto alg = *algorithm_from(*c->param("algorithm"));
    const auto nonce = std::string(*c->param("nonce"));
    const std::string_view qop = r.nc.empty() ? "" : "auth";
    const std::string_view cnonce = r.nc.empty() ? "" : "c0ffee";
    const auto response = request_digest(alg, ha1(alg, r.user, "p2psip.test", r.password),
                                         {r.method, r.uri, nonce, r.nc, cnonce, qop});
    std::string value = "Digest username=\"" + std::string(r.user) +
                        "\", realm=\"p2psip.test\", nonce=\"" + nonce + "\", uri=\"" +
                        std::string(r.uri) + "\", response=\"" + response +
                        "\", algorithm=" + std::string(algorithm_name(alg));
    if (!r.nc.empty()) value += ", qop=auth, nc=" + std::string(r.nc) + ", cnonce=\"c0ffee\"";
    return value;
  }
  std::string answer(const std::string& challenge, std::string_view user, std::string_view password,
                     std::string_view method = "REGISTER") {
    return answer(challenge, {.user = user, .password = password, .method = method});
  }

  authenticator::result verify(const std::string& value, authenticator::clock::time_point when,
                               std::string_view request_uri = "sip:p2psip.test") {
    return auth.verify("REGISTER", *sip::parse_uri(request_uri), {value}, when);
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
  // A fresh challenge for each: the two offers of one challenge share its nonce.
  for (std::size_t offer = 0; offer < 2; ++offer) {
    const auto challenge = auth.challenges(now, false)[offer];
    const auto r = verify(answer(challenge, "alice", "wonderland"), now + 10s);
    EXPECT_EQ(r.what, authenticator::outcome::ok) << challenge;
    EXPECT_EQ(r.user, "alice");
  }
}

TEST_F(Authenticator, WrongPasswordAndUnknownUser) {
  const auto challenge = auth.challenges(now, false)[0];
  EXPECT_EQ(verify(answer(challenge, "alice", "guess"), now).what, authenticator::outcome::wrong);
  EXPECT_EQ(verify(answer(challenge, "mallory", "wonderland"), now).what,
            authenticator::outcome::wrong);
}

TEST_F(Authenticator, NonceOfAnotherNodeOrAnEarlierRunIsStale) {
  // A nonce made with another key (this node before a restart, or the node
  // the phone registered with before) is not ours: with the right password
  // the phone gets a fresh challenge, not a 403 that would stop it.
  authenticator other{{"p2psip.test", "other-secret", 300s, {algorithm::sha256}}, users};
  const auto theirs = other.challenges(now, false)[0];
  EXPECT_EQ(verify(answer(theirs), now).what, authenticator::outcome::stale);
  EXPECT_EQ(verify(answer(theirs, "alice", "guess"), now).what, authenticator::outcome::wrong);
  EXPECT_EQ(verify(answer(theirs), now + 1s).what, authenticator::outcome::stale);
  EXPECT_EQ(verify(answer(auth.challenges(now, true)[0]), now + 1s).what,
            authenticator::outcome::ok);
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
  EXPECT_EQ(auth.verify("REGISTER", *sip::parse_uri("sip:p2psip.test"), {}, now).what,
            authenticator::outcome::missing);
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

TEST_F(Authenticator, DigestUriMustNameTheRequestUri) {
  const auto challenge = auth.challenges(now, false)[0];
  // Credentials made for one resource, replayed against another.
  EXPECT_EQ(verify(answer(challenge), now, "sip:other.test").what,
            authenticator::outcome::wrong_uri);
  EXPECT_EQ(verify(answer(challenge), now, "sip:alice@p2psip.test").what,
            authenticator::outcome::wrong_uri);
  EXPECT_EQ(verify(answer(challenge, {.uri = "not a uri"}), now).what,
            authenticator::outcome::wrong_uri);
  // Compared as URIs (RFC 3261 §19.1.4), not as text.
  EXPECT_EQ(verify(answer(challenge, {.uri = "sip:P2PSIP.test"}), now, "sip:p2psip.TEST").what,
            authenticator::outcome::ok);
}

TEST_F(Authenticator, ReplayOfTheSameAuthorizationIsRefused) {
  const auto value = answer(auth.challenges(now, false)[0]);
  EXPECT_EQ(verify(value, now + 1s).what, authenticator::outcome::ok);
  EXPECT_EQ(verify(value, now + 2s).what, authenticator::outcome::replayed);
  EXPECT_EQ(verify(value, now + 299s).what, authenticator::outcome::replayed);
}

TEST_F(Authenticator, IncreasingNonceCountsAreAccepted) {
  // baresip reuses a nonce on each refresh with nc one higher.
  const auto challenge = auth.challenges(now, false)[0];
  EXPECT_EQ(verify(answer(challenge, {.nc = "00000001"}), now).what, authenticator::outcome::ok);
  EXPECT_EQ(verify(answer(challenge, {.nc = "00000002"}), now + 60s).what,
            authenticator::outcome::ok);
  EXPECT_EQ(verify(answer(challenge, {.nc = "0000000a"}), now + 120s).what,
            authenticator::outcome::ok);
  EXPECT_EQ(verify(answer(challenge, {.nc = "00000009"}), now + 121s).what,
            authenticator::outcome::replayed);
  EXPECT_EQ(verify(answer(challenge, {.nc = "0000000A"}), now + 122s).what,
            authenticator::outcome::replayed);
  EXPECT_EQ(verify(answer(auth.challenges(now, false)[0], {.nc = "00000000"}), now).what,
            authenticator::outcome::replayed);
  EXPECT_EQ(verify(answer(challenge, {.nc = "b"}), now).what, authenticator::outcome::malformed);
}

TEST_F(Authenticator, NonceWithoutQopIsGoodOnce) {
  const auto challenge = auth.challenges(now, false)[0];
  const auto value = answer(challenge, {.nc = ""});
  EXPECT_EQ(verify(value, now).what, authenticator::outcome::ok);
  EXPECT_EQ(verify(value, now + 1s).what, authenticator::outcome::replayed);
  EXPECT_EQ(verify(answer(challenge, {.nc = "00000005"}), now + 1s).what,
            authenticator::outcome::replayed);
}

TEST_F(Authenticator, PhonesChallengedInTheSameSecondHaveTheirOwnNonces) {
  users.add("bob", "builder");
  const auto for_alice = auth.challenges(now, false)[0];
  const auto for_bob = auth.challenges(now, false)[0];
  EXPECT_NE(sip::parse_credentials(for_alice)->param("nonce"),
            sip::parse_credentials(for_bob)->param("nonce"));
  EXPECT_EQ(verify(answer(for_alice), now).what, authenticator::outcome::ok);
  EXPECT_EQ(verify(answer(for_bob, {.user = "bob", .password = "builder"}), now).what,
            authenticator::outcome::ok);
}

TEST_F(Authenticator, AReplayedNonceCountCostsOneFreshChallenge) {
  const auto first = answer(auth.challenges(now, false)[0]);
  ASSERT_EQ(verify(first, now).what, authenticator::outcome::ok);
  ASSERT_EQ(verify(first, now + 10s).what, authenticator::outcome::replayed);
  const auto again = auth.challenges(now + 10s, true)[0];
  EXPECT_EQ(sip::parse_credentials(again)->param("stale"), "true");
  EXPECT_EQ(verify(answer(again), now + 11s).what, authenticator::outcome::ok);
}

TEST_F(Authenticator, NonceCountsAreBounded) {
  authenticator small{{"p2psip.test", "node-secret", 300s, {algorithm::sha256}, 4}, users};
  const auto uri = *sip::parse_uri("sip:p2psip.test");
  std::vector<std::string> challenges;
  for (int i = 0; i < 10; ++i) {
    challenges.push_back(small.challenges(now, false)[0]);
    ASSERT_EQ(small.verify("REGISTER", uri, {answer(challenges.back())}, now).what,
              authenticator::outcome::ok);
    EXPECT_LE(small.tracked_nonces(), 4u);
  }
  // The oldest nonce left the table early: its next count is refused (a
  // stale challenge for the phone), never taken as a first use.
  EXPECT_EQ(small.verify("REGISTER", uri, {answer(challenges[0], {.nc = "00000002"})}, now).what,
            authenticator::outcome::replayed);
  EXPECT_EQ(small.verify("REGISTER", uri, {answer(challenges[9], {.nc = "00000002"})}, now).what,
            authenticator::outcome::ok);
}

TEST(NonceCounts, HoldAtMostTheirCapacityAndRefuseWhatLeftEarly) {
  nonce_counts counts(3, 300s);
  for (std::uint64_t serial = 0; serial < 5; ++serial) {
    EXPECT_TRUE(counts.use({serial, 1000}, 1, 1000));
    EXPECT_LE(counts.size(), 3u);
  }
  EXPECT_EQ(counts.size(), 3u);
  // Serials 0 and 1 left early: a use of them may be a replay, so it is refused.
  EXPECT_FALSE(counts.use({0, 1000}, 2, 1000));
  EXPECT_FALSE(counts.use({1, 1000}, 7, 1000));
  EXPECT_TRUE(counts.use({4, 1000}, 2, 1000));
  EXPECT_TRUE(counts.use({5, 1000}, 1, 1000));
}

TEST(NonceCounts, ExpiredNoncesLeave) {
  nonce_counts counts(100, 300s);
  for (std::uint64_t serial = 0; serial < 10; ++serial)
    EXPECT_TRUE(counts.use({serial, 1000 + static_cast<std::int64_t>(serial)}, 1, 1000));
  EXPECT_EQ(counts.size(), 10u);
  EXPECT_TRUE(counts.use({10, 1304}, 1, 1305));  // 1000..1004 are older than 300 s now
  EXPECT_EQ(counts.size(), 6u);
  EXPECT_TRUE(counts.use({11, 2000}, 1, 2000));
  EXPECT_EQ(counts.size(), 1u);
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

TEST(UserFile, LoadRefusesAFileOthersMayRead) {
  namespace fs = std::filesystem;
  std::string pattern = (fs::temp_directory_path() / "p2psip-users-XXXXXX").string();
  ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
  const fs::path dir = pattern;
  const auto path = (dir / "users").string();
  std::ofstream(path) << "alice wonderland\n";

  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                            fs::perms::others_read);
  const auto refused = user_file::load(path);
  ASSERT_TRUE(std::holds_alternative<user_file::error>(refused));
  const auto& error = std::get<user_file::error>(refused);
  EXPECT_EQ(error.line, 0u);
  EXPECT_EQ(error.message.rfind(path + ": group or others may access", 0), 0u) << error.message;
  EXPECT_NE(error.message.find("chmod 600 " + path), std::string::npos) << error.message;

  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);
  const auto loaded = user_file::load(path);
  ASSERT_TRUE(std::holds_alternative<user_file>(loaded));
  EXPECT_EQ(std::get<user_file>(loaded).password("alice"), "wonderland");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace p2psip::auth
