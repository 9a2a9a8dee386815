#include "identity/authority.hpp"

#include <gtest/gtest.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <stdexcept>

#include "identity/error.hpp"
#include "identity/trust.hpp"

namespace p2psip::identity {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

const std::string overlay = "p2psip.test";

std::vector<std::uint8_t> spki_of(const certificate& cert) {
  unsigned char* out = nullptr;
  const int size = i2d_PUBKEY(X509_get0_pubkey(cert.native()), &out);
  std::vector<std::uint8_t> der(out, out + (size > 0 ? size : 0));
  OPENSSL_free(out);
  return der;
}

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// A fresh directory under the system temp dir, removed at the end of the test.
class temp_dir {
 public:
  temp_dir() {
    std::string pattern = (fs::temp_directory_path() / "p2psip-identity-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

TEST(Authority, CaCertificateIsAnEd25519CaNamedAfterTheOverlay) {
  const auto ca = certificate_authority::create(overlay);
  const auto& cert = ca.cert();
  EXPECT_EQ(ca.overlay_id(), overlay);
  EXPECT_TRUE(cert.is_ca());
  EXPECT_EQ(cert.common_name(), "p2psip.test overlay CA");
  EXPECT_EQ(cert.dns_names(), std::vector<std::string>{overlay});
  EXPECT_TRUE(cert.uri_names().empty());
  EXPECT_EQ(X509_get_signature_nid(cert.native()), NID_ED25519);
  EXPECT_EQ(X509_get_version(cert.native()), X509_VERSION_3);
  EXPECT_EQ(X509_get_key_usage(cert.native()),
            static_cast<std::uint32_t>(KU_KEY_CERT_SIGN | KU_CRL_SIGN));
  const int bc = X509_get_ext_by_NID(cert.native(), NID_basic_constraints, -1);
  ASSERT_GE(bc, 0);
  EXPECT_EQ(X509_EXTENSION_get_critical(X509_get_ext(cert.native(), bc)), 1);
  // Self-signed.
  EXPECT_EQ(
      X509_NAME_cmp(X509_get_subject_name(cert.native()), X509_get_issuer_name(cert.native())), 0);
  std::printf("CA certificate DER: %zu bytes\n", cert.der().size());
  EXPECT_LT(cert.der().size(), 400u);
}

TEST(Authority, UserCertificateNamesOnlyTheAor) {
  const auto ca = certificate_authority::create(overlay);
  const auto user = ca.issue_user("sip:alice@p2psip.test");
  ASSERT_FALSE(user.key.empty());
  EXPECT_EQ(user.cert.uri_names(), std::vector<std::string>{"sip:alice@p2psip.test"});
  EXPECT_TRUE(user.cert.dns_names().empty());
  EXPECT_TRUE(user.cert.common_name().empty())
      << "the SAN carries the name; the subject stays empty";
  EXPECT_FALSE(user.cert.is_ca());
  EXPECT_EQ(X509_get_key_usage(user.cert.native()),
            static_cast<std::uint32_t>(KU_DIGITAL_SIGNATURE));
  EXPECT_EQ(X509_NAME_cmp(X509_get_issuer_name(user.cert.native()),
                          X509_get_subject_name(ca.cert().native())),
            0);
  EXPECT_EQ(X509_get_signature_nid(user.cert.native()), NID_ED25519);
  // The certificate certifies the key that came with it.
  EXPECT_EQ(spki_of(user.cert), user.key.public_der());
  // 16-byte positive serial.
  const ASN1_INTEGER* serial = X509_get0_serialNumber(user.cert.native());
  EXPECT_EQ(ASN1_STRING_length(serial), 16);
  std::printf("user certificate DER: %zu bytes\n", user.cert.der().size());
  EXPECT_LT(user.cert.der().size(), 400u);
}

TEST(Authority, NodeCertificateNamesTheNodeAndOnlyOptionallyTheDomain) {
  const auto ca = certificate_authority::create(overlay);
  const auto plain = ca.issue_node("0123456789abcdef0123456789abcdef01234567", false);
  EXPECT_EQ(plain.cert.uri_names(),
            std::vector<std::string>{"urn:p2psip:node:0123456789abcdef0123456789abcdef01234567"});
  EXPECT_TRUE(plain.cert.dns_names().empty());
  EXPECT_FALSE(plain.cert.is_ca());

  const auto authority = ca.issue_node("0123456789abcdef0123456789abcdef01234567", true);
  EXPECT_EQ(authority.cert.uri_names(), plain.cert.uri_names());
  EXPECT_EQ(authority.cert.dns_names(), std::vector<std::string>{overlay});
  EXPECT_FALSE(authority.cert.is_ca());
  std::printf("node certificate DER: %zu bytes, with domain authority: %zu bytes\n",
              plain.cert.der().size(), authority.cert.der().size());
  EXPECT_LT(authority.cert.der().size(), 400u);
}

TEST(Authority, EachCertificateGetsAFreshKeyAndSerial) {
  const auto ca = certificate_authority::create(overlay);
  std::set<std::vector<std::uint8_t>> keys;
  std::set<fingerprint> prints;
  for (int i = 0; i < 20; ++i) {
    const auto user = ca.issue_user("sip:alice@p2psip.test");
    keys.insert(user.key.public_der());
    prints.insert(user.cert.fingerprint());
  }
  EXPECT_EQ(keys.size(), 20u);
  EXPECT_EQ(prints.size(), 20u);
}

TEST(Authority, ValidityStartsJustBeforeNowAndLastsAsAsked) {
  const auto ca = certificate_authority::create(overlay);
  const auto before = std::chrono::system_clock::now();
  const auto user = ca.issue_user("sip:alice@p2psip.test", std::chrono::hours{48});
  const auto after = std::chrono::system_clock::now();
  EXPECT_LE(user.cert.not_before(), before);
  EXPECT_GE(user.cert.not_before(), before - 10min);
  EXPECT_GE(user.cert.not_after(), before + 48h - 1s);
  EXPECT_LE(user.cert.not_after(), after + 48h + 1s);
}

TEST(Authority, RefusesNamesOutsideItsDomain) {
  const auto ca = certificate_authority::create(overlay);
  for (const char* aor :
       {"sip:alice@example.com", "alice@p2psip.test", "sip:@p2psip.test", "sip:al ice@p2psip.test",
        "sip:alice@p2psip.test.evil", "", "sips:alice@p2psip.test", "sip:alice@sub.p2psip.test"})
    EXPECT_THROW((void)ca.issue_user(aor), std::invalid_argument) << aor;
  EXPECT_THROW((void)ca.issue_user("sip:" + std::string(300, 'a') + "@p2psip.test"),
               std::invalid_argument);
  // Host names compare without regard to case.
  EXPECT_NO_THROW((void)ca.issue_user("sip:alice@P2PSIP.test"));

  for (const char* id : {"", "a b", "node/1", "n\xC3\xA9"})
    EXPECT_THROW((void)ca.issue_node(id, false), std::invalid_argument) << id;
  EXPECT_THROW((void)ca.issue_node(std::string(65, 'a'), false), std::invalid_argument);
  EXPECT_NO_THROW((void)ca.issue_node(std::string(64, 'a'), false));

  for (const char* id : {"", "p2psip test", ".p2psip.test", "p2psip..test", "p2psip.test."})
    EXPECT_THROW((void)certificate_authority::create(id), std::invalid_argument) << id;
}

TEST(Authority, SaveThenLoadGivesTheSameCa) {
  const temp_dir dir;
  const auto ca = certificate_authority::create(overlay);
  ASSERT_FALSE(ca.save(dir.path() / "ca"));

  struct stat st {};
  ASSERT_EQ(::stat((dir.path() / "ca" / "ca.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_TRUE(fs::exists(dir.path() / "ca" / "ca.crt"));

  std::error_code ec;
  const auto loaded = certificate_authority::load(dir.path() / "ca", ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(loaded.overlay_id(), overlay);
  EXPECT_EQ(loaded.cert().fingerprint(), ca.cert().fingerprint());

  // The loaded key is the CA's key: what it issues chains to the original certificate.
  const trust_anchor anchor{ca.cert()};
  const auto user = loaded.issue_user("sip:bob@p2psip.test");
  EXPECT_FALSE(anchor.verify(user.cert, std::chrono::system_clock::now()));
}

TEST(Authority, SaveRefusesToOverwriteACa) {
  const temp_dir dir;
  const auto first = certificate_authority::create(overlay);
  ASSERT_FALSE(first.save(dir.path()));
  const auto key_before = read(dir.path() / "ca.key");
  const auto cert_before = read(dir.path() / "ca.crt");

  const auto second = certificate_authority::create(overlay);
  EXPECT_EQ(second.save(dir.path()), error::already_exists);
  EXPECT_EQ(read(dir.path() / "ca.key"), key_before);
  EXPECT_EQ(read(dir.path() / "ca.crt"), cert_before);

  // A lone ca.crt also counts as a CA.
  const temp_dir other;
  std::ofstream(other.path() / "ca.crt") << first.cert().to_pem();
  EXPECT_EQ(second.save(other.path()), error::already_exists);
  EXPECT_FALSE(fs::exists(other.path() / "ca.key"));
}

TEST(Authority, LoadNamesWhatIsWrong) {
  std::error_code ec;
  (void)certificate_authority::load("/nonexistent/p2psip/ca", ec);
  EXPECT_EQ(ec, error::io_failure);

  const temp_dir dir;
  const auto ca = certificate_authority::create(overlay);
  ASSERT_FALSE(ca.save(dir.path()));

  // Another CA's key with this certificate.
  const auto other = certificate_authority::create(overlay);
  const temp_dir other_dir;
  ASSERT_FALSE(other.save(other_dir.path()));
  fs::copy_file(other_dir.path() / "ca.key", dir.path() / "ca.key",
                fs::copy_options::overwrite_existing);
  (void)certificate_authority::load(dir.path(), ec);
  EXPECT_EQ(ec, error::malformed_key);

  std::ofstream(dir.path() / "ca.key") << "not a key";
  (void)certificate_authority::load(dir.path(), ec);
  EXPECT_EQ(ec, error::malformed_key);

  fs::copy_file(other_dir.path() / "ca.key", dir.path() / "ca.key",
                fs::copy_options::overwrite_existing);
  std::ofstream(dir.path() / "ca.crt") << "not a certificate";
  (void)certificate_authority::load(dir.path(), ec);
  EXPECT_EQ(ec, error::malformed_certificate);

  // A leaf where the CA certificate belongs.
  std::ofstream(dir.path() / "ca.crt") << other.issue_user("sip:a@p2psip.test").cert.to_pem();
  (void)certificate_authority::load(dir.path(), ec);
  EXPECT_EQ(ec, error::malformed_certificate);
}

TEST(Authority, LoadRefusesAKeyOthersMayRead) {
  const temp_dir dir;
  ASSERT_FALSE(certificate_authority::create(overlay).save(dir.path()));
  fs::permissions(dir.path() / "ca.key", fs::perms::group_read | fs::perms::others_read,
                  fs::perm_options::add);
  std::error_code ec;
  (void)certificate_authority::load(dir.path(), ec);
  EXPECT_EQ(ec, error::exposed_key);
  EXPECT_NE(ec.message().find("chmod 600"), std::string::npos);

  fs::permissions(dir.path() / "ca.key", fs::perms::owner_read | fs::perms::owner_write);
  (void)certificate_authority::load(dir.path(), ec);
  EXPECT_FALSE(ec) << ec.message();
}

}  // namespace
}  // namespace p2psip::identity
