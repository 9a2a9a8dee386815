// Issuance from a certificate request: the CA decides every name.
#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "identity/authority.hpp"
#include "identity/error.hpp"
#include "identity/trust.hpp"

namespace p2psip::identity {
namespace {

std::string pem_of(X509_REQ* req) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509_REQ(bio, req);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(size));
  BIO_free(bio);
  return pem;
}

// A request that asks for more than it may get: a CN and SAN of someone else
// and CA:TRUE. `digest` is null for Ed25519 keys.
std::string greedy_request(EVP_PKEY* key, const EVP_MD* digest = nullptr) {
  X509_REQ* req = X509_REQ_new();
  X509_REQ_set_version(req, X509_REQ_VERSION_1);
  X509_NAME_add_entry_by_NID(X509_REQ_get_subject_name(req), NID_commonName, MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("sip:root@p2psip.test"), -1, -1,
                             0);
  X509_REQ_set_pubkey(req, key);
  STACK_OF(X509_EXTENSION)* exts = sk_X509_EXTENSION_new_null();
  sk_X509_EXTENSION_push(exts, X509V3_EXT_conf_nid(nullptr, nullptr, NID_subject_alt_name,
                                                   "URI:sip:mallory@p2psip.test,DNS:p2psip.test"));
  sk_X509_EXTENSION_push(
      exts, X509V3_EXT_conf_nid(nullptr, nullptr, NID_basic_constraints, "critical,CA:TRUE"));
  X509_REQ_add_extensions(req, exts);
  sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
  X509_REQ_sign(req, key, digest);
  auto pem = pem_of(req);
  X509_REQ_free(req);
  return pem;
}

// The same request with one bit of its signature flipped.
std::string broken_signature(const std::string& pem) {
  BIO* in = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509_REQ* req = PEM_read_bio_X509_REQ(in, nullptr, nullptr, nullptr);
  BIO_free(in);
  unsigned char* der = nullptr;
  const int size = i2d_X509_REQ(req, &der);
  X509_REQ_free(req);
  der[size - 1] ^= 0x01;  // the last byte belongs to the signature BIT STRING
  const unsigned char* p = der;
  req = d2i_X509_REQ(nullptr, &p, size);
  OPENSSL_free(der);
  auto out = pem_of(req);
  X509_REQ_free(req);
  return out;
}

std::vector<std::uint8_t> spki_of(EVP_PKEY* key) {
  unsigned char* out = nullptr;
  const int size = i2d_PUBKEY(key, &out);
  std::vector<std::uint8_t> der(out, out + size);
  OPENSSL_free(out);
  return der;
}

class Csr : public ::testing::Test {
 protected:
  certificate_authority ca = certificate_authority::create("p2psip.test");
  trust_anchor anchor{ca.cert()};
  private_key requester = private_key::generate_ed25519();
};

TEST_F(Csr, UserCertificateGetsTheCasNamesAndTheRequestersKey) {
  std::error_code ec;
  const auto cert =
      ca.issue_user_from_csr(greedy_request(requester.native()), "sip:alice@p2psip.test", ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(cert.uri_names(), std::vector<std::string>{"sip:alice@p2psip.test"});
  EXPECT_TRUE(cert.dns_names().empty());
  EXPECT_TRUE(cert.common_name().empty());
  EXPECT_FALSE(cert.is_ca());
  EXPECT_EQ(spki_of(X509_get0_pubkey(cert.native())), requester.public_der());
  EXPECT_FALSE(anchor.verify(cert, std::chrono::system_clock::now()));
  // The requester's key signs for it.
  const std::vector<std::uint8_t> data{1, 2, 3};
  EXPECT_TRUE(cert.verify(data, requester.sign(data)));
}

TEST_F(Csr, NodeCertificateGetsDomainAuthorityOnlyWhenTheCaSaysSo) {
  std::error_code ec;
  const auto csr = greedy_request(requester.native());
  const auto plain = ca.issue_node_from_csr(csr, "n7", false, ec);
  ASSERT_FALSE(ec);
  EXPECT_EQ(plain.uri_names(), std::vector<std::string>{"urn:p2psip:node:n7"});
  EXPECT_TRUE(plain.dns_names().empty());  // the request's DNS name is ignored
  const auto authority = ca.issue_node_from_csr(csr, "n7", true, ec);
  ASSERT_FALSE(ec);
  EXPECT_EQ(authority.dns_names(), std::vector<std::string>{"p2psip.test"});
}

TEST_F(Csr, OurOwnRequestsWork) {
  std::error_code ec;
  for (const char* cn : {"", "alice"}) {
    const auto cert = ca.issue_user_from_csr(make_request(requester, cn), "sip:a@p2psip.test", ec);
    ASSERT_FALSE(ec) << cn;
    EXPECT_EQ(cert.uri_names(), std::vector<std::string>{"sip:a@p2psip.test"});
  }
}

TEST_F(Csr, BrokenSignatureIsRejected) {
  std::error_code ec;
  const auto good = make_request(requester, "alice");
  const auto bad = broken_signature(good);
  ASSERT_NE(bad, good);
  EXPECT_TRUE(ca.issue_user_from_csr(bad, "sip:alice@p2psip.test", ec).empty());
  EXPECT_EQ(ec, error::malformed_request);
  EXPECT_TRUE(ca.issue_node_from_csr(bad, "n1", true, ec).empty());
  EXPECT_EQ(ec, error::malformed_request);
}

TEST_F(Csr, GarbageAndOtherKeyTypesAreRejected) {
  std::error_code ec;
  EXPECT_TRUE(ca.issue_user_from_csr("not a request", "sip:a@p2psip.test", ec).empty());
  EXPECT_EQ(ec, error::malformed_request);
  EXPECT_TRUE(ca.issue_user_from_csr(ca.cert().to_pem(), "sip:a@p2psip.test", ec).empty());
  EXPECT_EQ(ec, error::malformed_request);

  EVP_PKEY* p256 = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  ASSERT_NE(p256, nullptr);
  const auto csr = greedy_request(p256, EVP_sha256());
  EVP_PKEY_free(p256);
  EXPECT_TRUE(ca.issue_user_from_csr(csr, "sip:a@p2psip.test", ec).empty());
  EXPECT_EQ(ec, error::malformed_request);
}

}  // namespace
}  // namespace p2psip::identity
