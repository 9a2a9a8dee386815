// What a user record seals (records.hpp, user_record): the AOR and its
// digest secrets for the overlay's realm, as HA1 = H(user:realm:password)
// for MD5 and SHA-256 (RFC 8760), never the password. An HA1 authenticates
// only in its realm, so a node that leaks one exposes no other service the
// user has, but within the overlay it is as good as the password: that is
// why it is sealed under the users key, which only enrolled nodes hold.
//
// The authority seals with the keyring's current key; the associated data
// names the AOR, so a box moved under another user's key does not open.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "identity/certificate.hpp"
#include "identity/keys.hpp"
#include "identity/users_keyring.hpp"
#include "overlay/records.hpp"

namespace p2psip::overlay {

// A public AOR the user keeps at a registrar outside the overlay, and the
// credentials that registrar asks for (interwork §4.2, §5.4): the node that
// serves the user's phone registers the overlay AOR as its contact there
// (node/public_registrations.hpp). The password itself is sealed, not an
// HA1: the realm is the public registrar's to name in its challenge.
struct public_link {
  std::string aor;         // "sip:alice@example.test"
  std::string username{};  // the digest user name at that registrar
  std::string password{};
  bool operator==(const public_link&) const = default;
};
inline constexpr std::size_t max_public_links = 8;

struct user_secrets {
  std::string aor;                   // canonical "sip:user@overlay"
  bool removed = false;              // revoked: the user is refused until enrolled again
  std::string ha1_md5{};             // lower-case hex, empty when removed
  std::string ha1_sha256{};          // lower-case hex, empty when removed
  std::vector<public_link> links{};  // at most max_public_links; none when removed
  bool operator==(const user_secrets&) const = default;
};

// The DHT value the enrollment authority gives nodes to store under the
// AOR's user key: a user_record sealed under `keys.current()` and signed by
// the CA's own key (`ca_key`, `ca_cert`).
std::vector<std::uint8_t> make_user_value(std::string_view overlay_id, const user_secrets& user,
                                          const identity::users_keyring& keys,
                                          std::uint64_t sequence, unix_seconds expires_at,
                                          const identity::private_key& ca_key,
                                          const identity::certificate& ca_cert);

enum class unsealing_failure : std::uint8_t {
  unknown_epoch,  // sealed under a key this keyring does not hold (rotated)
  bad_box,        // the box does not open: another key, another AOR, changed bytes
  malformed,      // it opened, but is not user secrets
  wrong_aor,      // it names another AOR than the key it was read under
};
std::string_view to_string(unsealing_failure f);

// Opens a user record read (and found valid) under `aor`'s user key.
std::variant<user_secrets, unsealing_failure> open_user_secrets(
    const user_record& stored, std::string_view aor, const identity::users_keyring& keys);

}  // namespace p2psip::overlay
