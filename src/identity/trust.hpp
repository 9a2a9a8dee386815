// The trust anchor every node is configured with: the overlay CA's
// certificate. verify() answers "was this leaf issued by our CA and is it
// valid at `now`". Results are cached by fingerprint, because every record
// read from the overlay carries its signer's certificate and the same few
// certificates come back again and again.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <system_error>

#include "identity/certificate.hpp"

typedef struct x509_store_st X509_STORE;

namespace p2psip::identity {

// Not thread-safe: verify() updates the cache. Give each thread (or each
// event loop) its own anchor; copies share the CA and the X509_STORE.
class trust_anchor {
 public:
  static constexpr std::size_t default_max_cached = 4096;

  // The verdict cache is cleared when it would grow past `max_cached`
  // certificates.
  explicit trust_anchor(certificate ca, std::size_t max_cached = default_max_cached);

  // {} when `leaf` chains to the anchor, is not itself a CA and is within
  // its validity at `now`; otherwise untrusted_certificate, not_a_leaf or
  // certificate_expired.
  // An anchor whose CA is expired at `now` trusts nothing (certificate_expired).
  std::error_code verify(const certificate& leaf, std::chrono::system_clock::time_point now) const;

  const certificate& ca() const { return ca_; }
  std::size_t cache_size() const { return cache_.size(); }

 private:
  std::error_code verify_chain(const certificate& leaf) const;

  certificate ca_;
  std::size_t max_cached_;
  std::shared_ptr<X509_STORE> store_;  // holds ca_; only read after construction
  // fingerprint -> (verdict without time, notBefore, notAfter); bounded.
  struct verdict {
    std::error_code chain;
    std::chrono::system_clock::time_point not_before, not_after;
  };
  mutable std::map<fingerprint, verdict> cache_;
};

}  // namespace p2psip::identity
