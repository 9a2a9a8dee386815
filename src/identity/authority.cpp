#include "identity/authority.hpp"

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "identity/detail/openssl.hpp"
#include "identity/error.hpp"
#include "secrets/private_file.hpp"

namespace p2psip::identity {
namespace {

using std::chrono::system_clock;

constexpr auto clock_skew = std::chrono::minutes{5};
constexpr std::size_t max_common_name = 64;  // ub-common-name, RFC 5280
constexpr std::size_t max_aor = 256;
constexpr std::size_t max_node_id = 64;

validity_window from_now(std::chrono::hours validity) {
  const auto now = system_clock::now();
  return {now - clock_skew, now + validity};
}

bool is_host_name(std::string_view name) {
  if (name.empty() || name.size() > 253 || name.front() == '.' || name.back() == '.') return false;
  for (const char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (!std::isalnum(u) && c != '-' && c != '.') return false;
  }
  return name.find("..") == std::string_view::npos;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

// "sip:" user "@" overlay_id, all printable ASCII (SAN URIs are IA5Strings).
void check_aor(std::string_view aor, std::string_view overlay_id) {
  const auto fail = [&](const char* why) {
    throw std::invalid_argument("identity: AOR \"" + std::string(aor.substr(0, 100)) + "\" " + why);
  };
  if (aor.size() > max_aor) fail("is too long");
  for (const char c : aor)
    if (c <= 0x20 || c >= 0x7f) fail("contains a character outside printable ASCII");
  if (aor.substr(0, 4) != "sip:") fail("does not start with sip:");
  const auto at = aor.rfind('@');
  if (at == std::string_view::npos || at == 4) fail("has no user part");
  if (!iequals(aor.substr(at + 1), overlay_id))
    fail(("is not in the overlay's domain " + std::string(overlay_id)).c_str());
}

void check_node_id(std::string_view node_id) {
  bool ok = !node_id.empty() && node_id.size() <= max_node_id;
  for (const char c : node_id) {
    const auto u = static_cast<unsigned char>(c);
    ok = ok && (std::isalnum(u) || c == '.' || c == '_' || c == '-');
  }
  if (!ok)
    throw std::invalid_argument("identity: node id \"" + std::string(node_id.substr(0, 100)) +
                                "\" must be 1..64 characters of [A-Za-z0-9._-]");
}

// The CN is informational (the SAN carries the names that count) and bounded
// at 64 bytes: longer names are cut at a UTF-8 character boundary.
std::string common_name_of(std::string_view name) {
  if (name.size() <= max_common_name) return std::string(name);
  std::size_t cut = max_common_name - 3;
  while (cut > 0 && (static_cast<unsigned char>(name[cut]) & 0xC0) == 0x80) --cut;
  return std::string(name.substr(0, cut)) + "...";
}

void set_common_name(X509_NAME* name, std::string_view cn) {
  if (cn.empty()) return;
  const auto text = common_name_of(cn);
  if (X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(text.data()),
                                 static_cast<int>(text.size()), -1, 0) != 1)
    detail::throw_openssl("X509_NAME_add_entry_by_NID(CN)");
}

struct names {
  std::string common_name;
  std::vector<std::string> uris, dns;
};

void add_general_name(GENERAL_NAMES* all, int type, const std::string& value) {
  detail::openssl_ptr<GENERAL_NAME, GENERAL_NAME_free> name{GENERAL_NAME_new()};
  detail::openssl_ptr<ASN1_IA5STRING, ASN1_IA5STRING_free> text{ASN1_IA5STRING_new()};
  if (!name || !text ||
      ASN1_STRING_set(text.get(), value.data(), static_cast<int>(value.size())) != 1)
    detail::throw_openssl("GENERAL_NAME");
  GENERAL_NAME_set0_value(name.get(), type, text.release());
  if (sk_GENERAL_NAME_push(all, name.get()) <= 0) detail::throw_openssl("sk_GENERAL_NAME_push");
  name.release();
}

void add_extension(X509* x, int nid, void* value, bool critical) {
  if (X509_add1_ext_i2d(x, nid, value, critical ? 1 : 0, X509V3_ADD_DEFAULT) != 1)
    detail::throw_openssl("X509_add1_ext_i2d");
}

// Leaf certificates travel inside every overlay record, so they carry only
// what a reader checks: no basicConstraints (RFC 5280 4.2.1.9 lets an end
// entity omit it) and an empty subject with the names in a critical
// subjectAltName (RFC 5280 4.1.2.6).
void add_extensions(X509* x, const names& n, bool ca) {
  if (ca) {
    detail::basic_constraints_ptr constraints{BASIC_CONSTRAINTS_new()};
    if (!constraints) detail::throw_openssl("BASIC_CONSTRAINTS_new");
    constraints->ca = 0xFF;
    add_extension(x, NID_basic_constraints, constraints.get(), true);
  }

  detail::asn1_bit_string_ptr usage{ASN1_BIT_STRING_new()};
  if (!usage) detail::throw_openssl("ASN1_BIT_STRING_new");
  // KeyUsage bit numbers (RFC 5280 4.2.1.3).
  constexpr int digital_signature = 0, key_cert_sign = 5, crl_sign = 6;
  const bool bits_ok = ca ? ASN1_BIT_STRING_set_bit(usage.get(), key_cert_sign, 1) == 1 &&
                                ASN1_BIT_STRING_set_bit(usage.get(), crl_sign, 1) == 1
                          : ASN1_BIT_STRING_set_bit(usage.get(), digital_signature, 1) == 1;
  if (!bits_ok) detail::throw_openssl("ASN1_BIT_STRING_set_bit");
  add_extension(x, NID_key_usage, usage.get(), true);

  if (n.uris.empty() && n.dns.empty()) return;
  detail::general_names_ptr alt{sk_GENERAL_NAME_new_null()};
  if (!alt) detail::throw_openssl("sk_GENERAL_NAME_new_null");
  for (const auto& uri : n.uris) add_general_name(alt.get(), GEN_URI, uri);
  for (const auto& dns : n.dns) add_general_name(alt.get(), GEN_DNS, dns);
  add_extension(x, NID_subject_alt_name, alt.get(), n.common_name.empty());
}

void set_time(ASN1_TIME* field, system_clock::time_point t) {
  if (ASN1_TIME_set(field, system_clock::to_time_t(t)) == nullptr)
    detail::throw_openssl("ASN1_TIME_set");
}

// Builds and signs one certificate. `issuer` null means self-signed.
certificate make_certificate(EVP_PKEY* subject_key, const names& n, bool ca,
                             const validity_window& window, X509* issuer, EVP_PKEY* issuer_key) {
  detail::x509_ptr x{X509_new()};
  if (!x) detail::throw_openssl("X509_new");
  if (X509_set_version(x.get(), X509_VERSION_3) != 1) detail::throw_openssl("X509_set_version");

  // 16 random bytes, high bit clear (a positive INTEGER) and second-highest
  // set so the encoding is always exactly 16 bytes long.
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof serial) != 1) detail::throw_openssl("RAND_bytes");
  serial[0] = static_cast<unsigned char>((serial[0] & 0x7F) | 0x40);
  if (ASN1_STRING_set(X509_get_serialNumber(x.get()), serial, sizeof serial) != 1)
    detail::throw_openssl("serial number");

  if (!n.common_name.empty()) set_common_name(X509_get_subject_name(x.get()), n.common_name);
  const X509_NAME* issuer_name =
      issuer != nullptr ? X509_get_subject_name(issuer) : X509_get_subject_name(x.get());
  if (X509_set_issuer_name(x.get(), issuer_name) != 1) detail::throw_openssl("issuer name");
  set_time(X509_getm_notBefore(x.get()), window.not_before);
  set_time(X509_getm_notAfter(x.get()), window.not_after);
  if (X509_set_pubkey(x.get(), subject_key) != 1) detail::throw_openssl("X509_set_pubkey");
  add_extensions(x.get(), n, ca);

  // Ed25519 signs the message itself: no digest.
  if (X509_sign(x.get(), issuer_key, nullptr) <= 0) detail::throw_openssl("X509_sign");

  // Round-trip through DER so the certificate the CA hands out is exactly
  // the one a reader will parse.
  unsigned char* out = nullptr;
  const int size = i2d_X509(x.get(), &out);
  if (size <= 0) detail::throw_openssl("i2d_X509");
  const std::vector<std::uint8_t> der(out, out + size);
  OPENSSL_free(out);
  std::error_code ec;
  auto cert = certificate::from_der(der, ec);
  if (ec) throw std::logic_error("identity: a certificate just issued does not parse");
  return cert;
}

names user_names(const std::string& aor) {
  return {{}, {aor}, {}};
}

names node_names(const std::string& node_id, bool domain_authority, const std::string& overlay) {
  names n{{}, {node_uri(node_id)}, {}};
  if (domain_authority) n.dns.push_back(overlay);
  return n;
}

// A verified CSR's public key, or null with `ec` set.
detail::evp_pkey_ptr requested_key(std::string_view csr_pem, std::error_code& ec) {
  ec.clear();
  auto bio = detail::memory_bio(csr_pem);
  detail::x509_req_ptr req{PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr)};
  EVP_PKEY* key = req ? X509_REQ_get0_pubkey(req.get()) : nullptr;
  const bool ok = key != nullptr && EVP_PKEY_get_id(key) == EVP_PKEY_ED25519 &&
                  X509_REQ_verify(req.get(), key) == 1;
  ERR_clear_error();
  if (!ok) {
    ec = error::malformed_request;
    return nullptr;
  }
  EVP_PKEY_up_ref(key);
  return detail::evp_pkey_ptr{key};
}

std::optional<std::string> read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return text.str();
}

// Creates `path` (failing if it exists) with `mode` and writes `text`.
std::error_code write_new_file(const std::filesystem::path& path, std::string_view text,
                               mode_t mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0)
    return errno == EEXIST ? make_error_code(error::already_exists)
                           : make_error_code(error::io_failure);
  bool ok = ::fchmod(fd, mode) == 0;
  for (std::size_t done = 0; ok && done < text.size();) {
    const auto n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<std::size_t>(n);
  }
  ok = ::close(fd) == 0 && ok;
  if (!ok) {
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
    return error::io_failure;
  }
  return {};
}

}  // namespace

certificate_authority::certificate_authority(std::string overlay_id, private_key key,
                                             certificate cert)
    : overlay_id_(std::move(overlay_id)), key_(std::move(key)), cert_(std::move(cert)) {}

certificate_authority certificate_authority::create(const std::string& overlay_id,
                                                    std::chrono::hours validity) {
  if (!is_host_name(overlay_id))
    throw std::invalid_argument("identity: overlay id \"" + overlay_id.substr(0, 100) +
                                "\" is not a host name");
  auto key = private_key::generate_ed25519();
  const names n{overlay_id + " overlay CA", {}, {overlay_id}};
  auto cert = make_certificate(key.native(), n, true, from_now(validity), nullptr, key.native());
  return {overlay_id, std::move(key), std::move(cert)};
}

std::error_code certificate_authority::save(const std::filesystem::path& dir) const {
  std::error_code fs_ec;
  std::filesystem::create_directories(dir, fs_ec);
  if (fs_ec) return error::io_failure;
  const auto key_path = dir / "ca.key";
  const auto cert_path = dir / "ca.crt";
  if (std::filesystem::exists(key_path, fs_ec) || std::filesystem::exists(cert_path, fs_ec))
    return error::already_exists;
  if (auto ec = write_new_file(key_path, key_.to_pem(), 0600)) return ec;
  if (auto ec = write_new_file(cert_path, cert_.to_pem(), 0644)) {
    std::filesystem::remove(key_path, fs_ec);
    return ec;
  }
  return {};
}

certificate_authority certificate_authority::load(const std::filesystem::path& dir,
                                                  std::error_code& ec) {
  const certificate_authority none{{}, {}, {}};
  const auto key_file = secrets::read_private_file(dir / "ca.key");
  const auto cert_text = read_text(dir / "ca.crt");
  if (!key_file || !cert_text) {
    ec = key_file.exposed ? error::exposed_key : error::io_failure;
    return none;
  }
  auto key = private_key::from_pem(key_file.text, ec);
  if (ec) return none;
  auto cert = certificate::from_pem(*cert_text, ec);
  if (ec) return none;
  if (!cert.is_ca() || cert.dns_names().size() != 1 || !is_host_name(cert.dns_names().front())) {
    ec = error::malformed_certificate;
    return none;
  }
  if (X509_check_private_key(cert.native(), key.native()) != 1) {
    ERR_clear_error();
    ec = error::malformed_key;
    return none;
  }
  return {cert.dns_names().front(), std::move(key), std::move(cert)};
}

issued certificate_authority::issue_user(const std::string& aor,
                                         std::chrono::hours validity) const {
  return issue_user(aor, from_now(validity));
}

issued certificate_authority::issue_user(const std::string& aor, validity_window window) const {
  check_aor(aor, overlay_id_);
  auto key = private_key::generate_ed25519();
  auto cert =
      make_certificate(key.native(), user_names(aor), false, window, cert_.native(), key_.native());
  return {std::move(key), std::move(cert)};
}

issued certificate_authority::issue_node(const std::string& node_id, bool domain_authority,
                                         std::chrono::hours validity) const {
  return issue_node(node_id, domain_authority, from_now(validity));
}

issued certificate_authority::issue_node(const std::string& node_id, bool domain_authority,
                                         validity_window window) const {
  check_node_id(node_id);
  auto key = private_key::generate_ed25519();
  auto cert = make_certificate(key.native(), node_names(node_id, domain_authority, overlay_id_),
                               false, window, cert_.native(), key_.native());
  return {std::move(key), std::move(cert)};
}

certificate certificate_authority::issue_user_from_csr(std::string_view csr_pem,
                                                       const std::string& aor, std::error_code& ec,
                                                       std::chrono::hours validity) const {
  check_aor(aor, overlay_id_);
  auto key = requested_key(csr_pem, ec);
  if (ec) return {};
  return make_certificate(key.get(), user_names(aor), false, from_now(validity), cert_.native(),
                          key_.native());
}

certificate certificate_authority::issue_node_from_csr(std::string_view csr_pem,
                                                       const std::string& node_id,
                                                       bool domain_authority, std::error_code& ec,
                                                       std::chrono::hours validity) const {
  check_node_id(node_id);
  auto key = requested_key(csr_pem, ec);
  if (ec) return {};
  return make_certificate(key.get(), node_names(node_id, domain_authority, overlay_id_), false,
                          from_now(validity), cert_.native(), key_.native());
}

std::string make_request(const private_key& key, const std::string& common_name) {
  detail::x509_req_ptr req{X509_REQ_new()};
  if (!req) detail::throw_openssl("X509_REQ_new");
  if (X509_REQ_set_version(req.get(), X509_REQ_VERSION_1) != 1)
    detail::throw_openssl("X509_REQ_set_version");
  set_common_name(X509_REQ_get_subject_name(req.get()), common_name);
  if (X509_REQ_set_pubkey(req.get(), key.native()) != 1)
    detail::throw_openssl("X509_REQ_set_pubkey");
  if (X509_REQ_sign(req.get(), key.native(), nullptr) <= 0) detail::throw_openssl("X509_REQ_sign");
  auto bio = detail::memory_bio();
  if (PEM_write_bio_X509_REQ(bio.get(), req.get()) != 1)
    detail::throw_openssl("PEM_write_bio_X509_REQ");
  return detail::drain(bio.get());
}

}  // namespace p2psip::identity
