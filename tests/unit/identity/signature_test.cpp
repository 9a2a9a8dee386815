#include <gtest/gtest.h>

#include "identity/authority.hpp"
#include "identity/certificate.hpp"
#include "identity/keys.hpp"
#include "test_support.hpp"

namespace p2psip::identity {
namespace {

class Signature : public ::testing::Test {
 protected:
  certificate_authority ca = certificate_authority::create("p2psip.test");
  issued alice = ca.issue_user("sip:alice@p2psip.test");
  std::vector<std::uint8_t> data = test::record(300);
};

TEST_F(Signature, VerifiesWithTheSignersCertificate) {
  const auto sig = alice.key.sign(data);
  EXPECT_EQ(sig.size(), 64u);
  EXPECT_TRUE(alice.cert.verify(data, sig));
  // Ed25519 is deterministic.
  EXPECT_EQ(alice.key.sign(data), sig);
  // The empty message is a message too.
  EXPECT_TRUE(alice.cert.verify({}, alice.key.sign({})));
}

TEST_F(Signature, AnyFlippedBitInTheSignatureFails) {
  const auto sig = alice.key.sign(data);
  for (std::size_t bit = 0; bit < sig.size() * 8; ++bit) {
    auto bad = sig;
    bad[bit / 8] = static_cast<std::uint8_t>(bad[bit / 8] ^ (1u << (bit % 8)));
    EXPECT_FALSE(alice.cert.verify(data, bad)) << "bit " << bit;
  }
}

TEST_F(Signature, AFlippedBitInTheDataFails) {
  const auto sig = alice.key.sign(data);
  for (std::size_t byte : {std::size_t{0}, std::size_t{1}, std::size_t{150}, data.size() - 1}) {
    for (unsigned bit : {0u, 7u}) {
      auto bad = data;
      bad[byte] = static_cast<std::uint8_t>(bad[byte] ^ (1u << bit));
      EXPECT_FALSE(alice.cert.verify(bad, sig)) << byte << ":" << bit;
    }
  }
  auto longer = data;
  longer.push_back(0);
  EXPECT_FALSE(alice.cert.verify(longer, sig));
}

TEST_F(Signature, AnotherKeysSignatureFails) {
  const auto bob = ca.issue_user("sip:bob@p2psip.test");
  EXPECT_FALSE(alice.cert.verify(data, bob.key.sign(data)));
  EXPECT_FALSE(alice.cert.verify(data, private_key::generate_ed25519().sign(data)));
}

TEST_F(Signature, TruncatedOrEmptySignaturesFail) {
  const auto sig = alice.key.sign(data);
  EXPECT_FALSE(alice.cert.verify(data, std::span(sig).first(63)));
  EXPECT_FALSE(alice.cert.verify(data, {}));
  auto longer = sig;
  longer.push_back(0);
  EXPECT_FALSE(alice.cert.verify(data, longer));
  EXPECT_FALSE(certificate{}.verify(data, sig));
  EXPECT_TRUE(private_key{}.sign(data).empty());
}

}  // namespace
}  // namespace p2psip::identity
