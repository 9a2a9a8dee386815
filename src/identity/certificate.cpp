#include "identity/certificate.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <limits>

#include "identity/detail/openssl.hpp"
#include "identity/error.hpp"

namespace p2psip::identity {

// Everything a reader asks of a certificate for each record is computed once
// here, when the certificate is parsed: DER, fingerprint, names, validity.
struct certificate::state {
  detail::x509_ptr x509;
  std::vector<std::uint8_t> der;
  identity::fingerprint fp{};
  std::vector<std::string> uris, dns;
  std::string common_name;
  bool is_ca = false;
  std::chrono::system_clock::time_point not_before, not_after;
};

std::string node_uri(std::string_view node_id) {
  return "urn:p2psip:node:" + std::string(node_id);
}

namespace {

std::string asn1_text(const ASN1_STRING* s) {
  if (s == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     static_cast<std::size_t>(ASN1_STRING_length(s)));
}

std::string read_common_name(X509* x) {
  const X509_NAME* name = X509_get_subject_name(x);
  const int index = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (index < 0) return {};
  const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
  unsigned char* utf8 = nullptr;
  const int size = ASN1_STRING_to_UTF8(&utf8, data);
  if (size < 0) return {};
  std::string text(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(size));
  OPENSSL_free(utf8);
  return text;
}

void read_alt_names(X509* x, std::vector<std::string>& uris, std::vector<std::string>& dns) {
  detail::general_names_ptr names{
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(x, NID_subject_alt_name, nullptr, nullptr))};
  if (!names) return;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type == GEN_URI) uris.push_back(asn1_text(name->d.uniformResourceIdentifier));
    if (name->type == GEN_DNS) dns.push_back(asn1_text(name->d.dNSName));
  }
}

}  // namespace

certificate certificate::from_der(std::span<const std::uint8_t> der, std::error_code& ec) {
  ec.clear();
  if (der.empty() || der.size() > static_cast<std::size_t>(std::numeric_limits<long>::max())) {
    ec = error::malformed_certificate;
    return {};
  }
  const unsigned char* p = der.data();
  detail::x509_ptr x509{d2i_X509(nullptr, &p, static_cast<long>(der.size()))};
  // Trailing bytes would let two different blobs share one certificate.
  if (!x509 || p != der.data() + der.size()) {
    ERR_clear_error();
    ec = error::malformed_certificate;
    return {};
  }
  auto s = std::make_shared<state>();
  // X509_check_ca also computes OpenSSL's cached extension flags; a
  // certificate whose extensions do not decode is marked invalid there.
  s->is_ca = X509_check_ca(x509.get()) != 0;
  if ((X509_get_extension_flags(x509.get()) & EXFLAG_INVALID) != 0) {
    ERR_clear_error();
    ec = error::malformed_certificate;
    return {};
  }
  s->der.assign(der.begin(), der.end());
  if (EVP_Digest(s->der.data(), s->der.size(), s->fp.data(), nullptr, EVP_sha256(), nullptr) != 1)
    detail::throw_openssl("EVP_Digest(SHA-256)");
  s->common_name = read_common_name(x509.get());
  read_alt_names(x509.get(), s->uris, s->dns);
  s->not_before = detail::to_time_point(X509_get0_notBefore(x509.get()));
  s->not_after = detail::to_time_point(X509_get0_notAfter(x509.get()));
  ERR_clear_error();
  s->x509 = std::move(x509);
  certificate result;
  result.state_ = std::move(s);
  return result;
}

certificate certificate::from_pem(std::string_view pem, std::error_code& ec) {
  ec.clear();
  auto bio = detail::memory_bio(pem);
  detail::x509_ptr x509{PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)};
  unsigned char* out = nullptr;
  const int size = x509 ? i2d_X509(x509.get(), &out) : -1;
  ERR_clear_error();
  if (size <= 0) {
    ec = error::malformed_certificate;
    return {};
  }
  const std::vector<std::uint8_t> der(out, out + size);
  OPENSSL_free(out);
  return from_der(der, ec);
}

const std::vector<std::uint8_t>& certificate::der() const {
  static const std::vector<std::uint8_t> none;
  return state_ ? state_->der : none;
}

std::string certificate::to_pem() const {
  if (!state_) return {};
  auto bio = detail::memory_bio();
  if (PEM_write_bio_X509(bio.get(), state_->x509.get()) != 1)
    detail::throw_openssl("PEM_write_bio_X509");
  return detail::drain(bio.get());
}

const identity::fingerprint& certificate::fingerprint() const {
  static const identity::fingerprint none{};
  return state_ ? state_->fp : none;
}

std::vector<std::string> certificate::uri_names() const {
  return state_ ? state_->uris : std::vector<std::string>{};
}

std::vector<std::string> certificate::dns_names() const {
  return state_ ? state_->dns : std::vector<std::string>{};
}

std::string certificate::common_name() const {
  return state_ ? state_->common_name : std::string{};
}

bool certificate::is_ca() const {
  return state_ && state_->is_ca;
}

std::chrono::system_clock::time_point certificate::not_before() const {
  return state_ ? state_->not_before : std::chrono::system_clock::time_point{};
}

std::chrono::system_clock::time_point certificate::not_after() const {
  return state_ ? state_->not_after : std::chrono::system_clock::time_point{};
}

bool certificate::verify(std::span<const std::uint8_t> data,
                         std::span<const std::uint8_t> signature) const {
  if (!state_) return false;
  EVP_PKEY* key = X509_get0_pubkey(state_->x509.get());
  // The overlay's scheme is Ed25519 only; refusing other key types keeps a
  // certificate from being used with an algorithm the reader did not expect.
  if (key == nullptr || EVP_PKEY_get_id(key) != EVP_PKEY_ED25519) {
    ERR_clear_error();
    return false;
  }
  detail::evp_md_ctx_ptr ctx{EVP_MD_CTX_new()};
  if (!ctx) detail::throw_openssl("EVP_MD_CTX_new");
  const bool ok = EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key) == 1 &&
                  EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), data.data(),
                                   data.size()) == 1;
  ERR_clear_error();
  return ok;
}

bool certificate::empty() const {
  return !state_;
}

X509* certificate::native() const {
  return state_ ? state_->x509.get() : nullptr;
}

}  // namespace p2psip::identity
