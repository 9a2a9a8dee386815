#include "identity/keys.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <stdexcept>

#include "identity/detail/openssl.hpp"
#include "identity/error.hpp"

namespace p2psip::identity {

private_key private_key::generate_ed25519() {
  detail::evp_pkey_ptr key{EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")};
  if (!key) detail::throw_openssl("Ed25519 key generation");
  private_key result;
  result.key_ = std::shared_ptr<EVP_PKEY>(key.release(), EVP_PKEY_free);
  return result;
}

private_key private_key::from_pem(std::string_view pem, std::error_code& ec) {
  ec.clear();
  auto bio = detail::memory_bio(pem);
  detail::evp_pkey_ptr key{PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr)};
  ERR_clear_error();
  // Only Ed25519: the overlay's signature scheme is fixed, so a key of any
  // other type is a configuration mistake, not an alternative.
  if (!key || EVP_PKEY_get_id(key.get()) != EVP_PKEY_ED25519) {
    ec = error::malformed_key;
    return {};
  }
  private_key result;
  result.key_ = std::shared_ptr<EVP_PKEY>(key.release(), EVP_PKEY_free);
  return result;
}

std::string private_key::to_pem() const {
  if (!key_) return {};
  auto bio = detail::memory_bio();
  if (PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
    detail::throw_openssl("PEM_write_bio_PrivateKey");
  return detail::drain(bio.get());
}

std::vector<std::uint8_t> private_key::public_der() const {
  if (!key_) return {};
  unsigned char* out = nullptr;
  const int size = i2d_PUBKEY(key_.get(), &out);
  if (size <= 0) detail::throw_openssl("i2d_PUBKEY");
  std::vector<std::uint8_t> der(out, out + size);
  OPENSSL_free(out);
  return der;
}

std::vector<std::uint8_t> private_key::sign(std::span<const std::uint8_t> data) const {
  if (!key_) return {};
  detail::evp_md_ctx_ptr ctx{EVP_MD_CTX_new()};
  if (!ctx) detail::throw_openssl("EVP_MD_CTX_new");
  // Ed25519 is one-shot and hashes internally: no digest is named.
  if (EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_.get()) != 1)
    detail::throw_openssl("EVP_DigestSignInit");
  std::size_t size = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &size, data.data(), data.size()) != 1)
    detail::throw_openssl("EVP_DigestSign (size)");
  std::vector<std::uint8_t> signature(size);
  if (EVP_DigestSign(ctx.get(), signature.data(), &size, data.data(), data.size()) != 1)
    detail::throw_openssl("EVP_DigestSign");
  signature.resize(size);
  return signature;
}

}  // namespace p2psip::identity
