#include "identity/trust.hpp"

#include <openssl/err.h>

#include "identity/detail/openssl.hpp"
#include "identity/error.hpp"

namespace p2psip::identity {

trust_anchor::trust_anchor(certificate ca, std::size_t max_cached)
    : ca_(std::move(ca)), max_cached_(max_cached == 0 ? 1 : max_cached) {
  if (ca_.empty() || !ca_.is_ca()) return;  // trusts nothing
  detail::x509_store_ptr store{X509_STORE_new()};
  if (!store || X509_STORE_add_cert(store.get(), ca_.native()) != 1)
    detail::throw_openssl("X509_STORE");
  store_ = std::shared_ptr<X509_STORE>(store.release(), X509_STORE_free);
}

// The chain verdict does not depend on time: OpenSSL is told not to check
// validity periods, and verify() compares the cached dates with `now`. So one
// cache entry serves every later `now`.
std::error_code trust_anchor::verify_chain(const certificate& leaf) const {
  if (!store_) return error::untrusted_certificate;
  detail::x509_store_ctx_ptr ctx{X509_STORE_CTX_new()};
  if (!ctx || X509_STORE_CTX_init(ctx.get(), store_.get(), leaf.native(), nullptr) != 1)
    detail::throw_openssl("X509_STORE_CTX_init");
  X509_STORE_CTX_set_flags(ctx.get(), X509_V_FLAG_NO_CHECK_TIME);
  const bool chained = X509_verify_cert(ctx.get()) == 1;
  ERR_clear_error();
  if (!chained) return error::untrusted_certificate;
  // The anchor itself chains to itself; it (or any CA) must not sign records.
  if (leaf.is_ca()) return error::not_a_leaf;
  return {};
}

std::error_code trust_anchor::verify(const certificate& leaf,
                                     std::chrono::system_clock::time_point now) const {
  if (leaf.empty()) return error::malformed_certificate;
  auto it = cache_.find(leaf.fingerprint());
  if (it == cache_.end()) {
    if (cache_.size() >= max_cached_) cache_.clear();
    it = cache_
             .emplace(leaf.fingerprint(),
                      verdict{verify_chain(leaf), leaf.not_before(), leaf.not_after()})
             .first;
  }
  const verdict& v = it->second;
  if (v.chain) return v.chain;
  if (now < v.not_before || now > v.not_after) return error::certificate_expired;
  if (now < ca_.not_before() || now > ca_.not_after()) return error::certificate_expired;
  return {};
}

}  // namespace p2psip::identity
