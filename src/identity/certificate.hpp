// An X.509 certificate issued by the overlay CA, immutable and cheap to
// copy. The names that matter to the overlay are in subjectAltName:
//   user:  URI  sip:alice@p2psip.test              (the AOR it may publish)
//   node:  URI  urn:p2psip:node:<node-id>          (the node record it may publish)
//          DNS  p2psip.test                        (only when the CA lets the node
//                                                   sign bindings for the whole domain)
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <system_error>
#include <vector>

typedef struct x509_st X509;

namespace p2psip::identity {

using fingerprint = std::array<std::uint8_t, 32>;  // SHA-256 of the DER

std::string node_uri(std::string_view node_id);  // "urn:p2psip:node:" + node_id

// An empty certificate (default-constructed, or returned with an error) has
// no names, an empty DER, an all-zero fingerprint and verifies nothing.
class certificate {
 public:
  static certificate from_der(std::span<const std::uint8_t> der, std::error_code& ec);
  // The first certificate of a PEM text.
  static certificate from_pem(std::string_view pem, std::error_code& ec);

  const std::vector<std::uint8_t>& der() const;
  std::string to_pem() const;
  const identity::fingerprint& fingerprint() const;

  std::vector<std::string> uri_names() const;  // SAN URIs
  std::vector<std::string> dns_names() const;  // SAN dNSNames
  std::string common_name() const;
  bool is_ca() const;
  std::chrono::system_clock::time_point not_before() const;
  std::chrono::system_clock::time_point not_after() const;

  // True when `signature` over `data` verifies with this certificate's key.
  // Says nothing about whom the certificate belongs to: see trust_anchor.
  bool verify(std::span<const std::uint8_t> data, std::span<const std::uint8_t> signature) const;

  bool empty() const;
  X509* native() const;

 private:
  struct state;
  std::shared_ptr<const state> state_;
};

}  // namespace p2psip::identity
