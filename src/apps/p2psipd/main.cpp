// p2psipd: a P2PSIP node. Three ways to start it:
//   p2psipd                 a development node: state, CA, node certificate
//                           and users made on first start, and printed
//   p2psipd -c FILE         the roles and settings of a TOML file
//   p2psipd --users F ...   a single registrar and proxy with bindings in
//                           memory (no overlay), set by options
// With the "peer" role the node joins the overlay: registrations become
// signed bindings in the DHT and requests are routed by looking them up.
// With the "client" role it does the same through the peers it knows,
// without storing or routing for others.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/signal_set.hpp>
#include <asio/ssl/context.hpp>
#include <asio/steady_timer.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <variant>
#include <vector>

#include "auth/digest.hpp"
#include "dns/client.hpp"
#include "node/api.hpp"
#include "node/config.hpp"
#include "node/enrolled_users.hpp"
#include "node/gateway_role.hpp"
#include "node/get_relay.hpp"
#include "node/hep_mirror.hpp"
#include "node/next_hops.hpp"
#include "node/peer.hpp"
#include "node/proxy_peer_role.hpp"
#include "node/public_registrations.hpp"
#include "node/relay_role.hpp"
#include "node/sip_ladder.hpp"
#include "node/sip_server.hpp"
#include "node/srv_bootstrap.hpp"
#include "node/state_dir.hpp"
#include "relay/rest_credential.hpp"
#include "service_notify.hpp"
#include "transport/detail/tls_context.hpp"

namespace {

namespace node = p2psip::node;

spdlog::level::level_enum spdlog_level(node::log_level l) {
  switch (l) {
    case node::log_level::off:
      return spdlog::level::off;
    case node::log_level::error:
      return spdlog::level::err;
    case node::log_level::warn:
      return spdlog::level::warn;
    case node::log_level::info:
      return spdlog::level::info;
    case node::log_level::debug:
      return spdlog::level::debug;
    case node::log_level::trace:
      return spdlog::level::trace;
  }
  return spdlog::level::warn;
}

bool has_role(const node::node_config& c, node::role r) {
  return std::find(c.roles.begin(), c.roles.end(), r) != c.roles.end();
}

// The sip_server's settings for a checked node_config.
node::server_config server_settings(const node::node_config& c) {
  node::server_config s;
  s.domains = {c.overlay};
  s.domains.insert(s.domains.end(), c.extra_domains.begin(), c.extra_domains.end());
  s.transport.listen = c.sip_listen;
  s.advertise = c.sip_advertise;
  s.transport.tls = c.tls;
  s.plain_links = c.plain_links;
  node::apply_limits(c.limits, s.transport);
  s.authenticate_registrations = c.auth_enabled;
  s.authenticate_local_requests = c.auth_local_requests;
  s.digest_algorithms = c.digest;
  s.registrar_role = has_role(c, node::role::registrar);
  s.redirect = has_role(c, node::role::redirect);
  s.proxy_role = has_role(c, node::role::proxy);
  // Only a node of an overlay has proxy peers to send other domains to.
  if (node::in_overlay(c)) s.overlay = c.overlay;
  s.proxy_peer = has_role(c, node::role::proxy_peer);
  return s;
}

// Where a development node keeps its state: $P2PSIP_STATE, else the XDG
// state directory.
std::filesystem::path development_state_dir() {
  if (const char* dir = std::getenv("P2PSIP_STATE"); dir != nullptr && *dir != 0) return dir;
  if (const char* xdg = std::getenv("XDG_STATE_HOME"); xdg != nullptr && *xdg != 0)
    return std::filesystem::path(xdg) / "p2psip";
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != 0)
    return std::filesystem::path(home) / ".local/state/p2psip";
  return "p2psip-state";
}

// A node on loopback that a softphone can use at once: its own overlay of
// one, with a CA, a node certificate and two users made on first start.
std::optional<node::node_config> development_config(int verbosity) {
  node::node_config c;
  c.state_dir = development_state_dir();
  try {
    for (const auto& line : node::create_development_state(c.state_dir, c.overlay))
      std::printf("p2psipd: created %s\n", line.c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "p2psipd: %s\n", e.what());
    return std::nullopt;
  }
  c.users = c.state_dir / "users";
  c.overlay_listen = node::host_port{"127.0.0.1", 4222};
  c.api_listen = node::host_port{"127.0.0.1", 8060};
  // Debian's baresip gives up when a challenge names SHA-256.
  c.digest = {p2psip::auth::algorithm::md5};
  c.log = verbosity >= 2 ? node::log_level::debug : node::log_level::info;
  node::add_peer_link_defaults(c);
  std::printf(
      "p2psipd: development node for %s, state in %s\n"
      "p2psipd: register a phone to 127.0.0.1:5060 (UDP or TCP) as alice or bob; the passwords "
      "are in %s\n",
      c.overlay.c_str(), c.state_dir.c_str(), c.users.c_str());
  return c;
}

// Enrolled users (docs/identity.md): a peer whose state directory holds the
// overlay's users key reads its users' secrets from the overlay. Null when
// it holds none; an error names the file.
std::variant<std::unique_ptr<node::enrolled_users>, std::string> enrolled_users_of(
    asio::io_context& io, node::peer& peer, const node::node_config& c,
    const p2psip::auth::credentials_store* local) {
  const auto file = c.state_dir / "users.key";
  if (!std::filesystem::exists(file)) return std::unique_ptr<node::enrolled_users>{};
  auto keys = p2psip::identity::users_keyring::load(file);
  if (const auto* error = std::get_if<p2psip::identity::users_keyring::error>(&keys))
    return error->line == 0
               ? error->message
               : file.string() + ":" + std::to_string(error->line) + ": " + error->message;
  return std::make_unique<node::enrolled_users>(
      io, peer.records(), std::get<p2psip::identity::users_keyring>(std::move(keys)),
      node::enrolled_users_settings{.overlay_id = c.overlay,
                                    .keyring_file = file,
                                    .held_dir = c.state_dir / "users",
                                    .refresh = c.users_refresh,
                                    .republish = c.republish_every},
      local);
}

node::peer_settings peer_settings(const node::node_config& c) {
  node::peer_settings p;
  p.overlay_id = c.overlay;
  const auto listen = c.overlay_listen.value_or(node::host_port{"127.0.0.1", 4222});
  p.dht_bind = {asio::ip::make_address(listen.host), listen.port};
  for (const auto& b : c.bootstrap) {
    asio::error_code ec;
    const auto address = asio::ip::make_address(b.host, ec);
    if (ec)
      p.bootstrap_names.push_back(b.host + ":" + std::to_string(b.port));
    else
      p.bootstrap.emplace_back(address, b.port);
  }
  p.client = has_role(c, node::role::client);
  p.state_dir = c.state_dir;
  p.republish_every = c.republish_every;
  p.proxy_peer_density = c.proxy_peer_density;
  p.relay_density = c.relay_density;
  p.relays_wanted = c.relays_per_user;
  return p;
}

// The endpoint other nodes send to for this node's phones: the TLS listener,
// where nodes authenticate each other; TCP with [overlay] plain_links.
p2psip::transport::endpoint path_endpoint(const std::vector<p2psip::transport::endpoint>& local,
                                          bool plain_links) {
  const auto wanted =
      plain_links ? p2psip::transport::protocol::tcp : p2psip::transport::protocol::tls;
  for (const auto& e : local)
    if (e.proto == wanted) return e;
  return local.front();
}

// The HTTPS side of Get Relay: the transport's TLS settings (TLS 1.2 at
// least, a key file only its owner may read), without asking phones for a
// certificate. Throws std::runtime_error naming the file at fault.
std::shared_ptr<asio::ssl::context> https_context(p2psip::transport::tls_files files) {
  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  files.ca.clear();
  files.verify_peer = false;
  if (const auto error = p2psip::transport::detail::configure_tls(*context, files))
    throw std::runtime_error(error.message());
  return context;
}

// The options as given on the command line, before they are checked.
struct command_line {
  std::vector<std::string> listen{"udp:127.0.0.1:5060", "tcp:127.0.0.1:5060"};
  std::vector<std::string> domains{"p2psip.test"};
  std::string users;
  bool no_auth = false;
  bool auth_local = false;
  std::string tls_cert, tls_key, tls_ca;
  std::vector<std::string> digest{"SHA-256", "MD5"};
  double rate = 200;
  int verbosity = 0;
};

std::vector<CLI::Option*> add_options(CLI::App& app, command_line& o) {
  return {
      app.add_option("-l,--listen", o.listen, "PROTO:ADDRESS:PORT to listen on (repeatable)"),
      app.add_option("-d,--domain", o.domains, "domain served (the overlay identifier)"),
      app.add_option("-u,--users", o.users, "user file: one \"user password\" per line"),
      app.add_flag("--no-auth", o.no_auth, "register without digest authentication"),
      app.add_flag("--auth-local", o.auth_local, "challenge requests from local users (407)"),
      app.add_option("--tls-cert", o.tls_cert, "PEM certificate chain for TLS"),
      app.add_option("--tls-key", o.tls_key, "PEM private key for TLS"),
      app.add_option("--tls-ca", o.tls_ca, "PEM CA to verify TLS peers against"),
      app.add_option("--digest", o.digest, "digest algorithms offered, in order (SHA-256, MD5)"),
      app.add_option("--rate", o.rate, "requests per second per source IP (0: unlimited)"),
      app.add_flag("-v,--verbose", o.verbosity, "more log lines (-v info, -vv debug)"),
  };
}

// Says on stderr what is wrong, and returns nothing, when an option is invalid.
std::optional<node::node_config> from_command_line(const command_line& o) {
  node::node_config config;
  // Options describe a single node: its bindings stay in memory.
  config.roles = {node::role::registrar, node::role::proxy};
  config.overlay = o.domains.empty() ? std::string("p2psip.test") : o.domains.front();
  if (o.domains.size() > 1) config.extra_domains.assign(o.domains.begin() + 1, o.domains.end());
  config.sip_listen.clear();
  for (const auto& l : o.listen) {
    const auto spec = node::parse_listen_spec(l);
    if (!spec) {
      std::fprintf(stderr, "p2psipd: --listen: expected %s, e.g. udp:127.0.0.1:5060, got \"%s\"\n",
                   std::string(node::listen_spec_syntax).c_str(), l.c_str());
      return std::nullopt;
    }
    config.sip_listen.push_back(*spec);
  }
  if (!o.tls_cert.empty() || !o.tls_key.empty())
    config.tls = p2psip::transport::tls_files{o.tls_cert, o.tls_key, o.tls_ca, !o.tls_ca.empty()};
  config.limits.rate = o.rate;
  config.auth_enabled = !o.no_auth;
  config.auth_local_requests = o.auth_local;
  config.users = o.users;
  config.digest.clear();
  for (const auto& name : o.digest) {
    const auto a = p2psip::auth::algorithm_from(name);
    if (!a) {
      std::fprintf(stderr, "p2psipd: --digest: \"%s\" is not SHA-256 or MD5\n", name.c_str());
      return std::nullopt;
    }
    config.digest.push_back(*a);
  }
  config.log = o.verbosity >= 2   ? node::log_level::debug
               : o.verbosity == 1 ? node::log_level::info
                                  : node::log_level::warn;
  if (o.users.empty() && !o.no_auth) {
    std::fprintf(stderr,
                 "p2psipd: give --users FILE, or --no-auth to register without passwords\n");
    return std::nullopt;
  }
  return config;
}

std::optional<node::node_config> from_file(const std::string& path) {
  auto loaded = node::load_config(path);
  if (const auto* error = std::get_if<node::config_error>(&loaded)) {
    std::fprintf(stderr, "p2psipd: %s\n", error->message().c_str());
    return std::nullopt;
  }
  return std::get<node::node_config>(std::move(loaded));
}

std::variant<p2psip::auth::user_file, std::string> load_users(const std::filesystem::path& file) {
  const auto path = file.string();
  auto loaded = p2psip::auth::user_file::load(path);
  if (auto* error = std::get_if<p2psip::auth::user_file::error>(&loaded))
    return error->line == 0  // the file itself: its message names it
               ? error->message
               : path + ":" + std::to_string(error->line) + ": " + error->message;
  return std::get<p2psip::auth::user_file>(std::move(loaded));
}

// SIGHUP: what can change while the node runs is read again, the users
// file and the log level; the file is read whole and checked first, so a
// bad edit changes nothing. The rest (listeners, roles, overlay) takes a
// restart, and the log says so.
void reload(const std::string& config_path, const node::node_config& running,
            std::optional<p2psip::auth::user_file>& users) {
  auto fresh = config_path.empty() ? std::optional(running) : std::nullopt;
  if (!fresh) {
    auto loaded = node::load_config(config_path);
    if (const auto* error = std::get_if<node::config_error>(&loaded)) {
      spdlog::error("reload: {}; nothing changed", error->message());
      return;
    }
    fresh = std::get<node::node_config>(std::move(loaded));
  }
  std::string users_text = "no users file";
  if (users && fresh->users == running.users) {
    auto loaded = load_users(fresh->users);
    if (auto* error = std::get_if<std::string>(&loaded)) {
      spdlog::error("reload: {}; nothing changed", *error);
      return;
    }
    *users = std::get<p2psip::auth::user_file>(std::move(loaded));
    users_text = std::to_string(users->size()) + " users from " + fresh->users.string();
  } else if (fresh->users != running.users) {
    users_text = "users file unchanged: naming another takes a restart";
  }
  spdlog::set_level(spdlog_level(fresh->log));
  // On stdout with the start's lines, whatever the new log level.
  const auto level = spdlog::level::to_string_view(spdlog_level(fresh->log));
  std::printf(
      "p2psipd: reloaded: %s, log level %.*s; listeners, roles and the overlay take a "
      "restart\n",
      users_text.c_str(), static_cast<int>(level.size()), level.data());
  std::fflush(stdout);
}

}  // namespace

constexpr const char* ways_to_start = R"(p2psipd - a P2PSIP node

Three ways to start it:
  p2psipd [-v|-vv]          a development node: an overlay of one on loopback
                            (SIP 127.0.0.1:5060, API 127.0.0.1:8060), its CA,
                            node certificate and the users alice and bob made
                            on first start in $P2PSIP_STATE (else the XDG state
                            directory) and printed
  p2psipd -c FILE           a node as a TOML file says: roles, overlay,
                            bootstrap, listeners (docs/configuration.md)
  p2psipd --users F [opts]  a single registrar and proxy with its bindings in
                            memory and no overlay, set by the options below)";

// The development node is what p2psipd does when told nothing but how much
// to log.
bool only_verbosity_given(const CLI::App& app, const CLI::Option* verbose) {
  const auto given =
      app.get_options([verbose](const CLI::Option* o) { return o != verbose && o->count() > 0; });
  return given.empty();
}

int main(int argc, char** argv) {
  CLI::App app{ways_to_start};
  std::string config_path;
  command_line options;
  auto* config_option =
      app.add_option("-c,--config", config_path, "TOML configuration file; it sets everything");
  for (auto* option : add_options(app, options)) config_option->excludes(option);
  CLI11_PARSE(app, argc, argv);

  // Everything is checked before a socket opens.
  const bool development = only_verbosity_given(app, app.get_option("--verbose"));
  const auto checked = development           ? development_config(options.verbosity)
                       : config_path.empty() ? from_command_line(options)
                                             : from_file(config_path);
  if (!checked) return 2;
  const auto& config = *checked;

  // One event per line, quiet unless asked.
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %l %v");
  spdlog::set_level(spdlog_level(config.log));

  std::optional<p2psip::auth::user_file> users;
  if (!config.users.empty()) {
    auto loaded = load_users(config.users);
    if (auto* error = std::get_if<std::string>(&loaded)) {
      std::fprintf(stderr, "p2psipd: %s\n", error->c_str());
      return 2;
    }
    users = std::get<p2psip::auth::user_file>(std::move(loaded));
  }

  asio::io_context io;
  auto settings = server_settings(config);
  std::unique_ptr<node::peer> peer;
  if (node::in_overlay(config)) {
    auto identity = node::load_peer_identity(config.state_dir);
    if (const auto* error = std::get_if<std::string>(&identity)) {
      std::fprintf(stderr, "p2psipd: %s\n", error->c_str());
      return 2;
    }
    try {
      peer = std::make_unique<node::peer>(io, peer_settings(config),
                                          std::get<node::peer_identity>(std::move(identity)));
      peer->start();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "p2psipd: overlay: %s\n", e.what());
      return 1;
    }
    settings.location = &peer->location();
    settings.flow_tokens = &peer->tokens();
    // Bindings live in the DHT at most two hours (overlay/record_verifier):
    // a phone must refresh well before that.
    settings.registrar.max_expires = 3600;
    settings.known_user = [&peer, &config](std::string_view user) {
      return peer->bindings().known("sip:" + std::string(user) + "@" + config.overlay);
    };
    // Every node of the overlay routes calls to numbers to its gateway peers.
    settings.gateways = &peer->gateways();
    settings.trunk = node::gateway_trunk(config);
    if (const auto error = node::check_trunk_credentials(config); !error.empty()) {
      std::fprintf(stderr, "p2psipd: [gateway] password_file: %s\n", error.c_str());
      return 2;
    }
  }
  std::unique_ptr<node::enrolled_users> enrolled;
  if (peer) {
    auto made = enrolled_users_of(io, *peer, config, users ? &*users : nullptr);
    if (const auto* error = std::get_if<std::string>(&made)) {
      std::fprintf(stderr, "p2psipd: users key: %s\n", error->c_str());
      return 2;
    }
    enrolled = std::get<std::unique_ptr<node::enrolled_users>>(std::move(made));
  }
  p2psip::proxy::user_source enrolled_source;
  if (enrolled) {
    enrolled->start();
    peer->when_joined([&enrolled] { enrolled->republish(); });
    enrolled_source = {[&enrolled](std::string_view user) { return enrolled->current(user); },
                       [&enrolled](std::string user, std::function<void()> done) {
                         enrolled->fetch(std::move(user), std::move(done));
                       }};
    settings.users = enrolled_source;
  }
  if (config.auth_enabled && !users && !enrolled) {
    std::fprintf(stderr,
                 "p2psipd: [auth] is enabled but this node knows no users: give [auth] users, "
                 "or enroll the node with the overlay's users key (%s, written by "
                 "p2psip ca issue-node)\n",
                 (config.state_dir / "users.key").c_str());
    return 2;
  }
  const p2psip::auth::credentials_store* credentials =
      enrolled ? static_cast<const p2psip::auth::credentials_store*>(enrolled.get())
      : users  ? &*users
               : nullptr;
  // RFC 3263 for next hops that name a host; without DNS the node still
  // reaches the overlay's proxy peers.
  std::error_code dns_error;
  p2psip::dns::client_settings dns_settings;
  for (const auto& s : config.dns_servers)
    dns_settings.network.servers.push_back(s.host + ":" + std::to_string(s.port));
  std::random_device seed;
  auto dns = p2psip::dns::client::create(
      io.get_executor(), dns_settings,
      [random = std::make_shared<std::mt19937>(seed())] { return (*random)(); }, dns_error);
  if (!dns)
    spdlog::warn("no DNS ({}): only addresses and the overlay's proxy peers are reached",
                 dns_error.message());
  std::unique_ptr<node::srv_bootstrap> srv_bootstrap;
  if (peer && config.bootstrap_srv && dns) {
    srv_bootstrap = std::make_unique<node::srv_bootstrap>(
        io, dns->cached(), node::srv_bootstrap_settings{node::srv_bootstrap_name(config.overlay)},
        [&peer] { return peer->dht().stats().known_nodes > 0; },
        [&peer](const std::vector<asio::ip::udp::endpoint>& contacts) {
          peer->add_bootstrap(contacts);
        });
    srv_bootstrap->start();
  }
  node::next_hops next_hops(config.overlay, peer ? &peer->proxy_peers() : nullptr,
                            dns ? &dns->locator() : nullptr);
  settings.resolver = &next_hops;
  node::sip_server server(io, std::move(settings), credentials);
  try {
    if (const auto error = server.start()) {
      std::fprintf(stderr, "p2psipd: %s\n", error.message().c_str());
      return 1;
    }
  } catch (const std::exception& e) {  // no random bytes for the nonce key
    std::fprintf(stderr, "p2psipd: %s\n", e.what());
    return 1;
  }
  for (const auto& e : server.local_endpoints())
    std::printf("p2psipd: listening on %s\n", p2psip::transport::to_string(e).c_str());
  std::unique_ptr<node::hep_mirror> hep;
  if (config.hep_collector) {
    const asio::ip::udp::endpoint collector(asio::ip::make_address(config.hep_collector->host),
                                            config.hep_collector->port);
    try {
      hep = std::make_unique<node::hep_mirror>(io, collector, config.hep_capture_id,
                                               config.hep_password);
    } catch (const std::system_error& e) {  // no socket of the collector's family
      std::fprintf(stderr, "p2psipd: [hep] collector: %s\n", e.what());
      return 1;
    }
    server.traffic().add_tap([&hep](const node::sip_event& e) { hep->copy(e); });
    std::printf("p2psipd: HEPv3 copies of SIP to udp:%s:%u\n",
                collector.address().to_string().c_str(), collector.port());
  }
  if (peer) {
    peer->set_sip_endpoint(path_endpoint(server.local_endpoints(), config.plain_links),
                           config.sip_advertise);
    const auto dht = peer->dht().local_endpoint();
    std::printf("p2psipd: overlay %s, DHT node %s on udp:%s:%u\n", config.overlay.c_str(),
                peer->dht().node_id().c_str(), dht.address().to_string().c_str(), dht.port());
  }
  // The public AORs linked by the enrolled users whose phones this node
  // serves (interwork §4.2, §5.4; node/public_registrations.hpp).
  std::unique_ptr<node::public_registrations> public_aors;
  if (enrolled) {
    public_aors = std::make_unique<node::public_registrations>(
        io,
        node::public_registrations_io{
            .originate =
                [&server](std::string request, std::string user,
                          p2psip::proxy::proxy_core::local_answer answered) {
                  return server.originate(std::move(request), std::move(user), std::move(answered));
                },
            .links = [&enrolled](std::string_view user) { return enrolled->links(user); },
            .current = [&enrolled](std::string_view user) { return enrolled->current(user); },
            .read_user =
                [&enrolled](std::string user, std::function<void()> done) {
                  enrolled->fetch(std::move(user), std::move(done));
                },
            .serves =
                [&peer](const std::string& aor) {
                  return peer->bindings().holds(aor, std::chrono::system_clock::now());
                },
            .elsewhere =
                [&peer](const std::string& aor, std::function<void(bool)> done) {
                  // Once this node holds none, every binding found is another
                  // node's; a failed lookup leaves the binding to expire.
                  peer->location().fetch(
                      aor, std::chrono::system_clock::now(),
                      [done](std::vector<p2psip::proxy::binding> found, std::error_code ec) {
                        done(ec || !found.empty());
                      });
                }},
        node::public_registrations_settings{.overlay_id = config.overlay,
                                            .recheck = config.users_refresh});
    peer->bindings().on_held_changed([&io, &public_aors](const std::string& aor) {
      asio::post(io, [&public_aors, aor] {
        if (public_aors) public_aors->bindings_changed(aor);
      });
    });
    enrolled->on_accepted([&io, &public_aors](const std::string& user) {
      asio::post(io, [&public_aors, user] {
        if (public_aors) public_aors->user_changed(user);
      });
    });
    public_aors->start();
  }
  std::unique_ptr<node::proxy_peer_role> proxy_peer;
  if (peer && has_role(config, node::role::proxy_peer)) {
    auto dns_side = node::proxy_peer_dns_settings(config, server.local_endpoints());
    if (const auto* error = std::get_if<std::string>(&dns_side)) {
      std::fprintf(stderr, "p2psipd: [dns] tsig_key: %s\n", error->c_str());
      return 2;
    }
    proxy_peer = std::make_unique<node::proxy_peer_role>(
        io, peer->proxy_peers(), peer->link_uri(),
        std::get<std::optional<node::proxy_peer_dns>>(std::move(dns_side)),
        [&peer] { return peer->dht().stats().known_nodes; });
    proxy_peer->start();
    std::printf("p2psipd: proxy peer of %s%s\n", config.overlay.c_str(),
                config.dns_update_server ? ", publishing itself in DNS" : "");
  }
  std::unique_ptr<node::gateway_role> gateway;
  if (const auto trunk = node::gateway_trunk(config); peer && trunk) {
    gateway = std::make_unique<node::gateway_role>(peer->gateways(), peer->link_uri(), *trunk);
    gateway->start();
    std::printf("p2psipd: gateway peer of %s to %s\n", config.overlay.c_str(), trunk->uri.c_str());
    if (!config.gateway_username.empty())
      spdlog::warn(
          "gateway: a challenge from the trunk is not answered yet: the trunk must "
          "accept this node by its address");
  }
  // The secret coturn shares: relay checks and users' credentials use it.
  std::string turn_secret;
  if (!config.turn_secret.empty()) {
    auto read = p2psip::relay::read_turn_secret(config.turn_secret);
    if (!read) {
      std::fprintf(stderr, "p2psipd: [relays] secret: %s\n", read.error.c_str());
      return 2;
    }
    turn_secret = std::move(read.secret);
  }
  std::unique_ptr<node::relay_role> relay;
  if (peer && has_role(config, node::role::relay)) {
    relay = std::make_unique<node::relay_role>(
        io, peer->relays(),
        node::relay_role_settings{
            .servers = config.relay_servers,
            .realm = config.relay_realm.empty() ? config.overlay : config.relay_realm,
            .secret = turn_secret,
            .check_every = config.relay_check_every,
            .probe = {}});
    relay->start();
    std::printf("p2psipd: relay peer of %s for %zu TURN server%s\n", config.overlay.c_str(),
                config.relay_servers.size(), config.relay_servers.size() == 1 ? "" : "s");
  }
  std::unique_ptr<p2psip::ops::http_server> get_relay;
  node::get_relay_counters get_relay_counters;
  if (peer && config.relays_listen && credentials && config.tls) {
    try {
      get_relay = std::make_unique<p2psip::ops::http_server>(
          io, asio::ip::tcp::endpoint(asio::ip::make_address(config.relays_listen->host),
                                      config.relays_listen->port));
      auto files = *config.tls;
      if (!config.relays_tls_cert.empty()) {
        files.certificate = config.relays_tls_cert.string();
        files.private_key = config.relays_tls_key.string();
      }
      get_relay->use_tls(https_context(files));
      node::install_get_relay(*get_relay, *credentials, peer->relays(),
                              {.realm = config.overlay,
                               .secret = turn_secret,
                               .ttl = config.credential_ttl,
                               .relays = config.relays_per_user},
                              get_relay_counters, enrolled_source);
      get_relay->start();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "p2psipd: [relays] listen: %s\n", e.what());
      return 1;
    }
    const auto at = get_relay->local_endpoint();
    std::printf("p2psipd: Get Relay on https://%s:%u/turn\n", at.address().to_string().c_str(),
                at.port());
  }
  std::unique_ptr<p2psip::ops::http_server> api;
  node::sip_ladder ladder;
  if (config.api_listen) {
    server.traffic().add_tap([&ladder](const node::sip_event& e) { ladder.add(e); });
    try {
      api = std::make_unique<p2psip::ops::http_server>(
          io, asio::ip::tcp::endpoint(asio::ip::make_address(config.api_listen->host),
                                      config.api_listen->port));
      node::install_api(*api, {.config = config,
                               .server = server,
                               .overlay = peer.get(),
                               .proxy_peer = proxy_peer.get(),
                               .relay = relay.get(),
                               .get_relay = get_relay ? &get_relay_counters : nullptr,
                               .users = enrolled.get(),
                               .public_aors = public_aors.get(),
                               .hep = hep.get(),
                               .ladder = &ladder});
      api->start();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "p2psipd: api: %s\n", e.what());
      return 1;
    }
    const auto at = api->local_endpoint();
    std::printf("p2psipd: dashboard on http://%s:%u/ (API: /status, /metrics)\n",
                at.address().to_string().c_str(), at.port());
  }
  std::fflush(stdout);
  p2psip::apps::service_notify service(io);
  std::string serving = "serving " + config.overlay + ", SIP on";
  for (const auto& e : server.local_endpoints()) serving += " " + p2psip::transport::to_string(e);
  service.ready(serving);

  // A clean stop takes the node out of DNS, the overlay's proxy peers and
  // its relays, and answers the requests it took (new ones get 503), for at
  // most a few seconds; a second signal stops at once.
  asio::signal_set signals(io, SIGINT, SIGTERM);
  asio::steady_timer stop_bound(io);
  asio::steady_timer drained(io);
  const auto stop_now = [&] {
    if (const auto left = server.active_requests(); left > 0)
      std::printf("p2psipd: stopping with %zu requests unanswered\n", left);
    if (api) api->stop();
    if (get_relay) get_relay->stop();
    server.stop();
    if (peer) peer->stop();
    io.stop();
  };
  int withdrawing = (proxy_peer ? 1 : 0) + (relay ? 1 : 0) + (gateway ? 1 : 0);
  std::function<void()> stop_when_done = [&] {
    if (withdrawing == 0 && server.active_requests() == 0) return stop_now();
    drained.expires_after(std::chrono::milliseconds(50));
    drained.async_wait([&](std::error_code ec) {
      if (!ec) stop_when_done();
    });
  };
  const auto withdrawn = [&] { --withdrawing; };
  asio::signal_set hangup(io, SIGHUP);
  std::function<void()> on_hangup = [&] {
    hangup.async_wait([&](std::error_code ec, int) {
      if (ec) return;
      service.reloading();
      reload(config_path, config, users);
      service.reloaded();
      on_hangup();
    });
  };
  on_hangup();
  signals.async_wait([&](std::error_code, int) {
    hangup.cancel();
    service.stopping();
    server.drain();
    signals.async_wait([&](std::error_code, int) { stop_now(); });
    stop_bound.expires_after(std::chrono::seconds(5));
    stop_bound.async_wait([&](std::error_code ec) {
      if (!ec) stop_now();
    });
    if (proxy_peer) proxy_peer->stop(withdrawn);
    if (relay) relay->stop(withdrawn);
    if (gateway) gateway->stop(withdrawn);
    stop_when_done();
  });
  io.run();
  return 0;
}
