// The users key: what seals the users' digest secrets in the overlay
// (docs/identity.md, "Enrolled users"). The enrollment authority creates it
// beside ca.key and gives it to every node it enrolls (issue-node copies it
// into the node's state); a DHT participant without it reads only
// ciphertext. Rotation adds a key with the next epoch: records say which
// epoch sealed them, so nodes holding both read old and new records while
// the authority seals everything again under the new one.
//
// The file, mode 0600, one key per line, newest (highest epoch) seals:
//   # comment
//   1 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <variant>
#include <vector>

#include "secrets/sealed_box.hpp"

namespace p2psip::identity {

class users_keyring {
 public:
  struct entry {
    std::uint32_t epoch = 0;
    secrets::box_key key{};
  };
  struct error {
    std::size_t line = 0;  // 0: the file itself (unreadable, exposed, empty)
    std::string message;
  };

  static std::variant<users_keyring, error> parse(std::string_view text);
  // Read only when private (mode & 077 == 0), as every secret file is.
  static std::variant<users_keyring, error> load(const std::filesystem::path& path);
  // A keyring of one new random key, epoch 1.
  static users_keyring generate();

  // The same keys plus a new random one with the next epoch, which then seals.
  users_keyring rotated() const;
  // Writes the file with mode 0600, replacing `path` atomically (rename).
  std::error_code save(const std::filesystem::path& path) const;
  std::string to_text() const;

  // The key new records are sealed with: the highest epoch.
  const entry& current() const { return keys_.back(); }
  // The key of `epoch`, null when this keyring does not hold it.
  const secrets::box_key* find(std::uint32_t epoch) const;
  const std::vector<entry>& keys() const { return keys_; }

 private:
  explicit users_keyring(std::vector<entry> keys) : keys_(std::move(keys)) {}
  std::vector<entry> keys_;  // ascending epochs, never empty
};

}  // namespace p2psip::identity
