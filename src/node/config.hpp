// The configuration of one p2psipd node, read from a TOML file and checked
// before the node opens a socket. Every table and key is known: an unknown
// key, a wrong type or a bad value is an error that names the file, the line
// and the key, and says what was expected. docs/configuration.md is the
// reference; a complete file looks like this (every key is optional):
//
//   [node]
//   overlay = "p2psip.test"          # overlay identifier (FQDN) = the SIP domain
//   state_dir = "/var/lib/p2psip"    # ca.crt, node.crt, node.key; DHT state
//   roles = ["peer", "registrar", "proxy"]  # peer, registrar, proxy, redirect
//
//   [sip]
//   listen = ["udp:127.0.0.1:5060", "tcp:127.0.0.1:5060", "tls:127.0.0.1:5061"]
//   domains = ["example.org"]        # served besides the overlay's domain
//   tls_cert = "node.crt"            # PEM chain; with tls_key, enables TLS
//   tls_key = "node.key"
//   tls_ca = "ca.crt"                # verify TLS peers against this CA
//
//   [auth]
//   enabled = true                   # digest-authenticate REGISTER
//   users = "users.txt"              # "user password" per line; needed when enabled
//   digest = "both"                  # "MD5", "SHA-256" or "both" (SHA-256 first)
//   local_requests = false           # also challenge requests from local users (407)
//
//   [overlay]
//   listen = "127.0.0.1:4222"        # the DHT's UDP endpoint, ADDRESS:PORT
//   bootstrap = ["127.0.0.1:4223"]   # HOST:PORT, names allowed
//   republish = 300                  # seconds between puts of held bindings
//
//   [api]
//   listen = "127.0.0.1:8060"        # the HTTP JSON API (p2psip status, lookup)
//
//   [limits]
//   rate = 200                       # requests/s per source IP, 0: unlimited
//
//   [log]
//   level = "warn"                   # off, error, warn, info, debug, trace
//
// Relative paths (state_dir, users, tls_*) are resolved against the directory
// of the configuration file, so a file and its neighbours move together.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "auth/digest.hpp"
#include "transport/config.hpp"

namespace p2psip::node {

enum class role : std::uint8_t { peer, registrar, proxy, redirect };
std::string_view role_name(role r);

enum class log_level : std::uint8_t { off, error, warn, info, debug, trace };
std::string_view log_level_name(log_level l);

struct host_port {
  std::string host;  // an IP literal (without brackets) or a DNS name
  std::uint16_t port = 0;
  friend bool operator==(const host_port&, const host_port&) = default;
};

struct node_config {
  // [node]
  std::string overlay = "p2psip.test";  // also the SIP domain served
  std::filesystem::path state_dir;      // default: "state" beside the file
  std::vector<role> roles{role::peer, role::registrar, role::proxy};

  // [sip]
  std::vector<transport::listen_spec> sip_listen{
      {transport::protocol::udp, asio::ip::address_v4::loopback(), 5060},
      {transport::protocol::tcp, asio::ip::address_v4::loopback(), 5060}};
  std::vector<std::string> extra_domains;  // served besides `overlay`
  std::optional<transport::tls_files> tls;
  // The IP address others reach this node's SIP listeners at (Via,
  // Record-Route, the Path of its bindings), as a URI host: IPv6 in
  // brackets. Empty: the listening address, which must then not be 0.0.0.0
  // or [::].
  std::string sip_advertise;

  // [auth]
  bool auth_enabled = true;
  std::filesystem::path users;  // required when auth_enabled
  std::vector<auth::algorithm> digest{auth::algorithm::sha256, auth::algorithm::md5};
  bool auth_local_requests = false;

  // [overlay]
  std::optional<host_port> overlay_listen;  // an IP literal
  std::vector<host_port> bootstrap;
  // How often the bindings of this node's phones are put into the overlay again.
  std::chrono::seconds republish_every{300};

  // [api]
  std::optional<host_port> api_listen;  // an IP literal; none: no API

  // [limits]
  double rate = 200;  // requests per second per source IP; 0: unlimited

  // [log]
  log_level log = log_level::warn;
};

struct config_error {
  enum class kind : std::uint8_t {
    unreadable,   // the file cannot be opened
    syntax,       // not TOML; `expected` holds toml11's own message
    unknown_key,  // a table or key this version does not know
    wrong_type,   // e.g. a string where a number belongs
    bad_value,    // the right type, but not an allowed value
  };
  kind what = kind::bad_value;
  std::string file;
  std::size_t line = 0;  // 1-based; 0 when not known
  std::string key;       // "[sip] listen[1]"; a bare name for the root table
  std::string value;     // the offending value as written, shortened; may be empty
  std::string expected;  // what would have been accepted

  // One line (a syntax error: toml11's lines), e.g.
  // p2psipd.toml:7: [sip] listen[1] = "ucp:1.2.3.4:5060": expected "udp|tcp|tls:ADDRESS:PORT"
  std::string message() const;
};

// Reads and checks `path`. Never throws for anything wrong in the file; the
// first error in file order is returned.
std::variant<node_config, config_error> load_config(const std::filesystem::path& path);

// "udp:127.0.0.1:5060", "tcp:[::1]:5060": the same syntax as p2psipd --listen.
// The address must be an IP literal; the port 0-65535.
std::optional<transport::listen_spec> parse_listen_spec(std::string_view text);
inline constexpr std::string_view listen_spec_syntax = "udp|tcp|tls:ADDRESS:PORT";

// "HOST:PORT", "[v6]:PORT"; HOST may be a name. Port 0-65535.
std::optional<host_port> parse_host_port(std::string_view text);

}  // namespace p2psip::node
