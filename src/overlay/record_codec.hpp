// The signed envelope every overlay value is: a msgpack array
//
//   [ tbs: bin, signer certificate DER: bin, signature: bin ]
//   tbs = msgpack [ version = 1, kind, sequence, body fields... ]
//
// The signature covers the 20-byte key followed by tbs, so a record signed
// for one key is worthless under any other. tbs is kept as the exact bytes
// received, so verification never depends on re-encoding. A reader accepts
// bodies with more fields than it knows (a later version may append), never
// fewer, except where a field was appended later and its absence has a
// meaning: a service body has 9 fields, or 10 since gateway peers (their
// number patterns; absent: none).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "identity/certificate.hpp"
#include "identity/keys.hpp"
#include "overlay/dht.hpp"
#include "overlay/key.hpp"
#include "overlay/records.hpp"

namespace p2psip::overlay {

inline constexpr std::uint8_t record_version = 1;
// Larger values are refused before decoding: a binding is ~0.5 KiB.
inline constexpr std::size_t max_record_bytes = 4096;

struct envelope {
  record body;
  std::uint64_t sequence = 0;
  identity::certificate signer;
  std::vector<std::uint8_t> signature;
  std::vector<std::uint8_t> signed_bytes;  // key || tbs: what the signature covers
};

value_type type_of(const record& body);

// Parsed certificates by their DER bytes. Every value read carries its
// signer's certificate, the same few come back again and again, and parsing
// one costs OpenSSL 3 about as much as verifying a signature
// (docs/identity.md). Bounded: cleared when full.
class certificate_cache {
 public:
  explicit certificate_cache(std::size_t bound = 4096) : bound_(bound) {}
  identity::certificate get(std::span<const std::uint8_t> der, std::error_code& ec);

 private:
  std::size_t bound_;
  std::unordered_map<std::string, identity::certificate> by_der_;
};

// Encodes `body` for storage under `k` and signs it with `key`, whose
// certificate `cert` travels with it.
std::vector<std::uint8_t> seal(const key& k, const record& body, std::uint64_t sequence,
                               const identity::private_key& key, const identity::certificate& cert);

// Decodes a value read under `k`. nullopt when it is not a well-formed
// envelope of a version and kind we know, or its certificate does not parse.
// Checks nothing else: record_verifier does.
// `certificates`, when given, parses each distinct certificate once.
std::optional<envelope> open(const key& k, std::span<const std::uint8_t> data,
                             certificate_cache* certificates = nullptr);

}  // namespace p2psip::overlay
