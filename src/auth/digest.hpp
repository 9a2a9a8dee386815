// SIP digest authentication (RFC 3261 §22.4 with RFC 2617's qop=auth, and
// RFC 8760's SHA-256 beside MD5). Pure code: the caller passes `now`. A
// nonce carries its issue time and a serial under an HMAC, so a challenge
// costs no memory; what a used nonce costs is its count in a bounded table
// (nonce_counts.hpp), which keeps a captured request from being played
// again. The table lives in memory, so the HMAC key must be new at each
// start (it is, unless a test sets it): nonces of a previous run are not ours.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "auth/nonce_counts.hpp"
#include "sip/headers.hpp"
#include "sip/uri.hpp"

namespace p2psip::auth {

enum class algorithm : std::uint8_t { md5, sha256 };

std::string_view algorithm_name(algorithm a);  // "MD5", "SHA-256"
std::optional<algorithm> algorithm_from(std::string_view name);

// Lower-case hex of H(text) for the algorithm.
std::string hash_hex(algorithm a, std::string_view text);

// HA1 = H(username ":" realm ":" password)
std::string ha1(algorithm a, std::string_view user, std::string_view realm,
                std::string_view password);

// The request-digest of RFC 2617 §3.2.2.1 (qop=auth, or none for RFC 2069 clients).
struct digest_input {
  std::string_view method;
  std::string_view uri;
  std::string_view nonce;
  std::string_view nc;
  std::string_view cnonce;
  std::string_view qop;  // "auth" or empty
};
std::string request_digest(algorithm a, std::string_view ha1_hex, const digest_input& in);

// Where a user's secret comes from: HA1 = H(user:realm:password) is all
// digest needs, so a store may hold the password (a user file) or only the
// HA1s (enrolled users, who are known to the overlay by theirs).
struct credentials_store {
  virtual ~credentials_store() = default;
  // nullopt when `user` is unknown here (or only known in another realm).
  virtual std::optional<std::string> ha1(std::string_view user, algorithm a,
                                         std::string_view realm) const = 0;
};

class authenticator {
 public:
  using clock = std::chrono::system_clock;

  struct settings {
    std::string realm;
    std::string secret;  // HMAC key for nonces; random per node unless configured
    std::chrono::seconds nonce_lifetime{300};
    std::vector<algorithm> offered{algorithm::sha256, algorithm::md5};  // in order of preference
    // Nonces whose counts are kept; at 16384 a node can take about 50
    // authenticated requests a second, each with its own nonce, before a
    // nonce leaves the table early (at most a few MiB).
    std::size_t tracked_nonces = 16384;
  };

  enum class outcome : std::uint8_t {
    ok,
    missing,    // no credentials for our realm: challenge
    stale,      // right password, expired or foreign nonce: challenge with stale=true
    replayed,   // right password, nonce count already used: challenge with stale=true
    wrong,      // wrong password or unknown user: 403 or rechallenge
    wrong_uri,  // uri= names another resource than the Request-URI: 400 (RFC 2617 §3.2.2.5)
    malformed,  // credentials we cannot read: 400
  };
  struct result {
    outcome what = outcome::missing;
    std::string user;  // the authenticated user when ok
  };

  authenticator(settings s, const credentials_store& users);

  // The challenge header values (one per offered algorithm, one new nonce
  // for all of them), for WWW-Authenticate (registrar, UAS) or
  // Proxy-Authenticate (proxy).
  std::vector<std::string> challenges(clock::time_point now, bool stale);

  // Checks the Authorization / Proxy-Authorization values of a request
  // (`values` are the header values, one per field) for our realm. An ok
  // uses up the nonce count it carried.
  result verify(std::string_view method, const sip::uri& request_uri,
                const std::vector<std::string_view>& values, clock::time_point now);

  // The user names the credentials among `values` claim for our realm,
  // unchecked: what a store must know before verify() can judge them.
  std::vector<std::string> claimed_users(const std::vector<std::string_view>& values) const;

  const settings& config() const { return settings_; }
  std::size_t tracked_nonces() const { return counts_.size(); }

 private:
  std::string make_nonce(nonce_counts::nonce_id id) const;
  // The nonce's issue time and serial when we issued it, nullopt when not ours.
  std::optional<nonce_counts::nonce_id> parse_nonce(std::string_view nonce) const;
  result check_one(std::string_view method, const sip::uri& request_uri, const sip::credentials& c,
                   clock::time_point now);

  settings settings_;
  const credentials_store& users_;
  std::uint64_t next_serial_ = 0;
  nonce_counts counts_;
};

// A credentials store read from a file: one user per line, "user password",
// '#' starts a comment. Errors name the line (0: the file itself, e.g. one
// that group or others may read, which load() refuses).
class user_file final : public credentials_store {
 public:
  struct error {
    std::size_t line = 0;
    std::string message;
  };
  static std::variant<user_file, error> parse(std::string_view text);
  static std::variant<user_file, error> load(const std::string& path);

  std::optional<std::string> password(std::string_view user) const;
  std::optional<std::string> ha1(std::string_view user, algorithm a,
                                 std::string_view realm) const override;
  std::size_t size() const { return users_.size(); }
  void add(std::string user, std::string password);

 private:
  std::vector<std::pair<std::string, std::string>> users_;  // sorted by user
};

}  // namespace p2psip::auth
