// The enrollment authority's side of enrolled users (docs/identity.md): in
// the CA directory, beside ca.key,
//   users.key            the users key (identity/users_keyring.hpp), 0600
//   users/NAME.record    the last record made for each user, 0600: what
//                        `p2psip user push` sends again, and what a rotation
//                        of the users key seals anew
// A record is the DHT value nodes store under the user's key: made here,
// signed with ca.key, so no node can make or change one.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "identity/authority.hpp"
#include "identity/users_keyring.hpp"
#include "overlay/user_secrets.hpp"

namespace p2psip::cli {

struct enrollment_failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// 1..64 characters of [A-Za-z0-9._+-], not starting with '.': a SIP user
// part that is also a safe file name.
bool valid_user_name(std::string_view name);

// The CA directory's users key, created (epoch 1) when `create` and absent.
identity::users_keyring authority_keyring(const std::filesystem::path& ca_dir, bool create);

// What the authority knows of a user from the record it made last.
struct user_state {
  std::uint64_t sequence = 0;
  bool removed = false;
  std::int64_t expires_at = 0;
};
std::optional<user_state> last_record_state(const std::filesystem::path& ca_dir,
                                            const identity::certificate_authority& ca,
                                            const identity::users_keyring& keys,
                                            const std::string& name);

// Makes and keeps the record that enrolls `name` with `password` for `days`
// (or removes the user when `password` is nullopt); returns its bytes.
std::vector<std::uint8_t> make_user_record(const std::filesystem::path& ca_dir,
                                           const identity::certificate_authority& ca,
                                           const identity::users_keyring& keys,
                                           const std::string& name,
                                           const std::optional<std::string>& password,
                                           unsigned days);

// Makes and keeps a record for the enrolled `name` with the same secrets
// and expiry whose public links `change` edits (user link / unlink);
// returns its bytes.
using links = std::vector<overlay::public_link>;
std::vector<std::uint8_t> change_links(const std::filesystem::path& ca_dir,
                                       const identity::certificate_authority& ca,
                                       const identity::users_keyring& keys, const std::string& name,
                                       const std::function<void(links&)>& change);

// The record kept for `name`.
std::vector<std::uint8_t> kept_record(const std::filesystem::path& ca_dir, const std::string& name);
// Every user with a kept record, sorted.
std::vector<std::string> kept_users(const std::filesystem::path& ca_dir);

// Adds a new key to users.key and seals every kept record again under it
// (same secrets, same expiry, a newer sequence). Returns the users resealed.
std::vector<std::string> rotate_users_key(const std::filesystem::path& ca_dir,
                                          const identity::certificate_authority& ca);

}  // namespace p2psip::cli
