// Random bytes for secrets (nonce keys, flow-token keys, passwords). When
// the generator fails, the operation that needed them fails: zeroed or
// guessable bytes never stand in for random ones.
#pragma once

#include <cstddef>
#include <span>
#include <stdexcept>
#include <string>

namespace p2psip::secrets {

struct random_failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Fills `out` from OpenSSL's generator; throws random_failure, naming
// `purpose` and OpenSSL's reason, when it cannot.
void fill_random(std::span<unsigned char> out, const std::string& purpose);

// `size` random bytes as a string (a key for HMAC).
std::string random_key(std::size_t size, const std::string& purpose);

// `size` random bytes as lower-case hex: identifiers SIP carries in text
// (branch, Call-ID, tags, cnonce).
std::string random_hex(std::size_t size, const std::string& purpose);

}  // namespace p2psip::secrets
