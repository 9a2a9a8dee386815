#include "identity/users_keyring.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <sstream>

#include "secrets/private_file.hpp"
#include "secrets/random.hpp"

namespace p2psip::identity {
namespace {

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool parse_key(std::string_view hex, secrets::box_key& key) {
  if (hex.size() != 2 * key.size()) return false;
  for (std::size_t i = 0; i < key.size(); ++i) {
    const int hi = hex_digit(hex[2 * i]);
    const int lo = hex_digit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    key[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return true;
}

// "EPOCH HEX": the epoch a positive decimal number.
std::optional<users_keyring::entry> parse_line(std::string_view line) {
  const auto space = line.find_first_of(" \t");
  if (space == std::string_view::npos) return std::nullopt;
  users_keyring::entry e;
  const std::string_view epoch = line.substr(0, space);
  auto [end, ec] = std::from_chars(epoch.data(), epoch.data() + epoch.size(), e.epoch);
  if (ec != std::errc{} || end != epoch.data() + epoch.size() || e.epoch == 0) return std::nullopt;
  if (!parse_key(trimmed(line.substr(space)), e.key)) return std::nullopt;
  return e;
}

users_keyring::entry random_entry(std::uint32_t epoch) {
  users_keyring::entry e;
  e.epoch = epoch;
  secrets::fill_random(e.key, "the users key");
  return e;
}

}  // namespace

std::variant<users_keyring, users_keyring::error> users_keyring::parse(std::string_view text) {
  std::vector<entry> keys;
  std::size_t number = 0;
  while (!text.empty()) {
    const auto end = text.find('\n');
    std::string_view line = trimmed(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    ++number;
    if (line.empty() || line.front() == '#') continue;
    std::optional<entry> e = parse_line(line);
    if (!e) return error{number, "expected \"EPOCH KEY\": a number from 1 and 64 hex digits"};
    for (const entry& known : keys)
      if (known.epoch == e->epoch)
        return error{number, "epoch " + std::to_string(e->epoch) + " is given twice"};
    keys.push_back(*e);
  }
  if (keys.empty()) return error{0, "holds no key"};
  std::sort(keys.begin(), keys.end(),
            [](const entry& a, const entry& b) { return a.epoch < b.epoch; });
  return users_keyring{std::move(keys)};
}

std::variant<users_keyring, users_keyring::error> users_keyring::load(
    const std::filesystem::path& path) {
  secrets::private_text file = secrets::read_private_file(path);
  if (!file) return error{0, file.error};
  return parse(file.text);
}

users_keyring users_keyring::generate() {
  return users_keyring{{random_entry(1)}};
}

users_keyring users_keyring::rotated() const {
  std::vector<entry> keys = keys_;
  keys.push_back(random_entry(current().epoch + 1));
  return users_keyring{std::move(keys)};
}

std::string users_keyring::to_text() const {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out =
      "# p2psip users key: seals the users' digest secrets in the overlay.\n"
      "# Every enrolled node holds it; keep it as private as node.key.\n";
  for (const entry& e : keys_) {
    out += std::to_string(e.epoch) + ' ';
    for (std::uint8_t b : e.key) {
      out += digits[b >> 4];
      out += digits[b & 15];
    }
    out += '\n';
  }
  return out;
}

std::error_code users_keyring::save(const std::filesystem::path& path) const {
  std::filesystem::path temporary = path;
  temporary += ".new";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return {errno, std::generic_category()};
  const std::string text = to_text();
  // O_CREAT's mode is masked by the umask and ignored for a file left over
  // from an interrupted save; the key must be private either way.
  bool ok = ::fchmod(fd, 0600) == 0 &&
            ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
            ::fsync(fd) == 0;
  std::error_code ec = ok ? std::error_code{} : std::error_code{errno, std::generic_category()};
  ::close(fd);
  if (!ec && std::rename(temporary.c_str(), path.c_str()) != 0)
    ec = {errno, std::generic_category()};
  if (ec) {
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
  }
  return ec;
}

const secrets::box_key* users_keyring::find(std::uint32_t epoch) const {
  for (const entry& e : keys_)
    if (e.epoch == epoch) return &e.key;
  return nullptr;
}

}  // namespace p2psip::identity
