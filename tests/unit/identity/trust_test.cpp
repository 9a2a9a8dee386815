#include "identity/trust.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "identity/authority.hpp"
#include "identity/error.hpp"

namespace p2psip::identity {
namespace {

using namespace std::chrono_literals;
using clock = std::chrono::system_clock;

class Trust : public ::testing::Test {
 protected:
  certificate_authority ca = certificate_authority::create("p2psip.test");
  trust_anchor anchor{ca.cert()};
  clock::time_point now = clock::now();
};

TEST_F(Trust, CertificatesOfTheCaAreTrusted) {
  EXPECT_FALSE(anchor.verify(ca.issue_user("sip:alice@p2psip.test").cert, now));
  EXPECT_FALSE(anchor.verify(ca.issue_node("n1", false).cert, now));
  EXPECT_FALSE(anchor.verify(ca.issue_node("n2", true).cert, now));
}

TEST_F(Trust, CertificateOfAnotherCaIsUntrusted) {
  // Same overlay id, so the same issuer name: only the signature tells them apart.
  const auto impostor = certificate_authority::create("p2psip.test");
  EXPECT_EQ(anchor.verify(impostor.issue_user("sip:alice@p2psip.test").cert, now),
            error::untrusted_certificate);
  const auto elsewhere = certificate_authority::create("example.com");
  EXPECT_EQ(anchor.verify(elsewhere.issue_node("n1", true).cert, now),
            error::untrusted_certificate);
  // And that CA's own certificate is not ours either.
  EXPECT_EQ(anchor.verify(impostor.cert(), now), error::untrusted_certificate);
}

TEST_F(Trust, EditedCertificateIsUntrusted) {
  auto der = ca.issue_user("sip:alice@p2psip.test").cert.der();
  const std::string aor = "sip:alice@p2psip.test";
  // Rename the SAN alice -> alicf without re-signing.
  auto at = std::search(der.begin(), der.end(), aor.begin(), aor.end());
  int renamed = 0;
  for (; at != der.end(); at = std::search(at + 1, der.end(), aor.begin(), aor.end())) {
    at[8] = 'f';
    ++renamed;
  }
  ASSERT_EQ(renamed, 1);
  std::error_code ec;
  const auto edited = certificate::from_der(der, ec);
  ASSERT_FALSE(ec);
  ASSERT_EQ(edited.uri_names(), std::vector<std::string>{"sip:alicf@p2psip.test"});
  EXPECT_EQ(anchor.verify(edited, now), error::untrusted_certificate);
}

TEST_F(Trust, ExpiredAndNotYetValidCertificates) {
  // (The CA itself is valid from five minutes before `now`.)
  const auto expired =
      ca.issue_user("sip:alice@p2psip.test", validity_window{now - 4min, now - 2min});
  EXPECT_EQ(anchor.verify(expired.cert, now), error::certificate_expired);
  // The chain verdict is cached without time: the same entry answers for an
  // instant inside the window.
  EXPECT_FALSE(anchor.verify(expired.cert, now - 3min));
  EXPECT_EQ(anchor.verify(expired.cert, now - 4min - 1s), error::certificate_expired);
  EXPECT_EQ(anchor.cache_size(), 1u);

  const auto future = ca.issue_user("sip:alice@p2psip.test", validity_window{now + 1h, now + 48h});
  EXPECT_EQ(anchor.verify(future.cert, now), error::certificate_expired);
  EXPECT_FALSE(anchor.verify(future.cert, now + 2h));
  EXPECT_EQ(anchor.verify(future.cert, now + 49h), error::certificate_expired);
}

TEST_F(Trust, NothingIsTrustedOnceTheCaExpires) {
  const auto long_lived =
      ca.issue_user("sip:alice@p2psip.test", validity_window{now, now + 20 * 8760h});
  EXPECT_FALSE(anchor.verify(long_lived.cert, now + 8760h));
  EXPECT_EQ(anchor.verify(long_lived.cert, now + 11 * 8760h), error::certificate_expired);
}

TEST_F(Trust, CaCertificateIsNotALeaf) {
  EXPECT_EQ(anchor.verify(ca.cert(), now), error::not_a_leaf);
}

TEST_F(Trust, EmptyInputsAreNeverTrusted) {
  EXPECT_EQ(anchor.verify(certificate{}, now), error::malformed_certificate);
  const trust_anchor nothing{certificate{}};
  EXPECT_EQ(nothing.verify(ca.issue_user("sip:a@p2psip.test").cert, now),
            error::untrusted_certificate);
  // A leaf is no anchor.
  const trust_anchor leaf_anchor{ca.issue_node("n1", true).cert};
  EXPECT_EQ(leaf_anchor.verify(ca.issue_user("sip:a@p2psip.test").cert, now),
            error::untrusted_certificate);
}

TEST_F(Trust, VerdictsAreCachedByFingerprintAndBounded) {
  constexpr std::size_t bound = 8;
  const trust_anchor small{ca.cert(), bound};
  const auto alice = ca.issue_user("sip:alice@p2psip.test").cert;
  const auto impostor =
      certificate_authority::create("p2psip.test").issue_user("sip:a@p2psip.test");
  EXPECT_FALSE(small.verify(alice, now));
  EXPECT_FALSE(small.verify(alice, now));
  EXPECT_EQ(small.cache_size(), 1u);
  // Negative verdicts are cached too, and stay negative.
  EXPECT_EQ(small.verify(impostor.cert, now), error::untrusted_certificate);
  EXPECT_EQ(small.verify(impostor.cert, now), error::untrusted_certificate);
  EXPECT_EQ(small.cache_size(), 2u);

  for (std::size_t i = small.cache_size(); i < bound; ++i)
    ASSERT_FALSE(small.verify(ca.issue_node("n" + std::to_string(i), false).cert, now));
  EXPECT_EQ(small.cache_size(), bound);
  EXPECT_FALSE(small.verify(ca.issue_node("one-more", false).cert, now));
  EXPECT_EQ(small.cache_size(), 1u);
  // Cleared, not corrupted.
  EXPECT_FALSE(small.verify(alice, now));
  EXPECT_EQ(small.verify(impostor.cert, now), error::untrusted_certificate);
  EXPECT_EQ(small.cache_size(), 3u);
  EXPECT_EQ(trust_anchor::default_max_cached, 4096u);
}

}  // namespace
}  // namespace p2psip::identity
