#include "identity/certificate.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <set>

#include "identity/authority.hpp"
#include "identity/error.hpp"
#include "identity/keys.hpp"

namespace p2psip::identity {
namespace {

TEST(Certificate, PemRoundTripKeepsDerAndFingerprint) {
  const auto ca = certificate_authority::create("p2psip.test");
  const auto user = ca.issue_user("sip:alice@p2psip.test");
  const auto pem = user.cert.to_pem();
  EXPECT_EQ(pem.rfind("-----BEGIN CERTIFICATE-----", 0), 0u);
  std::error_code ec;
  const auto back = certificate::from_pem(pem, ec);
  ASSERT_FALSE(ec);
  EXPECT_EQ(back.der(), user.cert.der());
  EXPECT_EQ(back.fingerprint(), user.cert.fingerprint());
  EXPECT_EQ(back.uri_names(), user.cert.uri_names());
  EXPECT_EQ(back.not_after(), user.cert.not_after());
}

TEST(Certificate, DerRoundTripAndFingerprintIsSha256OfDer) {
  const auto ca = certificate_authority::create("p2psip.test");
  const auto node = ca.issue_node("n1", true);
  std::error_code ec;
  const auto back = certificate::from_der(node.cert.der(), ec);
  ASSERT_FALSE(ec);
  EXPECT_EQ(back.der(), node.cert.der());
  EXPECT_EQ(back.dns_names(), std::vector<std::string>{"p2psip.test"});

  fingerprint expected{};
  unsigned int size = 0;
  ASSERT_EQ(X509_digest(back.native(), EVP_sha256(), expected.data(), &size), 1);
  EXPECT_EQ(size, 32u);
  EXPECT_EQ(back.fingerprint(), expected);
}

TEST(Certificate, MalformedDerIsRejected) {
  const auto ca = certificate_authority::create("p2psip.test");
  const auto der = ca.issue_user("sip:alice@p2psip.test").cert.der();
  std::error_code ec;

  EXPECT_TRUE(certificate::from_der({}, ec).empty());
  EXPECT_EQ(ec, error::malformed_certificate);

  const std::vector<std::uint8_t> garbage{0x30, 0x82, 0x01, 0x00, 0xde, 0xad, 0xbe, 0xef};
  EXPECT_TRUE(certificate::from_der(garbage, ec).empty());
  EXPECT_EQ(ec, error::malformed_certificate);

  for (std::size_t cut : {std::size_t{1}, std::size_t{10}, der.size() / 2, der.size() - 1}) {
    const std::vector<std::uint8_t> truncated(der.begin(), der.begin() + static_cast<long>(cut));
    EXPECT_TRUE(certificate::from_der(truncated, ec).empty()) << cut;
    EXPECT_EQ(ec, error::malformed_certificate) << cut;
  }

  auto trailing = der;
  trailing.push_back(0);
  EXPECT_TRUE(certificate::from_der(trailing, ec).empty());
  EXPECT_EQ(ec, error::malformed_certificate);

  // A success after a failure clears the error.
  EXPECT_FALSE(certificate::from_der(der, ec).empty());
  EXPECT_FALSE(ec);
}

TEST(Certificate, MalformedPemIsRejected) {
  std::error_code ec;
  EXPECT_TRUE(certificate::from_pem("", ec).empty());
  EXPECT_EQ(ec, error::malformed_certificate);
  EXPECT_TRUE(
      certificate::from_pem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", ec)
          .empty());
  EXPECT_EQ(ec, error::malformed_certificate);
  // A key is not a certificate.
  EXPECT_TRUE(certificate::from_pem(private_key::generate_ed25519().to_pem(), ec).empty());
  EXPECT_EQ(ec, error::malformed_certificate);
}

TEST(Certificate, EmptyCertificateHasNothing) {
  const certificate none;
  EXPECT_TRUE(none.empty());
  EXPECT_TRUE(none.der().empty());
  EXPECT_EQ(none.fingerprint(), fingerprint{});
  EXPECT_TRUE(none.uri_names().empty());
  EXPECT_TRUE(none.common_name().empty());
  EXPECT_FALSE(none.is_ca());
  EXPECT_EQ(none.native(), nullptr);
  EXPECT_TRUE(none.to_pem().empty());
}

TEST(Certificate, NodeUri) {
  EXPECT_EQ(node_uri("abc"), "urn:p2psip:node:abc");
}

TEST(PrivateKey, PemRoundTripKeepsTheKey) {
  const auto key = private_key::generate_ed25519();
  const auto pem = key.to_pem();
  EXPECT_EQ(pem.rfind("-----BEGIN PRIVATE KEY-----", 0), 0u);  // PKCS#8, unencrypted
  std::error_code ec;
  const auto back = private_key::from_pem(pem, ec);
  ASSERT_FALSE(ec);
  EXPECT_EQ(back.public_der(), key.public_der());
  EXPECT_EQ(key.public_der().size(), 44u);  // Ed25519 SubjectPublicKeyInfo
}

TEST(PrivateKey, RejectsWhatIsNotAnEd25519Key) {
  std::error_code ec;
  EXPECT_TRUE(private_key::from_pem("junk", ec).empty());
  EXPECT_EQ(ec, error::malformed_key);

  EVP_PKEY* ec_key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  ASSERT_NE(ec_key, nullptr);
  BIO* bio = BIO_new(BIO_s_mem());
  ASSERT_EQ(PEM_write_bio_PrivateKey(bio, ec_key, nullptr, nullptr, 0, nullptr, nullptr), 1);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  const std::string pem(data, static_cast<std::size_t>(size));
  BIO_free(bio);
  EVP_PKEY_free(ec_key);
  EXPECT_TRUE(private_key::from_pem(pem, ec).empty());
  EXPECT_EQ(ec, error::malformed_key);
}

TEST(Error, CategoryNamesEveryValue) {
  EXPECT_STREQ(identity_category().name(), "p2psip.identity");
  std::set<std::string> messages;
  for (int v = static_cast<int>(error::malformed_certificate);
       v <= static_cast<int>(error::already_exists); ++v) {
    const std::error_code ec = static_cast<error>(v);
    EXPECT_EQ(&ec.category(), &identity_category());
    EXPECT_FALSE(ec.message().empty());
    messages.insert(ec.message());
  }
  EXPECT_EQ(messages.size(), 9u);
}

}  // namespace
}  // namespace p2psip::identity
