// Users the enrollment authority enrolled once, whom every node of the
// overlay can authenticate without a user file (docs/identity.md, "Enrolled
// users"). Their digest secrets live in the overlay as user records, signed
// by the CA and sealed under the users key; this node reads a user's record
// when a request names the user and it has not read it for `refresh`, so a
// password change or a removal is in force everywhere within that time (and
// one DHT lookup).
//
// It also holds the records it was given (the operations API's POST /users):
// kept in the state directory and put into the overlay again every
// `republish`, as the bindings of this node's phones are, so they outlive
// their storers. A record for a user replaces the one held only when newer.
//
// Everything runs on the io_context's thread.
#pragma once

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "auth/digest.hpp"
#include "identity/users_keyring.hpp"
#include "overlay/record_store.hpp"
#include "overlay/user_secrets.hpp"

namespace p2psip::node {

struct enrolled_users_settings {
  std::string overlay_id;               // the realm, and the domain of every AOR
  std::filesystem::path keyring_file;   // users.key: read again when a record's epoch is new
  std::filesystem::path held_dir;       // records this node was given
  std::chrono::seconds refresh{30};     // how long a user's record read is trusted
  std::chrono::seconds republish{300};  // how often held records are put again
  std::size_t max_cached = 100000;      // users whose secrets are kept in memory
};

struct enrolled_users_counters {
  std::uint64_t reads = 0;        // reads of a user's record (DHT lookups)
  std::uint64_t found = 0;        // a valid, current record was read
  std::uint64_t unknown = 0;      // none (or only a removal) was found
  std::uint64_t unreadable = 0;   // valid but would not open (users key, AOR)
  std::uint64_t read_errors = 0;  // the overlay did not answer
  std::uint64_t held = 0;         // records this node keeps and republishes
};

class enrolled_users final : public auth::credentials_store {
 public:
  // `local` (may be null): a user file whose users are answered first and
  // never looked up.
  enrolled_users(asio::io_context& io, overlay::record_store& records, identity::users_keyring keys,
                 enrolled_users_settings settings, const auth::credentials_store* local = nullptr);

  // Loads the held records and starts republishing them.
  void start();
  void stop();
  // Puts every held record into the overlay now.
  void republish();

  // auth::credentials_store: the HA1 last read for `user`, or the local file's.
  std::optional<std::string> ha1(std::string_view user, auth::algorithm a,
                                 std::string_view realm) const override;

  // The public links in `user`'s record as last read (user_secrets.hpp);
  // empty when none, or when the user is unknown or removed.
  std::vector<overlay::public_link> links(std::string_view user) const;

  // Whether ha1() may be trusted for `user` now (proxy::user_source::current).
  bool current(std::string_view user) const;
  // Reads `user`'s record; done() once, later (proxy::user_source::fetch).
  void fetch(std::string user, std::function<void()> done);

  // A record the enrollment authority made for `user` (its value bytes):
  // checked as a reader would, kept if newer than the one held, stored in the
  // overlay; done({}) once readers can find it. Errors: invalid_argument
  // (not a valid record for the user under this overlay's CA), or the
  // overlay's. The user's cached secrets are dropped, so this node reads
  // the new record at the next request.
  void accept(const std::string& user, std::vector<std::uint8_t> value,
              std::function<void(std::error_code)> done);

  // Told of each user whose record accept() took, once it was stored (or
  // failed to be): what follows the user's record reads it again.
  void on_accepted(std::function<void(const std::string& user)> listener) {
    accepted_ = std::move(listener);
  }

  const enrolled_users_counters& counters() const { return counters_; }
  const std::string& overlay_id() const { return settings_.overlay_id; }
  std::size_t cached() const { return cache_.size(); }

 private:
  struct entry {
    std::optional<overlay::user_secrets> secrets;  // nullopt: unknown or removed
    std::chrono::steady_clock::time_point read_at;
  };
  std::string aor_of(std::string_view user) const;
  void finish(const std::string& user, std::optional<entry> read);
  std::optional<overlay::user_secrets> unseal(const overlay::user_record& r,
                                              const std::string& aor);
  std::filesystem::path held_file(const std::string& aor) const;
  void load_held();
  void schedule_republish();

  asio::io_context& io_;
  overlay::record_store& records_;
  identity::users_keyring keys_;
  enrolled_users_settings settings_;
  const auth::credentials_store* local_;
  asio::steady_timer timer_;
  std::map<std::string, entry, std::less<>> cache_;
  // Reads under way, and who waits for each.
  std::map<std::string, std::vector<std::function<void()>>, std::less<>> pending_;
  // AOR -> the value bytes held for it and their sequence.
  struct held_record {
    std::vector<std::uint8_t> value;
    std::uint64_t sequence = 0;
  };
  std::map<std::string, held_record> held_;
  std::chrono::steady_clock::time_point keyring_read_at_{};
  enrolled_users_counters counters_;
  std::function<void(const std::string& user)> accepted_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace p2psip::node
