// The overlay CA (the enrollment authority of concepts 3.4.3): one key and
// one self-signed certificate per overlay, kept in a directory:
//   <dir>/ca.key  (PKCS#8 PEM, mode 0600)   <dir>/ca.crt  (PEM)
// It issues user certificates (SAN URI = the AOR) and node certificates
// (SAN URI = urn:p2psip:node:<id>, plus DNS = overlay id when the node may
// sign bindings for every AOR of the domain). Every node is configured with
// ca.crt as its trust anchor.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <system_error>

#include "identity/certificate.hpp"
#include "identity/keys.hpp"

namespace p2psip::identity {

// The period a certificate is valid for. The forms that take a duration
// start it a few minutes before now, so that a reader whose clock is slightly
// behind the CA's still accepts a certificate issued a moment ago.
struct validity_window {
  std::chrono::system_clock::time_point not_before, not_after;
};

struct issued {
  private_key key;  // empty when issued from a CSR (the requester keeps its key)
  certificate cert;
};

class certificate_authority {
 public:
  // A new CA for `overlay_id` (CN = "<overlay_id> overlay CA", SAN DNS =
  // overlay_id, from which load() recovers it), Ed25519. `overlay_id` must be
  // a host name (letters, digits, '-', '.'), else std::invalid_argument.
  static certificate_authority create(const std::string& overlay_id,
                                      std::chrono::hours validity = std::chrono::hours{24 * 3650});
  // Writes ca.key and ca.crt into `dir` (created if needed); refuses to
  // overwrite an existing CA (error::already_exists).
  std::error_code save(const std::filesystem::path& dir) const;
  // io_failure when a file is missing or unreadable, exposed_key when group
  // or others may access ca.key (chmod 600 fixes it), malformed_key or
  // malformed_certificate when its content is not a CA of ours (or the key
  // does not match the certificate).
  static certificate_authority load(const std::filesystem::path& dir, std::error_code& ec);

  const certificate& cert() const { return cert_; }
  // The CA's own key. Besides certificates it signs the records only the
  // enrollment authority may make: enrolled users' (overlay/user_secrets.hpp).
  const private_key& key() const { return key_; }
  const std::string& overlay_id() const { return overlay_id_; }

  // `aor` is "sip:user@<overlay_id>" (printable ASCII, at most 256 bytes); a
  // node id is 1..64 characters of [A-Za-z0-9._-]. Other names throw
  // std::invalid_argument: the CA only certifies names of its own domain.
  issued issue_user(const std::string& aor,
                    std::chrono::hours validity = std::chrono::hours{24 * 365}) const;
  issued issue_node(const std::string& node_id, bool domain_authority,
                    std::chrono::hours validity = std::chrono::hours{24 * 365}) const;
  // The same with explicit dates (tests issue expired and not-yet-valid
  // certificates with these).
  issued issue_user(const std::string& aor, validity_window window) const;
  issued issue_node(const std::string& node_id, bool domain_authority,
                    validity_window window) const;
  // From a PEM CSR: the CA decides the names, never the requester, so
  // whatever names the CSR asks for are ignored; its key is what is certified.
  // malformed_request when the CSR does not parse, its self-signature fails
  // or its key is not Ed25519.
  certificate issue_user_from_csr(std::string_view csr_pem, const std::string& aor,
                                  std::error_code& ec,
                                  std::chrono::hours validity = std::chrono::hours{24 * 365}) const;
  certificate issue_node_from_csr(std::string_view csr_pem, const std::string& node_id,
                                  bool domain_authority, std::error_code& ec,
                                  std::chrono::hours validity = std::chrono::hours{24 * 365}) const;

 private:
  certificate_authority(std::string overlay_id, private_key key, certificate cert);
  std::string overlay_id_;
  private_key key_;
  certificate cert_;
};

// A PEM CSR for `key` (no names needed: the CA assigns them; an empty
// `common_name` leaves the subject empty).
std::string make_request(const private_key& key, const std::string& common_name);

}  // namespace p2psip::identity
