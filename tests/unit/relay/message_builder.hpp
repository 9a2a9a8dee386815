// STUN messages written by hand, attribute by attribute, for the tests:
// what our encoder never makes (responses, broken messages), and what a
// scripted server answers the probe.
#pragma once

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cstdint>
#include <string_view>
#include <vector>

#include "relay/stun_message.hpp"

namespace p2psip::relay {

using bytes = std::vector<std::uint8_t>;

// A message written by hand, attribute by attribute, to give the decoder
// what our encoder never makes: responses, and broken ones.
class message_builder {
 public:
  message_builder(std::uint16_t type,
                  const transaction_id& id = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}) {
    put16(type);
    put16(0);
    wire_.insert(wire_.end(), {0x21, 0x12, 0xa4, 0x42});
    wire_.insert(wire_.end(), id.begin(), id.end());
  }
  message_builder& attribute(std::uint16_t type, const bytes& value) {
    put16(type);
    put16(static_cast<std::uint16_t>(value.size()));
    wire_.insert(wire_.end(), value.begin(), value.end());
    while (wire_.size() % 4 != 0) wire_.push_back(0);
    return *this;
  }
  message_builder& text(std::uint16_t type, std::string_view t) {
    return attribute(type, bytes(t.begin(), t.end()));
  }
  // MESSAGE-INTEGRITY over what is there so far (RFC 8489 §14.5), made
  // with OpenSSL here rather than with the code under test.
  message_builder& integrity(std::string_view key) {
    auto covered = wire_;
    const auto length = covered.size() + 24 - stun_header_size;
    covered[2] = static_cast<std::uint8_t>(length >> 8);
    covered[3] = static_cast<std::uint8_t>(length);
    bytes mac(EVP_MAX_MD_SIZE);
    unsigned int size = 0;
    HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()), covered.data(), covered.size(),
         mac.data(), &size);
    mac.resize(size);
    return attribute(0x0008, mac);
  }
  bytes build() const {
    auto out = wire_;
    const auto length = out.size() - stun_header_size;
    out[2] = static_cast<std::uint8_t>(length >> 8);
    out[3] = static_cast<std::uint8_t>(length);
    return out;
  }

 private:
  void put16(std::uint16_t v) {
    wire_.push_back(static_cast<std::uint8_t>(v >> 8));
    wire_.push_back(static_cast<std::uint8_t>(v));
  }
  bytes wire_;
};

inline bytes error_code(unsigned cls, unsigned number, std::string_view reason) {
  // Built in one go: GCC 12 at -O3 takes an insert into the 4-byte vector
  // for a write past its end (-Warray-bounds, a false positive).
  bytes v(4 + reason.size());
  v[2] = static_cast<std::uint8_t>(cls);
  v[3] = static_cast<std::uint8_t>(number);
  std::copy(reason.begin(), reason.end(), v.begin() + 4);
  return v;
}

}  // namespace p2psip::relay
