// A private key of a user, a node or the CA. Ed25519 by default: the
// signature travels inside every overlay record, and Ed25519 keeps it at
// 64 bytes and signing under 0.1 ms (docs/identity.md has the numbers).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <system_error>
#include <vector>

typedef struct evp_pkey_st EVP_PKEY;

namespace p2psip::identity {

class private_key {
 public:
  static private_key generate_ed25519();
  // PKCS#8 PEM, unencrypted. `ec` names the failure; the result is empty then.
  static private_key from_pem(std::string_view pem, std::error_code& ec);

  std::string to_pem() const;
  // SubjectPublicKeyInfo DER of the public half.
  std::vector<std::uint8_t> public_der() const;
  // Raw signature over `data` (Ed25519: 64 bytes).
  std::vector<std::uint8_t> sign(std::span<const std::uint8_t> data) const;

  bool empty() const { return !key_; }
  EVP_PKEY* native() const { return key_.get(); }

 private:
  std::shared_ptr<EVP_PKEY> key_;
};

}  // namespace p2psip::identity
