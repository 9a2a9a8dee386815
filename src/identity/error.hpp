// Why an identity operation failed: a certificate that does not chain to
// the overlay CA, a signature that does not verify, a file that is not PEM.
#pragma once

#include <system_error>

namespace p2psip::identity {

enum class error : int {
  malformed_certificate = 1,  // DER/PEM that OpenSSL cannot parse
  malformed_key,              // a key file or blob that is not a key we accept
  malformed_request,          // a CSR that does not parse or whose self-signature fails
  untrusted_certificate,      // does not chain to the trust anchor
  certificate_expired,        // outside notBefore..notAfter at the time checked
  not_a_leaf,                 // a CA certificate where a user or node one is needed
  bad_signature,              // signature does not verify with the certificate's key
  io_failure,                 // reading or writing a key or certificate file
  already_exists,             // `ca init` into a directory that holds a CA
  exposed_key,                // a private key file that group or others may access
};

const std::error_category& identity_category() noexcept;
std::error_code make_error_code(error e) noexcept;

}  // namespace p2psip::identity

template <>
struct std::is_error_code_enum<p2psip::identity::error> : std::true_type {};
