// The configuration of one p2psipd node, read from a TOML file and checked
// before the node opens a socket. Every table and key is known: an unknown
// key, a wrong type or a bad value is an error that names the file, the line
// and the key, and says what was expected. docs/configuration.md is the
// reference; a complete file looks like this (every key is optional):
//
//   [node]
//   overlay = "p2psip.test"          # overlay identifier (FQDN) = the SIP domain
//   state_dir = "/var/lib/p2psip"    # ca.crt, node.crt, node.key; DHT state
//   roles = ["peer", "registrar", "proxy"]  # peer or client, registrar, proxy, redirect,
//                                           # proxy-peer, relay, gateway
//
//   [sip]
//   listen = ["udp:127.0.0.1:5060", "tcp:127.0.0.1:5060", "tls:127.0.0.1:5061"]
//   domains = ["example.org"]        # served besides the overlay's domain
//   tls_cert = "node.crt"            # PEM chain; with tls_key, enables TLS
//   tls_key = "node.key"
//   tls_ca = "ca.crt"                # verify TLS peers against this CA
//                                    # (a peer: state_dir's node.crt, node.key and
//                                    # ca.crt unless given, and a tls listener on
//                                    # port 5061 unless listen is given)
//
//   [auth]
//   enabled = true                   # digest-authenticate REGISTER
//   users = "users.txt"              # "user password" per line; needed when enabled,
//                                    # except on a peer with enrolled users (users.key)
//   digest = "both"                  # "MD5", "SHA-256" or "both" (SHA-256 first)
//   local_requests = false           # also challenge requests from local users (407)
//   refresh = 30                     # seconds an enrolled user's record read is trusted
//
//   [overlay]
//   listen = "127.0.0.1:4222"        # the DHT's UDP endpoint, ADDRESS:PORT
//   bootstrap = ["127.0.0.1:4223"]   # HOST:PORT, names allowed
//   bootstrap_srv = false            # also the SRV records of _p2psip._udp.<overlay>
//   republish = 60                   # seconds between puts of held bindings
//   plain_links = false              # true: nodes talk plain TCP, unauthenticated (debugging)
//
//   [proxy_peer]                     # the proxy-peer role: the overlay's door to other domains
//   name = "pp1.p2psip.test"         # its own name in the overlay's zone (its A/AAAA records)
//   density = 4                      # keys its service record is stored under in the overlay
//   steward_after = 60               # seconds a dead proxy peer's DNS records may stay
//
//   [dns]
//   servers = ["127.0.0.53:53"]      # resolvers for RFC 3263, IP:PORT; none: /etc/resolv.conf
//   update_server = "127.0.0.53:53"  # the primary of the overlay's zone; none: no DNS updates
//   zone = "p2psip.test"             # the zone the overlay's name is in; default: the overlay
//   tsig_key = "pp1.key"             # tsig-keygen's output, readable by the daemon alone
//   ttl = 60                         # seconds, of the records a proxy peer adds
//
//   [relay]                          # the relay role: TURN servers (coturn) this node vouches for
//   servers = ["turn:203.0.113.21:3478?transport=udp"]  # RFC 7065, IP literal hosts
//   realm = "p2psip.test"            # coturn's realm; default: the overlay
//   check_every = 10                 # seconds between checks; a failed server is withdrawn
//
//   [relays]                         # TURN relays as every node hands them to its users
//   secret = "turn.secret"           # coturn's static-auth-secret: a file only the daemon reads
//   density = 4                      # keys the turn:<overlay> records are stored under
//   listen = "203.0.113.11:8443"     # HTTPS "Get Relay" (GET /turn) for users; none: off
//   tls_cert = "relays.example.crt"  # what phones verify (a name they know); with tls_key.
//   tls_key = "relays.example.key"   # Default: the node certificate, which names no host
//   credential_ttl = 86400           # seconds a handed-out TURN credential lasts
//   per_user = 3                     # relays in one answer
//
//   [gateway]                        # the gateway role: this node's trunk to a telephone network
//   trunk = "sip:192.0.2.5:5060;transport=udp"  # the PSTN gateway; no user part
//   numbers = ["+1*", "00*"]         # patterns of the numbers it serves ("*": all)
//   username = "p2psip"              # credentials for the trunk, given together:
//   password_file = "trunk.password" # read by the daemon alone (mode 0600); not yet
//                                    # used to answer the trunk's challenges
//
//   [api]
//   listen = "127.0.0.1:8060"        # the HTTP JSON API (p2psip status, lookup)
//   token = "..."                    # required of clients (Bearer); needed off loopback
//   lookup_rate = 10                 # /lookup requests per second (DHT lookups)
//   lookup_burst = 20
//
//   [hep]                            # HEPv3 copies of every SIP message (Homer, sngrep)
//   collector = "127.0.0.1:9060"     # UDP, IP:PORT; none: no copies
//   capture_id = 1                   # this node's id in the collector's view
//   password = "..."                 # the collector's capture password, if it wants one
//
//   [limits]                         # the transport's (transport/config.hpp)
//   rate = 200                       # requests/s per source IP, 0: unlimited
//   burst = 400                      # requests a source may send at once
//   retry_after = 5                  # seconds, in the 503 past the rate
//   max_connections = 10000          # TCP and TLS, both directions
//   max_connections_per_source = 1024  # accepted from one IP address
//   idle_timeout = 300               # seconds without a byte: closed
//   max_write_queue_bytes = 1048576  # queued for a peer that does not read
//   udp_receive_buffer_bytes = 4194304  # asked of the kernel; 0: its default
//   max_message_size = 65535         # bytes; and the parts of a message:
//   max_header_section = 16384
//   max_line_length = 8192
//   max_headers = 100
//   max_body_size = 49152
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

enum class role : std::uint8_t {
  peer,
  registrar,
  proxy,
  redirect,
  proxy_peer,
  relay,
  gateway,
  client
};
std::string_view role_name(role r);

enum class log_level : std::uint8_t { off, error, warn, info, debug, trace };
std::string_view log_level_name(log_level l);

struct host_port {
  std::string host;  // an IP literal (without brackets) or a DNS name
  std::uint16_t port = 0;
  friend bool operator==(const host_port&, const host_port&) = default;
};

// The [limits] table: every limit of the transport, with its defaults.
struct node_limits {
  double rate = transport::config{}.requests_per_second_per_source;  // 0: unlimited
  double burst = transport::config{}.burst;
  std::chrono::seconds retry_after = transport::config{}.retry_after;
  std::size_t max_connections = transport::config{}.max_connections;
  std::size_t max_connections_per_source = transport::config{}.max_connections_per_source;
  std::chrono::seconds idle_timeout =
      std::chrono::duration_cast<std::chrono::seconds>(transport::config{}.idle_timeout);
  std::size_t max_write_queue_bytes = transport::config{}.max_write_queue_bytes;
  std::size_t udp_receive_buffer_bytes = transport::config{}.udp_receive_buffer_bytes;
  sip::limits message;
};

// Copies the limits into the transport's settings, leaving listen and tls.
void apply_limits(const node_limits& limits, transport::config& transport);

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
  // How long a node trusts what it read of an enrolled user (enrolled_users):
  // a password change or removal is in force everywhere within this.
  std::chrono::seconds users_refresh{30};

  // [overlay]
  std::optional<host_port> overlay_listen;  // an IP literal
  std::vector<host_port> bootstrap;
  // Also bootstrap from the SRV records of srv_bootstrap_name(overlay),
  // resolved through [dns] servers (node/srv_bootstrap.hpp).
  bool bootstrap_srv = false;
  // How often the bindings of this node's phones are put into the overlay again.
  std::chrono::seconds republish_every{60};
  // Links between nodes over plain TCP, where nothing tells a node from
  // anyone else: every source may then route by flow token. For debugging.
  bool plain_links = false;

  // [proxy_peer]
  std::string proxy_peer_name;  // empty: the node's first listening address names it in DNS
  unsigned proxy_peer_density = 4;
  std::chrono::seconds steward_after{60};

  // [relay]
  std::vector<std::string> relay_servers;  // RFC 7065 URIs
  std::string relay_realm;                 // default: the overlay
  std::chrono::seconds relay_check_every{10};

  // [relays]
  std::filesystem::path turn_secret;  // needed by the relay role and by listen
  unsigned relay_density = 4;
  std::optional<host_port> relays_listen;  // an IP literal; none: no Get Relay endpoint
  // The HTTPS certificate of Get Relay; none: the node's TLS files.
  std::filesystem::path relays_tls_cert;
  std::filesystem::path relays_tls_key;
  std::chrono::seconds credential_ttl{86400};
  unsigned relays_per_user = 3;

  // [gateway] (read_gateway in config.cpp)
  std::string gateway_trunk;                 // a SIP URI without a user part
  std::vector<std::string> gateway_numbers;  // patterns, sip::valid_number_pattern
  std::string gateway_username;
  std::filesystem::path gateway_password_file;

  // [dns]
  std::vector<host_port> dns_servers;  // IP literals
  std::optional<host_port> dns_update_server;
  std::string dns_zone;  // default: the overlay
  std::filesystem::path dns_tsig_key;
  std::chrono::seconds dns_ttl{60};

  // [api]
  std::optional<host_port> api_listen;  // an IP literal; none: no API
  // What clients must send as `Authorization: Bearer`; empty: nothing, which
  // only a loopback listener may do.
  std::string api_token;
  // /lookup makes a DHT lookup each time: a token bucket bounds them.
  double api_lookup_rate = 10;
  double api_lookup_burst = 20;

  // [hep]
  std::optional<host_port> hep_collector;  // an IP literal; none: no mirroring
  std::uint32_t hep_capture_id = 1;
  std::string hep_password;

  // [limits]
  node_limits limits;

  // [log]
  log_level log = log_level::warn;
};

// "peer" or "client": the node has an overlay node (node/peer.hpp), its
// bindings live in the overlay and other nodes reach its phones over TLS
// links. A client uses the overlay without storing or routing for it.
bool in_overlay(const node_config& c);

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

// What the peer role adds (node_links.hpp): TLS with the node's certificate
// from state_dir (or the [sip] tls_* files, still verified against the
// overlay CA) that authenticates other nodes, and unless plain_links a TLS
// listener on port 5061 of the first listener's address when there is none.
// Nothing for a node without the peer role. load_config applies it.
void add_peer_link_defaults(node_config& c);

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
