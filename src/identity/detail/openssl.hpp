// RAII owners for the OpenSSL objects the identity layer uses, and the few
// conversions every file needs. Internal: not part of the public headers.
#pragma once

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

namespace p2psip::identity::detail {

template <auto Free>
struct openssl_deleter {
  template <class T>
  void operator()(T* p) const noexcept {
    Free(p);
  }
};

template <class T, auto Free>
using openssl_ptr = std::unique_ptr<T, openssl_deleter<Free>>;

using bio_ptr = openssl_ptr<BIO, BIO_free_all>;
using x509_ptr = openssl_ptr<X509, X509_free>;
using x509_req_ptr = openssl_ptr<X509_REQ, X509_REQ_free>;
using x509_store_ptr = openssl_ptr<X509_STORE, X509_STORE_free>;
using x509_store_ctx_ptr = openssl_ptr<X509_STORE_CTX, X509_STORE_CTX_free>;
using x509_name_ptr = openssl_ptr<X509_NAME, X509_NAME_free>;
using evp_pkey_ptr = openssl_ptr<EVP_PKEY, EVP_PKEY_free>;
using evp_md_ctx_ptr = openssl_ptr<EVP_MD_CTX, EVP_MD_CTX_free>;
using general_names_ptr = openssl_ptr<GENERAL_NAMES, GENERAL_NAMES_free>;
using basic_constraints_ptr = openssl_ptr<BASIC_CONSTRAINTS, BASIC_CONSTRAINTS_free>;
using asn1_bit_string_ptr = openssl_ptr<ASN1_BIT_STRING, ASN1_BIT_STRING_free>;
using asn1_integer_ptr = openssl_ptr<ASN1_INTEGER, ASN1_INTEGER_free>;
using bignum_ptr = openssl_ptr<BIGNUM, BN_free>;

// Allocation or RNG failure inside OpenSSL: nothing the caller can act on.
// Clears the thread's error queue so later calls start clean.
[[noreturn]] void throw_openssl(const char* operation);

// A read-only memory BIO over `text` (which must outlive the BIO).
bio_ptr memory_bio(std::string_view text);
bio_ptr memory_bio();
std::string drain(BIO* bio);

std::chrono::system_clock::time_point to_time_point(const ASN1_TIME* t);

}  // namespace p2psip::identity::detail
