#include "enrollment.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iterator>

#include "auth/digest.hpp"
#include "overlay/key.hpp"
#include "overlay/record_codec.hpp"
#include "overlay/record_content.hpp"
#include "overlay/user_secrets.hpp"
#include "secrets/private_file.hpp"

namespace p2psip::cli {
namespace {

namespace fs = std::filesystem;

// A record lives no longer than storers keep it (record_verifier lifetimes).
constexpr unsigned max_days = 390;

fs::path keyring_path(const fs::path& dir) {
  return dir / "users.key";
}
fs::path record_path(const fs::path& dir, const std::string& name) {
  return dir / "users" / (name + ".record");
}

std::string aor_of(const identity::certificate_authority& ca, const std::string& name) {
  return "sip:" + name + "@" + ca.overlay_id();
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Microseconds of wall clock, above the last sequence: a newer record wins
// at every storer and reader even when made within the same microsecond.
std::uint64_t next_sequence(std::uint64_t last) {
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  return std::max(last + 1, static_cast<std::uint64_t>(std::max<std::int64_t>(micros, 0)));
}

// Written beside with mode 0600, then renamed over the old one.
void write_private(const fs::path& path, const std::vector<std::uint8_t>& bytes) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  fs::permissions(path.parent_path(), fs::perms::owner_all, ec);
  fs::path temporary = path;
  temporary += ".new";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    throw enrollment_failure("cannot create " + temporary.string() + ": " + std::strerror(errno));
  bool ok = ::fchmod(fd, 0600) == 0 &&
            ::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size());
  ok = ::close(fd) == 0 && ok;
  if (!ok || std::rename(temporary.c_str(), path.c_str()) != 0)
    throw enrollment_failure("cannot write " + path.string() + ": " + std::strerror(errno));
}

overlay::user_secrets secrets_of(const identity::certificate_authority& ca, const std::string& name,
                                 const std::optional<std::string>& password) {
  overlay::user_secrets s{.aor = aor_of(ca, name), .removed = !password};
  if (password) {
    // The realm is the overlay: the one nodes challenge with.
    s.ha1_md5 = auth::ha1(auth::algorithm::md5, name, ca.overlay_id(), *password);
    s.ha1_sha256 = auth::ha1(auth::algorithm::sha256, name, ca.overlay_id(), *password);
  }
  return s;
}

// The kept record of `name` opened with the authority's own keys.
struct opened_record {
  std::uint64_t sequence = 0;
  overlay::user_record record;
  overlay::user_secrets secrets;
};
std::optional<opened_record> open_kept(const fs::path& dir,
                                       const identity::certificate_authority& ca,
                                       const identity::users_keyring& keys,
                                       const std::string& name) {
  const fs::path path = record_path(dir, name);
  if (!fs::exists(path)) return std::nullopt;
  const auto bytes = kept_record(dir, name);
  const std::string aor = aor_of(ca, name);
  const auto env = overlay::open(overlay::user_key(ca.overlay_id(), aor), bytes);
  const auto* record = env ? std::get_if<overlay::user_record>(&env->body) : nullptr;
  if (!record) throw enrollment_failure(path.string() + " is not a user record");
  auto opened = overlay::open_user_secrets(*record, aor, keys);
  if (auto* failure = std::get_if<overlay::unsealing_failure>(&opened))
    throw enrollment_failure(path.string() + ": " + std::string(overlay::to_string(*failure)));
  return opened_record{env->sequence, *record, std::get<overlay::user_secrets>(opened)};
}

}  // namespace

bool valid_user_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || name.front() == '.') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '+' || c == '-';
  });
}

identity::users_keyring authority_keyring(const fs::path& ca_dir, bool create) {
  const fs::path path = keyring_path(ca_dir);
  if (!fs::exists(path)) {
    if (!create) throw enrollment_failure(path.string() + " does not exist: enroll a user first");
    auto keys = identity::users_keyring::generate();
    if (const auto ec = keys.save(path))
      throw enrollment_failure("cannot create " + path.string() + ": " + ec.message());
    return keys;
  }
  auto loaded = identity::users_keyring::load(path);
  if (const auto* error = std::get_if<identity::users_keyring::error>(&loaded))
    throw enrollment_failure(error->line == 0 ? error->message
                                              : path.string() + ":" + std::to_string(error->line) +
                                                    ": " + error->message);
  return std::get<identity::users_keyring>(std::move(loaded));
}

std::optional<user_state> last_record_state(const fs::path& ca_dir,
                                            const identity::certificate_authority& ca,
                                            const identity::users_keyring& keys,
                                            const std::string& name) {
  const auto kept = open_kept(ca_dir, ca, keys, name);
  if (!kept) return std::nullopt;
  return user_state{kept->sequence, kept->secrets.removed, kept->record.expires_at};
}

std::vector<std::uint8_t> make_user_record(const fs::path& ca_dir,
                                           const identity::certificate_authority& ca,
                                           const identity::users_keyring& keys,
                                           const std::string& name,
                                           const std::optional<std::string>& password,
                                           unsigned days) {
  if (!valid_user_name(name))
    throw enrollment_failure("user \"" + name +
                             "\": expected 1 to 64 of A-Z a-z 0-9 . _ + -, not starting with '.'");
  if (days == 0 || days > max_days)
    throw enrollment_failure("a record lasts 1 to " + std::to_string(max_days) + " days");
  const auto last = open_kept(ca_dir, ca, keys, name);
  auto secrets = secrets_of(ca, name, password);
  // A new password keeps the user's public links; a removal drops them.
  if (last && password) secrets.links = last->secrets.links;
  const auto value = overlay::make_user_value(
      ca.overlay_id(), secrets, keys, next_sequence(last ? last->sequence : 0),
      unix_now() + std::int64_t{86400} * days, ca.key(), ca.cert());
  write_private(record_path(ca_dir, name), value);
  return value;
}

std::vector<std::uint8_t> change_links(const fs::path& ca_dir,
                                       const identity::certificate_authority& ca,
                                       const identity::users_keyring& keys, const std::string& name,
                                       const std::function<void(links&)>& change) {
  const auto last = open_kept(ca_dir, ca, keys, name);
  if (!last || last->secrets.removed)
    throw enrollment_failure("user \"" + name + "\" is not enrolled");
  auto secrets = last->secrets;
  change(secrets.links);
  if (secrets.links.size() > overlay::max_public_links)
    throw enrollment_failure("a user has at most " + std::to_string(overlay::max_public_links) +
                             " public AORs");
  const auto value =
      overlay::make_user_value(ca.overlay_id(), secrets, keys, next_sequence(last->sequence),
                               last->record.expires_at, ca.key(), ca.cert());
  // Nodes refuse a box above the bound: say so here, not at every node.
  const auto env = overlay::open(overlay::user_key(ca.overlay_id(), secrets.aor), value);
  if (!env || overlay::content_fault_of(env->body) != overlay::content_fault::none)
    throw enrollment_failure("the public AORs and their credentials are too long to seal");
  write_private(record_path(ca_dir, name), value);
  return value;
}

std::vector<std::uint8_t> kept_record(const fs::path& ca_dir, const std::string& name) {
  const fs::path path = record_path(ca_dir, name);
  secrets::private_text file = secrets::read_private_file(path);
  if (!file) throw enrollment_failure(file.error);
  return {file.text.begin(), file.text.end()};
}

std::vector<std::string> kept_users(const fs::path& ca_dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& file : fs::directory_iterator(ca_dir / "users", ec))
    if (file.path().extension() == ".record") names.push_back(file.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> rotate_users_key(const fs::path& ca_dir,
                                          const identity::certificate_authority& ca) {
  const auto old_keys = authority_keyring(ca_dir, false);
  const auto new_keys = old_keys.rotated();
  // Everything is opened before anything changes: a record that cannot be
  // read stops the rotation with the old key still current.
  std::vector<std::pair<std::string, opened_record>> kept;
  for (const auto& name : kept_users(ca_dir))
    kept.emplace_back(name, *open_kept(ca_dir, ca, old_keys, name));
  if (const auto ec = new_keys.save(keyring_path(ca_dir)))
    throw enrollment_failure("cannot write " + keyring_path(ca_dir).string() + ": " + ec.message());
  std::vector<std::string> names;
  for (const auto& [name, old] : kept) {
    write_private(record_path(ca_dir, name),
                  overlay::make_user_value(ca.overlay_id(), old.secrets, new_keys,
                                           next_sequence(old.sequence), old.record.expires_at,
                                           ca.key(), ca.cert()));
    names.push_back(name);
  }
  return names;
}

}  // namespace p2psip::cli
