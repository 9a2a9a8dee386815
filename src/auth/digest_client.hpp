// The client's side of SIP digest (RFC 3261 §22.2, §22.3 with RFC 2617's
// qop=auth, and RFC 8760's SHA-256): the Authorization or
// Proxy-Authorization a UA inside the node answers a challenge with (the
// public registrations of node/public_registrations.hpp). Pure code: the
// caller draws the cnonce and counts the nonce's uses.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/digest.hpp"

namespace p2psip::auth {

// One WWW-Authenticate / Proxy-Authenticate value we can answer.
struct digest_challenge {
  std::string realm;
  std::string nonce;
  std::string opaque;  // empty when the server sent none
  algorithm algo = algorithm::md5;
  bool qop_auth = false;  // the server offers qop=auth (else RFC 2069's digest)
  bool stale = false;     // the password was right; only the nonce was old
};

// The challenge in `value`, or nullopt when it is not one we can answer:
// another scheme, an algorithm other than MD5 and SHA-256 (the -sess
// variants included), a qop list without "auth", no realm or nonce.
std::optional<digest_challenge> parse_challenge(std::string_view value);

// RFC 8760 §2.4: a server lists its challenges most preferred first, and
// the client answers the first it supports.
std::optional<digest_challenge> first_supported(const std::vector<std::string_view>& values);

struct digest_answer_input {
  std::string_view method;
  std::string_view uri;  // the Request-URI, as it is sent
  std::string_view username;
  std::string_view password;
  std::string_view cnonce;  // fresh for each answer; quoted-string safe
  std::uint32_t nc = 1;     // how many times this nonce was used, this one included
};

// The credentials value answering `c`: Digest username, realm, nonce, uri,
// response, algorithm, and with qop=auth cnonce, qop and nc; opaque when
// the challenge had one.
std::string answer(const digest_challenge& c, const digest_answer_input& in);

}  // namespace p2psip::auth
