#include "node/enrolled_users.hpp"

#include <spdlog/spdlog.h>

#include <asio/post.hpp>
#include <fstream>
#include <iterator>

#include "overlay/key.hpp"

namespace p2psip::node {
namespace {

// Reads under way at once: each costs a DHT lookup, and the names come from
// requests anyone may send, so a flood of made-up user names must not turn
// into a flood of lookups. Past this a name is answered as unknown.
constexpr std::size_t max_pending_reads = 256;
// An AOR the CA certifies is at most this long (identity/authority.cpp).
constexpr std::size_t max_user_size = 200;
// A record sealed under a key we do not hold may mean the authority rotated
// it: users.key is read again, at most this often.
constexpr std::chrono::seconds keyring_reread{10};

std::optional<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Written beside, then renamed: a crash leaves the old record or the new one.
bool write_file(const std::filesystem::path& path, const std::string& bytes) {
  std::filesystem::path temporary = path;
  temporary += ".new";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()))) return false;
  }
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  return !ec;
}

}  // namespace

enrolled_users::enrolled_users(asio::io_context& io, overlay::record_store& records,
                               identity::users_keyring keys, enrolled_users_settings settings,
                               const auth::credentials_store* local)
    : io_(io),
      records_(records),
      keys_(std::move(keys)),
      settings_(std::move(settings)),
      local_(local),
      timer_(io),
      keyring_read_at_(std::chrono::steady_clock::now()) {}

void enrolled_users::start() {
  load_held();
  republish();
  schedule_republish();
}

void enrolled_users::stop() {
  timer_.cancel();
}

std::string enrolled_users::aor_of(std::string_view user) const {
  return "sip:" + std::string(user) + "@" + settings_.overlay_id;
}

std::optional<std::string> enrolled_users::ha1(std::string_view user, auth::algorithm a,
                                               std::string_view realm) const {
  if (local_ != nullptr)
    if (auto secret = local_->ha1(user, a, realm)) return secret;
  if (realm != settings_.overlay_id) return std::nullopt;
  const auto it = cache_.find(user);
  if (it == cache_.end() || !it->second.secrets) return std::nullopt;
  return a == auth::algorithm::md5 ? it->second.secrets->ha1_md5 : it->second.secrets->ha1_sha256;
}

std::vector<overlay::public_link> enrolled_users::links(std::string_view user) const {
  const auto it = cache_.find(user);
  if (it == cache_.end() || !it->second.secrets || it->second.secrets->removed) return {};
  return it->second.secrets->links;
}

bool enrolled_users::current(std::string_view user) const {
  if (local_ != nullptr && local_->ha1(user, auth::algorithm::md5, settings_.overlay_id))
    return true;
  if (user.size() > max_user_size) return true;  // never looked up: unknown
  const auto it = cache_.find(user);
  return it != cache_.end() &&
         std::chrono::steady_clock::now() - it->second.read_at < settings_.refresh;
}

void enrolled_users::fetch(std::string user, std::function<void()> done) {
  auto& waiting = pending_[user];
  waiting.push_back(std::move(done));
  if (waiting.size() > 1) return;  // a read of this user is already under way
  if (pending_.size() > max_pending_reads) {
    auto callbacks = std::move(waiting);
    pending_.erase(user);
    for (auto& callback : callbacks) asio::post(io_, std::move(callback));
    return;
  }
  ++counters_.reads;
  const std::string aor = aor_of(user);
  records_.lookup_user(
      aor, [this, alive = std::weak_ptr(alive_), user, aor](
               std::vector<overlay::checked<overlay::user_record>> found, std::error_code ec) {
        if (alive.expired()) return;
        const overlay::checked<overlay::user_record>* newest = nullptr;
        for (const auto& c : found)
          if (c.status == overlay::verdict::valid && (!newest || c.sequence > newest->sequence))
            newest = &c;
        if (!newest && ec) {
          // Not an answer: what was read before stays, and the next request
          // asks again.
          ++counters_.read_errors;
          spdlog::warn("enrolled users: reading {} from the overlay failed: {}", aor, ec.message());
          return finish(user, std::nullopt);
        }
        entry e{std::nullopt, std::chrono::steady_clock::now()};
        if (newest) e.secrets = unseal(*newest->body, aor);
        // A record handed to this node while the read was under way (or one
        // its storers lost) is newer than what was read: it wins.
        if (const auto held = held_.find(aor);
            held != held_.end() && (!newest || held->second.sequence > newest->sequence)) {
          const auto mine = records_.check_user(aor, held->second.value);
          if (mine.status == overlay::verdict::valid) e.secrets = unseal(*mine.body, aor);
        }
        if (e.secrets && e.secrets->removed) e.secrets.reset();
        ++(e.secrets ? counters_.found : counters_.unknown);
        finish(user, std::move(e));
      });
}

void enrolled_users::finish(const std::string& user, std::optional<entry> read) {
  if (read) {
    if (cache_.size() >= settings_.max_cached) {
      const auto now = std::chrono::steady_clock::now();
      std::erase_if(cache_,
                    [&](const auto& kv) { return now - kv.second.read_at >= settings_.refresh; });
      if (cache_.size() >= settings_.max_cached) cache_.clear();
    }
    cache_[user] = std::move(*read);
  }
  const auto it = pending_.find(user);
  if (it == pending_.end()) return;
  auto callbacks = std::move(it->second);
  pending_.erase(it);
  for (auto& callback : callbacks) callback();
}

std::optional<overlay::user_secrets> enrolled_users::unseal(const overlay::user_record& r,
                                                            const std::string& aor) {
  auto opened = overlay::open_user_secrets(r, aor, keys_);
  const auto now = std::chrono::steady_clock::now();
  if (std::holds_alternative<overlay::unsealing_failure>(opened) &&
      std::get<overlay::unsealing_failure>(opened) == overlay::unsealing_failure::unknown_epoch &&
      now - keyring_read_at_ >= keyring_reread) {
    keyring_read_at_ = now;
    auto loaded = identity::users_keyring::load(settings_.keyring_file);
    if (auto* keys = std::get_if<identity::users_keyring>(&loaded)) {
      keys_ = std::move(*keys);
      opened = overlay::open_user_secrets(r, aor, keys_);
    }
  }
  if (auto* failure = std::get_if<overlay::unsealing_failure>(&opened)) {
    ++counters_.unreadable;
    spdlog::warn("enrolled users: the record of {} (users key epoch {}) {}", aor, r.epoch,
                 overlay::to_string(*failure));
    return std::nullopt;
  }
  return std::get<overlay::user_secrets>(std::move(opened));
}

void enrolled_users::accept(const std::string& user, std::vector<std::uint8_t> value,
                            std::function<void(std::error_code)> done) {
  const std::string aor = aor_of(user);
  const auto checked = records_.check_user(aor, value);
  if (user.size() > max_user_size || checked.status != overlay::verdict::valid) {
    spdlog::warn("enrolled users: refused a record for {}: {}", aor,
                 overlay::to_string(checked.status));
    return asio::post(io_, [done] { done(std::make_error_code(std::errc::invalid_argument)); });
  }
  auto& held = held_[aor];
  if (checked.sequence < held.sequence)
    return asio::post(io_, [done] { done(std::make_error_code(std::errc::file_exists)); });
  if (!unseal(*checked.body, aor))
    spdlog::warn("enrolled users: {}'s record is kept and stored, but this node cannot open it",
                 aor);
  held = held_record{value, checked.sequence};
  counters_.held = held_.size();
  std::string bytes = aor + "\n";
  bytes.append(value.begin(), value.end());
  std::error_code ec;
  std::filesystem::create_directories(settings_.held_dir, ec);
  if (ec || !write_file(held_file(aor), bytes))
    spdlog::error("enrolled users: cannot keep {}'s record in {}", aor,
                  settings_.held_dir.string());
  cache_.erase(user);
  records_.store_user(aor, std::move(value),
                      [this, user, alive = std::weak_ptr<int>(alive_),
                       done = std::move(done)](std::error_code stored) {
                        if (!alive.expired() && accepted_) accepted_(user);
                        done(stored);
                      });
}

std::filesystem::path enrolled_users::held_file(const std::string& aor) const {
  return settings_.held_dir / (overlay::user_key(settings_.overlay_id, aor).hex() + ".user");
}

void enrolled_users::load_held() {
  std::error_code ec;
  for (const auto& file : std::filesystem::directory_iterator(settings_.held_dir, ec)) {
    if (file.path().extension() != ".user") continue;
    const auto bytes = read_file(file.path());
    const auto newline = bytes ? bytes->find('\n') : std::string::npos;
    if (newline == std::string::npos) continue;
    const std::string aor = bytes->substr(0, newline);
    std::vector<std::uint8_t> value(bytes->begin() + static_cast<std::ptrdiff_t>(newline) + 1,
                                    bytes->end());
    const auto checked = records_.check_user(aor, value);
    if (checked.status != overlay::verdict::valid) {
      spdlog::info("enrolled users: not republishing {} ({}): {}", aor, file.path().string(),
                   overlay::to_string(checked.status));
      continue;
    }
    held_[aor] = held_record{std::move(value), checked.sequence};
  }
  counters_.held = held_.size();
}

void enrolled_users::republish() {
  for (const auto& kept : held_)
    records_.store_user(kept.first, kept.second.value, [aor = kept.first](std::error_code ec) {
      if (ec) spdlog::debug("enrolled users: republishing {}: {}", aor, ec.message());
    });
}

void enrolled_users::schedule_republish() {
  timer_.expires_after(settings_.republish);
  timer_.async_wait([this](std::error_code ec) {
    if (ec) return;
    republish();
    schedule_republish();
  });
}

}  // namespace p2psip::node
