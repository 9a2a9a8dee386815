// The STUN decoder (relay/stun_message) on arbitrary datagrams: what a
// TURN server, or anyone who can send to the probe's socket, hands a relay
// peer. The first byte picks the key MESSAGE-INTEGRITY is checked with
// (none, RFC 5769's short-term password, or §2.4's long-term key), so that
// the seeds' integrity verifies and mutations reach past it. Beyond not
// crashing or reading out of bounds:
// - decoding is a function of the bytes and the key;
// - a refused message carries nothing; an accepted one is a whole number
//   of four-byte words that frame_size agrees with;
// - what it hands on is within the RFC's bounds: ERROR-CODE 300..699,
//   REALM and NONCE at most 763 bytes, unknown attribute types listed once
//   each and comprehension-required;
// - integrity is checked exactly when there is a key to check it with.
// Seeds (corpus/stun_message): RFC 5769's four vectors, and a 401, a 438
// and an Allocate success laid out as coturn 4.6.1 answers, each behind its
// selector byte.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "relay/error.hpp"
#include "relay/stun_message.hpp"

namespace {

using namespace p2psip::relay;

void check(bool ok, int line = __builtin_LINE()) {
  if (ok) return;
  std::fprintf(stderr, "property at line %d does not hold\n", line);
  std::abort();
}

const std::string& key_for(std::uint8_t selector) {
  static const std::string none;
  static const std::string short_term = "VOkJxbRl1RmTxUk/WvJxBt";
  static const std::string long_term =
      long_term_key("\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83\x83\xe3\x82\xaf\xe3\x82\xb9",
                    "example.org", "TheMatrIX");
  switch (selector % 3) {
    case 1:
      return short_term;
    case 2:
      return long_term;
    default:
      return none;
  }
}

bool same(const decoded_message& a, const decoded_message& b) {
  const auto& x = a.message;
  const auto& y = b.message;
  return a.error == b.error && x.cls == y.cls && x.method == y.method && x.id == y.id &&
         x.error_code == y.error_code && x.error_reason == y.error_reason &&
         x.username == y.username && x.realm == y.realm && x.nonce == y.nonce &&
         x.mapped == y.mapped && x.relayed == y.relayed && x.lifetime == y.lifetime &&
         x.integrity_state == y.integrity_state && x.fingerprint == y.fingerprint &&
         x.unknown_required == y.unknown_required;
}

bool text_within(const std::optional<std::string>& s, std::size_t limit) {
  return !s || s->size() <= limit;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const auto& key = key_for(data[0]);
  const std::span<const std::uint8_t> wire(data + 1, size - 1);
  const auto d = decode(wire, key);
  check(same(d, decode(wire, key)));
  const auto& m = d.message;

  if (d.error) {
    check(d.error.category() == relay_category());
    check(!m.error_code && !m.realm && !m.nonce && !m.username && !m.mapped && !m.relayed &&
          !m.lifetime && m.unknown_required.empty() && m.integrity_state == integrity::absent);
    return 0;
  }
  check(wire.size() >= stun_header_size && wire.size() % 4 == 0);
  const auto frame = frame_size(wire);
  check(!frame.error && frame.size == wire.size());
  check(m.method <= 0x0FFF);
  check(!m.error_code || (*m.error_code >= 300 && *m.error_code <= 699));
  check(m.error_reason.size() <= 763);
  check(text_within(m.realm, 763) && text_within(m.nonce, 763) && text_within(m.username, 508));
  check(m.unknown_required.size() <= max_attributes);
  for (std::size_t i = 0; i < m.unknown_required.size(); ++i) {
    check(m.unknown_required[i] < 0x8000);
    for (std::size_t j = 0; j < i; ++j) check(m.unknown_required[i] != m.unknown_required[j]);
  }
  if (key.empty())
    check(m.integrity_state == integrity::absent || m.integrity_state == integrity::unchecked);
  else
    check(m.integrity_state != integrity::unchecked);
  // Without the key the same bytes decode to the same fields.
  if (!key.empty()) {
    const auto unkeyed = decode(wire);
    check(!unkeyed.error && unkeyed.message.realm == m.realm && unkeyed.message.id == m.id &&
          (unkeyed.message.integrity_state == integrity::absent) ==
              (m.integrity_state == integrity::absent));
  }
  return 0;
}
