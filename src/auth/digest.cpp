#include "auth/digest.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <charconv>

#include "secrets/private_file.hpp"
#include "sip/charset.hpp"

namespace p2psip::auth {
namespace {

std::string to_hex(const unsigned char* data, std::size_t size) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(size * 2, '\0');
  for (std::size_t i = 0; i < size; ++i) {
    out[2 * i] = digits[data[i] >> 4];
    out[2 * i + 1] = digits[data[i] & 0xf];
  }
  return out;
}

const EVP_MD* evp(algorithm a) {
  return a == algorithm::md5 ? EVP_md5() : EVP_sha256();
}

std::string hmac_hex(std::string_view key, std::string_view text) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(text.data()), text.size(), mac.data(), &size);
  return to_hex(mac.data(), size);
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && sip::charset::is_wsp(s.front())) s.remove_prefix(1);
  while (!s.empty() && (sip::charset::is_wsp(s.back()) || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// A nonce: "<issue time, seconds, hex>" "." "<serial, hex>" "." "<HMAC prefix>".
constexpr std::size_t nonce_mac_chars = 32;

template <typename Integer>
std::string to_hex_number(Integer value) {
  std::array<char, 20> buf{};
  const auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), value, 16);
  return {buf.data(), end};
}

template <typename Integer>
std::optional<Integer> from_hex_number(std::string_view text) {
  Integer value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value, 16);
  if (text.empty() || ec != std::errc{} || ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

// nc-value = 8LHEX (RFC 2617 §3.2.2).
std::optional<std::uint32_t> nonce_count(std::string_view nc) {
  if (nc.size() != 8 || !std::all_of(nc.begin(), nc.end(), sip::charset::is_hex))
    return std::nullopt;
  return from_hex_number<std::uint32_t>(nc);
}

// RFC 2617 §3.2.2.5: the digest-uri must name the resource the request is
// for. Compared as URIs (RFC 3261 §19.1.4), so "sip:P2PSIP.test" is
// "sip:p2psip.test", but not as text to the letter.
bool names_request_uri(std::string_view digest_uri, const sip::uri& request_uri) {
  const auto given = sip::parse_uri(digest_uri);
  return given && sip::uri_equal(*given, request_uri);
}

}  // namespace

std::string_view algorithm_name(algorithm a) {
  return a == algorithm::md5 ? "MD5" : "SHA-256";
}

std::optional<algorithm> algorithm_from(std::string_view name) {
  if (sip::charset::iequals(name, "MD5")) return algorithm::md5;
  if (sip::charset::iequals(name, "SHA-256")) return algorithm::sha256;
  return std::nullopt;
}

std::string hash_hex(algorithm a, std::string_view text) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  EVP_Digest(text.data(), text.size(), digest.data(), &size, evp(a), nullptr);
  return to_hex(digest.data(), size);
}

std::string ha1(algorithm a, std::string_view user, std::string_view realm,
                std::string_view password) {
  std::string text;
  text.append(user).append(":").append(realm).append(":").append(password);
  return hash_hex(a, text);
}

std::string request_digest(algorithm a, std::string_view ha1_hex, const digest_input& in) {
  std::string a2;
  a2.append(in.method).append(":").append(in.uri);
  const auto ha2 = hash_hex(a, a2);
  std::string text;
  text.append(ha1_hex).append(":").append(in.nonce).append(":");
  if (!in.qop.empty())
    text.append(in.nc).append(":").append(in.cnonce).append(":").append(in.qop).append(":");
  text.append(ha2);
  return hash_hex(a, text);
}

authenticator::authenticator(settings s, const credentials_store& users)
    : settings_(std::move(s)),
      users_(users),
      counts_(settings_.tracked_nonces, settings_.nonce_lifetime) {}

std::string authenticator::make_nonce(nonce_counts::nonce_id id) const {
  const auto stamp = to_hex_number(id.issued) + "." + to_hex_number(id.serial);
  return stamp + "." +
         hmac_hex(settings_.secret, stamp + ":" + settings_.realm).substr(0, nonce_mac_chars);
}

std::optional<nonce_counts::nonce_id> authenticator::parse_nonce(std::string_view nonce) const {
  const auto first_dot = nonce.find('.');
  const auto last_dot = nonce.rfind('.');
  if (first_dot == std::string_view::npos || first_dot == last_dot) return std::nullopt;
  const auto issued = from_hex_number<std::int64_t>(nonce.substr(0, first_dot));
  const auto serial =
      from_hex_number<std::uint64_t>(nonce.substr(first_dot + 1, last_dot - first_dot - 1));
  if (!issued || !serial) return std::nullopt;
  const nonce_counts::nonce_id id{*serial, *issued};
  if (!constant_time_equal(make_nonce(id), nonce)) return std::nullopt;
  return id;
}

std::vector<std::string> authenticator::challenges(clock::time_point now, bool stale) {
  const auto seconds =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  // Each challenge has its own nonce: two phones challenged in the same
  // second must not share a nonce count.
  const auto nonce = make_nonce({next_serial_++, seconds});
  std::vector<std::string> out;
  for (auto a : settings_.offered) {
    std::string value = "Digest realm=\"" + settings_.realm + "\", nonce=\"" + nonce +
                        "\", algorithm=" + std::string(algorithm_name(a)) + ", qop=\"auth\"";
    if (stale) value += ", stale=true";
    out.push_back(std::move(value));
  }
  return out;
}

authenticator::result authenticator::check_one(std::string_view method, const sip::uri& request_uri,
                                               const sip::credentials& c, clock::time_point now) {
  const auto user = c.param("username");
  const auto nonce = c.param("nonce");
  const auto uri = c.param("uri");
  const auto response = c.param("response");
  if (!user || !nonce || !uri || !response) return {outcome::malformed, {}};
  if (!names_request_uri(*uri, request_uri)) return {outcome::wrong_uri, {}};
  // RFC 2617 §3.2.2: an absent algorithm means MD5.
  const auto alg = algorithm_from(c.param("algorithm").value_or("MD5"));
  if (!alg || std::find(settings_.offered.begin(), settings_.offered.end(), *alg) ==
                  settings_.offered.end())
    return {outcome::wrong, {}};
  const auto qop = c.param("qop").value_or("");
  const auto nc = c.param("nc").value_or("");
  const auto cnonce = c.param("cnonce").value_or("");
  const auto count = nonce_count(nc);
  if (!qop.empty() && (qop != "auth" || !count || cnonce.empty())) return {outcome::malformed, {}};

  const auto secret = users_.ha1(*user, *alg, settings_.realm);
  if (!secret) return {outcome::wrong, {}};
  const auto expected = request_digest(*alg, *secret, {method, *uri, *nonce, nc, cnonce, qop});
  if (!constant_time_equal(expected, *response)) return {outcome::wrong, {}};
  // The right password on a nonce we did not make: one from before this
  // node restarted (a new key), or from the node the phone used before.
  // Stale, so the phone answers a fresh challenge instead of giving up.
  const auto id = parse_nonce(*nonce);
  if (!id) return {outcome::stale, {}};
  const auto seconds =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  const auto age = seconds - id->issued;
  if (age < 0 || age > settings_.nonce_lifetime.count()) return {outcome::stale, {}};
  // Without qop there is no count: such a nonce is good once.
  if (!counts_.use(*id, qop.empty() ? std::nullopt : count, seconds))
    return {outcome::replayed, {}};
  return {outcome::ok, std::string(*user)};
}

std::vector<std::string> authenticator::claimed_users(
    const std::vector<std::string_view>& values) const {
  std::vector<std::string> out;
  for (auto value : values) {
    const auto c = sip::parse_credentials(value);
    if (!c || !sip::charset::iequals(c->scheme, "Digest") || c->param("realm") != settings_.realm)
      continue;
    if (const auto user = c->param("username")) out.emplace_back(*user);
  }
  return out;
}

authenticator::result authenticator::verify(std::string_view method, const sip::uri& request_uri,
                                            const std::vector<std::string_view>& values,
                                            clock::time_point now) {
  result best{outcome::missing, {}};
  for (auto value : values) {
    const auto c = sip::parse_credentials(value);
    if (!c) return {outcome::malformed, {}};
    // Credentials for another realm (another proxy on the path) are not ours.
    if (!sip::charset::iequals(c->scheme, "Digest") || c->param("realm") != settings_.realm)
      continue;
    auto r = check_one(method, request_uri, *c, now);
    if (r.what == outcome::ok) return r;
    if (best.what == outcome::missing || r.what == outcome::stale || r.what == outcome::replayed)
      best = std::move(r);
  }
  return best;
}

std::variant<user_file, user_file::error> user_file::parse(std::string_view text) {
  user_file out;
  std::size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const auto nl = text.find('\n');
    auto line = trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (const auto hash = line.find('#'); hash != std::string_view::npos)
      line = trim(line.substr(0, hash));
    if (line.empty()) continue;
    const auto space = line.find_first_of(" \t");
    if (space == std::string_view::npos)
      return error{line_no, "expected \"user password\", found one word"};
    const auto user = line.substr(0, space);
    const auto password = trim(line.substr(space));
    if (password.find_first_of(" \t") != std::string_view::npos)
      return error{line_no, "expected \"user password\", found more than two words"};
    for (char ch : user)
      if (!sip::charset::is_unreserved(ch) && !sip::charset::is(ch, sip::charset::user_unreserved))
        return error{line_no, "user \"" + std::string(user) + "\" is not a valid SIP user part"};
    if (out.password(user))
      return error{line_no, "user \"" + std::string(user) + "\" appears twice"};
    out.add(std::string(user), std::string(password));
  }
  return out;
}

std::variant<user_file, user_file::error> user_file::load(const std::string& path) {
  // The passwords are in the clear: a file others can read is refused.
  auto file = secrets::read_private_file(path);
  if (!file) return error{0, std::move(file.error)};
  return parse(file.text);
}

void user_file::add(std::string user, std::string password) {
  const auto at =
      std::lower_bound(users_.begin(), users_.end(), user,
                       [](const auto& entry, const std::string& u) { return entry.first < u; });
  users_.insert(at, {std::move(user), std::move(password)});
}

std::optional<std::string> user_file::password(std::string_view user) const {
  const auto at =
      std::lower_bound(users_.begin(), users_.end(), user,
                       [](const auto& entry, std::string_view u) { return entry.first < u; });
  if (at == users_.end() || at->first != user) return std::nullopt;
  return at->second;
}

std::optional<std::string> user_file::ha1(std::string_view user, algorithm a,
                                          std::string_view realm) const {
  const auto pw = password(user);
  if (!pw) return std::nullopt;
  return auth::ha1(a, user, realm, *pw);
}

}  // namespace p2psip::auth
