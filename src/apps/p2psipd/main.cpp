// p2psipd: a P2PSIP node. Today it runs as a single node with an in-memory
// location store: a registrar and stateful proxy for its domain, over UDP,
// TCP and TLS. The overlay replaces the in-memory store in a later step.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <cstdio>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "auth/digest.hpp"
#include "node/config.hpp"
#include "node/sip_server.hpp"

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

// The sip_server's settings for a checked node_config. Roles other than
// registrar and proxy, and the [overlay] section, take effect in later steps.
node::server_config server_settings(const node::node_config& c) {
  node::server_config s;
  s.domains = {c.overlay};
  s.domains.insert(s.domains.end(), c.extra_domains.begin(), c.extra_domains.end());
  s.transport.listen = c.sip_listen;
  s.transport.tls = c.tls;
  s.transport.requests_per_second_per_source = c.rate;
  s.authenticate_registrations = c.auth_enabled;
  s.authenticate_local_requests = c.auth_local_requests;
  s.digest_algorithms = c.digest;
  return s;
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
  config.rate = o.rate;
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

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"p2psipd - a P2PSIP node (single-node registrar and proxy)"};
  std::string config_path;
  command_line options;
  auto* config_option =
      app.add_option("-c,--config", config_path, "TOML configuration file; it sets everything");
  for (auto* option : add_options(app, options)) config_option->excludes(option);
  CLI11_PARSE(app, argc, argv);

  // Everything is checked before a socket opens.
  const auto checked = config_path.empty() ? from_command_line(options) : from_file(config_path);
  if (!checked) return 2;
  const auto& config = *checked;

  // One event per line, quiet unless asked.
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %l %v");
  spdlog::set_level(spdlog_level(config.log));

  std::optional<p2psip::auth::user_file> users;
  if (!config.users.empty()) {
    const auto path = config.users.string();
    auto loaded = p2psip::auth::user_file::load(path);
    if (auto* error = std::get_if<p2psip::auth::user_file::error>(&loaded)) {
      std::fprintf(stderr, "p2psipd: %s:%zu: %s\n", path.c_str(), error->line,
                   error->message.c_str());
      return 2;
    }
    users = std::get<p2psip::auth::user_file>(std::move(loaded));
  }

  asio::io_context io;
  node::sip_server server(io, server_settings(config), users ? &*users : nullptr);
  if (const auto error = server.start()) {
    std::fprintf(stderr, "p2psipd: %s\n", error.message().c_str());
    return 1;
  }
  for (const auto& e : server.local_endpoints())
    std::printf("p2psipd: listening on %s\n", p2psip::transport::to_string(e).c_str());
  std::fflush(stdout);

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](std::error_code, int) {
    server.stop();
    io.stop();
  });
  io.run();
  return 0;
}
