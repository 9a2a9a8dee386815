// HTTP Basic authentication (RFC 7617): the user and password a client sends
// in `Authorization: Basic base64(user ":" password)`. Only ever accepted
// over TLS: the password travels as it is.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace p2psip::ops {

struct basic_credentials {
  std::string user;
  std::string password;
};

// The credentials of an Authorization field's value, or nothing when it is
// not Basic, not base64, or has no ':' (RFC 7617 §2: the user-id has none).
std::optional<basic_credentials> parse_basic(std::string_view authorization);

// Whether two secrets are equal, in a time that depends on `expected`'s
// length alone: where the first difference lies does not show.
bool same_secret(std::string_view given, std::string_view expected);

}  // namespace p2psip::ops
