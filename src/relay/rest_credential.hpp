// TURN REST credentials (draft-uberti-behave-turn-rest-00; coturn's
// use-auth-secret): a relay and whoever hands out credentials share one
// secret, and a credential is made from it without asking the relay.
//
//   username = <expiry, unix seconds> ":" <user>
//   password = base64(HMAC-SHA1(secret, username))
//
// The server recomputes the password from the username and refuses it
// once the expiry has passed, so a credential needs no revocation: a
// short ttl bounds what a leaked one is worth.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace p2psip::relay {

struct rest_credential {
  std::string username;
  std::string password;
  std::int64_t expires_at = 0;  // unix seconds, as in the username
};

rest_credential make_rest_credential(std::string_view secret, std::string_view user,
                                     std::int64_t now_unix, std::chrono::seconds ttl);

struct turn_secret {
  std::string secret;
  std::string error;  // one line naming the file and why it was refused; empty when read
  explicit operator bool() const { return error.empty(); }
};

// Reads coturn's static-auth-secret from a file that only its owner may
// access (secrets/private_file.hpp). One trailing line end is not part of
// the secret; an empty secret, or one of several lines, is refused.
turn_secret read_turn_secret(const std::filesystem::path& path);

}  // namespace p2psip::relay
