// p2psipd: a P2PSIP node. Today it runs as a single node with an in-memory
// location store: a registrar and stateful proxy for its domain, over UDP,
// TCP and TLS. The overlay replaces the in-memory store in a later step.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <cstdio>
#include <string>
#include <variant>
#include <vector>

#include "auth/digest.hpp"
#include "node/sip_server.hpp"

namespace {

using p2psip::transport::listen_spec;
using p2psip::transport::protocol;

// "udp:127.0.0.1:5060", "tcp:[::1]:5060", "tls:127.0.0.1:5061"
std::variant<listen_spec, std::string> parse_listen(const std::string& text) {
  const auto colon = text.find(':');
  const auto last = text.rfind(':');
  if (colon == std::string::npos || last == colon)
    return "expected PROTO:ADDRESS:PORT, e.g. udp:127.0.0.1:5060, got \"" + text + "\"";
  listen_spec spec;
  const auto proto = text.substr(0, colon);
  if (proto == "udp") {
    spec.proto = protocol::udp;
  } else if (proto == "tcp") {
    spec.proto = protocol::tcp;
  } else if (proto == "tls") {
    spec.proto = protocol::tls;
  } else {
    return "unknown transport \"" + proto + "\" in \"" + text + "\" (udp, tcp or tls)";
  }
  auto address = text.substr(colon + 1, last - colon - 1);
  if (address.size() > 2 && address.front() == '[') address = address.substr(1, address.size() - 2);
  asio::error_code ec;
  spec.address = asio::ip::make_address(address, ec);
  if (ec) return "\"" + address + "\" is not an IP address";
  try {
    const auto port = std::stoul(text.substr(last + 1));
    if (port > 65535) throw std::out_of_range("port");
    spec.port = static_cast<std::uint16_t>(port);
  } catch (const std::exception&) {
    return "\"" + text.substr(last + 1) + "\" is not a port number";
  }
  return spec;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"p2psipd - a P2PSIP node (single-node registrar and proxy)"};
  std::vector<std::string> listen{"udp:127.0.0.1:5060", "tcp:127.0.0.1:5060"};
  std::vector<std::string> domains{"p2psip.test"};
  std::string users_path;
  bool no_auth = false;
  bool auth_local = false;
  std::string tls_cert, tls_key, tls_ca;
  std::vector<std::string> digest{"SHA-256", "MD5"};
  double rate = 200;
  int verbosity = 0;
  app.add_option("-l,--listen", listen, "PROTO:ADDRESS:PORT to listen on (repeatable)");
  app.add_option("-d,--domain", domains, "domain served (the overlay identifier)");
  app.add_option("-u,--users", users_path, "user file: one \"user password\" per line");
  app.add_flag("--no-auth", no_auth, "register without digest authentication");
  app.add_flag("--auth-local", auth_local, "challenge requests from local users (407)");
  app.add_option("--tls-cert", tls_cert, "PEM certificate chain for TLS");
  app.add_option("--tls-key", tls_key, "PEM private key for TLS");
  app.add_option("--tls-ca", tls_ca, "PEM CA to verify TLS peers against");
  app.add_option("--digest", digest, "digest algorithms offered, in order (SHA-256, MD5)");
  app.add_option("--rate", rate, "requests per second per source IP (0: unlimited)");
  app.add_flag("-v,--verbose", verbosity, "more log lines (-v info, -vv debug)");
  CLI11_PARSE(app, argc, argv);

  // One event per line, quiet unless asked.
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %l %v");
  spdlog::set_level(verbosity >= 2   ? spdlog::level::debug
                    : verbosity == 1 ? spdlog::level::info
                                     : spdlog::level::warn);

  p2psip::node::server_config config;
  config.domains = domains;
  for (const auto& l : listen) {
    auto spec = parse_listen(l);
    if (auto* error = std::get_if<std::string>(&spec)) {
      std::fprintf(stderr, "p2psipd: --listen: %s\n", error->c_str());
      return 2;
    }
    config.transport.listen.push_back(std::get<listen_spec>(spec));
  }
  if (!tls_cert.empty() || !tls_key.empty())
    config.transport.tls = p2psip::transport::tls_files{tls_cert, tls_key, tls_ca, !tls_ca.empty()};
  config.transport.requests_per_second_per_source = rate;
  config.authenticate_registrations = !no_auth;
  config.digest_algorithms.clear();
  for (const auto& name : digest) {
    const auto a = p2psip::auth::algorithm_from(name);
    if (!a) {
      std::fprintf(stderr, "p2psipd: --digest: \"%s\" is not SHA-256 or MD5\n", name.c_str());
      return 2;
    }
    config.digest_algorithms.push_back(*a);
  }
  config.authenticate_local_requests = auth_local;

  std::optional<p2psip::auth::user_file> users;
  if (!users_path.empty()) {
    auto loaded = p2psip::auth::user_file::load(users_path);
    if (auto* error = std::get_if<p2psip::auth::user_file::error>(&loaded)) {
      std::fprintf(stderr, "p2psipd: %s:%zu: %s\n", users_path.c_str(), error->line,
                   error->message.c_str());
      return 2;
    }
    users = std::get<p2psip::auth::user_file>(std::move(loaded));
  } else if (!no_auth) {
    std::fprintf(stderr,
                 "p2psipd: give --users FILE, or --no-auth to register without passwords\n");
    return 2;
  }

  asio::io_context io;
  p2psip::node::sip_server server(io, config, users ? &*users : nullptr);
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
