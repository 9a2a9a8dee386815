#include "node/config.hpp"

#include <algorithm>
#include <asio/ip/address.hpp>
#include <charconv>
#include <cmath>
#include <exception>
#include <fstream>
#include <sstream>
#include <system_error>
#include <utility>

#include "node/node_links.hpp"
#include "overlay/record_content.hpp"
#include "proxy/number_routing.hpp"
#include "relay/turn_uri.hpp"
#include "sip/charset.hpp"
#include "sip/telephone_number.hpp"

// toml11 lives in /usr/include, a system directory: its warnings stay out of ours.
#include <toml.hpp>

namespace p2psip::node {

std::string_view role_name(role r) {
  switch (r) {
    case role::peer:
      return "peer";
    case role::registrar:
      return "registrar";
    case role::proxy:
      return "proxy";
    case role::redirect:
      return "redirect";
    case role::relay:
      return "relay";
    case role::proxy_peer:
      return "proxy-peer";
    case role::gateway:
      return "gateway";
    case role::client:
      return "client";
  }
  return "?";
}

bool in_overlay(const node_config& c) {
  return std::any_of(c.roles.begin(), c.roles.end(),
                     [](role r) { return r == role::peer || r == role::client; });
}

std::string_view log_level_name(log_level l) {
  switch (l) {
    case log_level::off:
      return "off";
    case log_level::error:
      return "error";
    case log_level::warn:
      return "warn";
    case log_level::info:
      return "info";
    case log_level::debug:
      return "debug";
    case log_level::trace:
      return "trace";
  }
  return "?";
}

std::string config_error::message() const {
  std::string out = file;
  if (line != 0) out += ":" + std::to_string(line);
  out += ": ";
  switch (what) {
    case kind::unreadable:
    case kind::syntax:
      return out + expected;
    case kind::unknown_key:
      return out + key + ": unknown key, expected " + expected;
    case kind::wrong_type:
    case kind::bad_value:
      break;
  }
  out += key;
  if (!value.empty()) out += " = " + value;
  return out + ": expected " + expected;
}

namespace {

std::optional<std::uint16_t> parse_port(std::string_view text) {
  unsigned port = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, port);
  if (text.empty() || ec != std::errc{} || ptr != end || port > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(port);
}

// RFC 1035 preferred name syntax, with digits allowed first (RFC 1123).
bool is_domain_name(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  std::size_t start = 0;
  while (start <= name.size()) {
    const auto dot = std::min(name.find('.', start), name.size());
    const auto label = name.substr(start, dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-')
      return false;
    for (const char c : label) {
      const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
      if (!alnum && c != '-') return false;
    }
    start = dot + 1;
  }
  return true;
}

}  // namespace

std::optional<transport::listen_spec> parse_listen_spec(std::string_view text) {
  const auto colon = text.find(':');
  const auto last = text.rfind(':');
  if (colon == std::string_view::npos || last == colon) return std::nullopt;
  transport::listen_spec spec;
  const auto proto = text.substr(0, colon);
  if (proto == "udp") {
    spec.proto = transport::protocol::udp;
  } else if (proto == "tcp") {
    spec.proto = transport::protocol::tcp;
  } else if (proto == "tls") {
    spec.proto = transport::protocol::tls;
  } else {
    return std::nullopt;
  }
  auto address = text.substr(colon + 1, last - colon - 1);
  if (address.size() > 2 && address.front() == '[' && address.back() == ']')
    address = address.substr(1, address.size() - 2);
  asio::error_code ec;
  spec.address = asio::ip::make_address(std::string(address), ec);
  if (ec) return std::nullopt;
  const auto port = parse_port(text.substr(last + 1));
  if (!port) return std::nullopt;
  spec.port = *port;
  return spec;
}

std::optional<host_port> parse_host_port(std::string_view text) {
  const auto last = text.rfind(':');
  if (last == std::string_view::npos) return std::nullopt;
  auto host = text.substr(0, last);
  const auto port = parse_port(text.substr(last + 1));
  if (!port) return std::nullopt;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
    asio::error_code ec;
    const auto address = asio::ip::make_address(std::string(host), ec);
    if (ec || !address.is_v6()) return std::nullopt;
  } else if (host.find(':') != std::string_view::npos) {
    return std::nullopt;  // an IPv6 address needs its brackets here
  } else {
    asio::error_code ec;
    (void)asio::ip::make_address(std::string(host), ec);
    if (ec && !is_domain_name(host)) return std::nullopt;
  }
  return host_port{std::string(host), *port};
}

namespace {

using value = toml::value;

constexpr std::string_view domain_expected = "a domain name such as \"p2psip.test\"";
constexpr std::string_view fqdn_expected =
    "a fully qualified domain name such as \"p2psip.test\" (at least two labels): the overlay "
    "is found in DNS by it";

// An IP address (IPv6 bare or in brackets) as the host of a SIP URI: IPv6
// in brackets. Empty when it is not one. Not a name: the nodes that route
// to this one do not resolve names (RFC 3263) yet.
std::string uri_host(std::string_view text) {
  auto bare = text;
  if (bare.size() > 2 && bare.front() == '[' && bare.back() == ']')
    bare = bare.substr(1, bare.size() - 2);
  asio::error_code ec;
  const auto address = asio::ip::make_address(std::string(bare), ec);
  if (ec || address.is_unspecified()) return {};
  return address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
}

// The client role (concepts §3.4.2) uses the overlay through the peers it
// knows: it is no peer, and the roles other nodes find through the overlay
// as peers of it are not for it. What would be accepted instead, or nothing.
std::optional<std::string> client_conflict(const std::vector<role>& roles) {
  const auto has = [&roles](role r) {
    return std::find(roles.begin(), roles.end(), r) != roles.end();
  };
  if (!has(role::client)) return std::nullopt;
  if (has(role::peer))
    return "\"peer\" or \"client\", not both: a client uses the overlay without storing or "
           "routing for it";
  if (has(role::proxy_peer) || has(role::relay))
    return "\"peer\" instead of \"client\" with \"proxy-peer\" or \"relay\": these roles "
           "are peers of the overlay";
  return std::nullopt;
}

// The known tables and their keys; anything else is an unknown key.
struct section {
  std::string_view name;
  std::vector<std::string_view> keys;
};
const std::vector<section>& sections() {
  static const std::vector<section> known{
      {"node", {"overlay", "state_dir", "roles"}},
      {"sip", {"listen", "advertise", "domains", "tls_cert", "tls_key", "tls_ca"}},
      {"auth", {"enabled", "users", "digest", "local_requests", "refresh"}},
      {"overlay", {"listen", "bootstrap", "bootstrap_srv", "republish", "plain_links"}},
      {"proxy_peer", {"name", "density", "steward_after"}},
      {"dns", {"servers", "update_server", "zone", "tsig_key", "ttl"}},
      {"relay", {"servers", "realm", "check_every"}},
      {"gateway", {"trunk", "numbers", "username", "password_file"}},
      {"relays",
       {"secret", "density", "listen", "credential_ttl", "per_user", "tls_cert", "tls_key"}},
      {"api", {"listen", "token", "lookup_rate", "lookup_burst"}},
      {"hep", {"collector", "capture_id", "password"}},
      {"limits",
       {"rate", "burst", "retry_after", "max_connections", "max_connections_per_source",
        "idle_timeout", "max_write_queue_bytes", "udp_receive_buffer_bytes", "max_message_size",
        "max_header_section", "max_line_length", "max_headers", "max_body_size"}},
      {"log", {"level"}},
  };
  return known;
}

template <typename Names>
std::string one_of(const Names& names) {
  std::string out = "one of ";
  for (const auto& n : names) {
    if (out.size() > 7) out += ", ";
    out += n;
  }
  return out;
}

// At most ~60 characters of what the file says, on one line.
std::string shown(const value& v) {
  std::string text;
  if (v.is_string()) {
    text = "\"" + v.as_string().str + "\"";
  } else if (v.is_table()) {
    return {};
  } else {
    std::ostringstream os;
    os << v;
    text = os.str();
  }
  std::replace(text.begin(), text.end(), '\n', ' ');
  while (!text.empty() && text.back() == ' ') text.pop_back();
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return text;
}

std::size_t line_of(const value& v) {
  return v.location().line();
}

class reader {
 public:
  reader(std::string file, std::filesystem::path base)
      : file_(std::move(file)), base_(std::move(base)) {}

  // Keeps the error that comes first in the file; one without a line last.
  void fail(config_error::kind kind, std::size_t line, std::string key, std::string value_text,
            std::string expected) {
    const auto rank = [](std::size_t l) { return l == 0 ? SIZE_MAX : l; };
    if (error_ && rank(error_->line) <= rank(line)) return;
    error_ =
        config_error{kind, file_, line, std::move(key), std::move(value_text), std::move(expected)};
  }
  void bad_value(const value& v, std::string key, std::string expected) {
    fail(config_error::kind::bad_value, line_of(v), std::move(key), shown(v), std::move(expected));
  }
  void wrong_type(const value& v, std::string key, std::string expected) {
    fail(config_error::kind::wrong_type, line_of(v), std::move(key), shown(v), std::move(expected));
  }

  void read(const value& root, node_config& out);
  std::optional<config_error> error() const { return error_; }

 private:
  static std::string key_name(std::string_view table, std::string_view key) {
    return "[" + std::string(table) + "] " + std::string(key);
  }
  const value* find(const value& root, std::string_view table, std::string_view key) const;

  std::optional<std::string> string_at(const value& root, std::string_view table,
                                       std::string_view key, std::string_view expected);
  std::optional<std::filesystem::path> path_at(const value& root, std::string_view table,
                                               std::string_view key);
  std::optional<bool> bool_at(const value& root, std::string_view table, std::string_view key);
  // Each element must be a string; the callback checks its value.
  template <typename Each>
  bool strings_at(const value& root, std::string_view table, std::string_view key,
                  std::string_view expected, Each each);

  void check_keys(const value& root);
  void read_node(const value& root, node_config& out);
  void read_sip(const value& root, node_config& out);
  void read_auth(const value& root, node_config& out);
  void read_overlay(const value& root, node_config& out);
  void read_api(const value& root, node_config& out);
  void read_proxy_peer(const value& root, node_config& out);
  void read_dns(const value& root, node_config& out);
  void read_relay(const value& root, node_config& out);
  void read_relays(const value& root, node_config& out);
  void read_gateway(const value& root, node_config& out);
  // An integer within [least, most] at table.key, when given.
  std::optional<unsigned> count_at(const value& root, std::string_view table, std::string_view key,
                                   unsigned least, unsigned most);
  std::optional<std::chrono::seconds> seconds_at(const value& root, std::string_view table,
                                                 std::string_view key, std::int64_t least,
                                                 std::int64_t most);
  std::optional<host_port> address_port_at(const value& root, std::string_view table,
                                           std::string_view key);
  std::optional<double> number_at(const value& root, std::string_view table, std::string_view key,
                                  double least, std::string_view expected);
  // An integer within [least, most]; `unit` says what it counts.
  template <typename Integer>
  void integer_at(const value& root, std::string_view key, std::uint64_t least, std::uint64_t most,
                  std::string_view unit, Integer& out);
  void read_limits(const value& root, node_config& out);
  void check_message_limits(const value& root, const sip::limits& l);
  void read_log(const value& root, node_config& out);
  void read_hep(const value& root, node_config& out);
  void check_peer_links(const value& root, const node_config& out);

  std::string file_;
  std::filesystem::path base_;
  std::optional<config_error> error_;
};

void reader::check_keys(const value& root) {
  for (const auto& [name, table] : root.as_table()) {
    // clang 14 cannot capture a structured binding in a lambda.
    const std::string& table_name = name;
    const auto s = std::find_if(sections().begin(), sections().end(),
                                [&](const section& x) { return x.name == table_name; });
    if (s == sections().end()) {
      std::vector<std::string> names;
      for (const auto& x : sections()) names.push_back("[" + std::string(x.name) + "]");
      fail(config_error::kind::unknown_key, line_of(table),
           table.is_table() ? "[" + name + "]" : name, {}, one_of(names));
      continue;
    }
    if (!table.is_table()) {
      wrong_type(table, name, "a table [" + name + "]");
      continue;
    }
    for (const auto& [key, v] : table.as_table()) {
      if (std::find(s->keys.begin(), s->keys.end(), key) == s->keys.end())
        fail(config_error::kind::unknown_key, line_of(v), key_name(name, key), {}, one_of(s->keys));
    }
  }
}

const value* reader::find(const value& root, std::string_view table, std::string_view key) const {
  const auto& top = root.as_table();
  const auto t = top.find(std::string(table));
  if (t == top.end() || !t->second.is_table()) return nullptr;
  const auto& keys = t->second.as_table();
  const auto k = keys.find(std::string(key));
  return k == keys.end() ? nullptr : &k->second;
}

std::optional<std::string> reader::string_at(const value& root, std::string_view table,
                                             std::string_view key, std::string_view expected) {
  const auto* v = find(root, table, key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_string()) {
    wrong_type(*v, key_name(table, key), std::string(expected));
    return std::nullopt;
  }
  return v->as_string().str;
}

std::optional<std::filesystem::path> reader::path_at(const value& root, std::string_view table,
                                                     std::string_view key) {
  const auto text = string_at(root, table, key, "a path (a string)");
  if (!text) return std::nullopt;
  if (text->empty()) {
    bad_value(*find(root, table, key), key_name(table, key), "a non-empty path");
    return std::nullopt;
  }
  const std::filesystem::path p(*text);
  return p.is_absolute() ? p : (base_ / p).lexically_normal();
}

std::optional<bool> reader::bool_at(const value& root, std::string_view table,
                                    std::string_view key) {
  const auto* v = find(root, table, key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_boolean()) {
    wrong_type(*v, key_name(table, key), "true or false");
    return std::nullopt;
  }
  return v->as_boolean();
}

template <typename Each>
bool reader::strings_at(const value& root, std::string_view table, std::string_view key,
                        std::string_view expected, Each each) {
  const auto* v = find(root, table, key);
  if (v == nullptr) return false;
  if (!v->is_array()) {
    wrong_type(*v, key_name(table, key), "an array of strings, each " + std::string(expected));
    return false;
  }
  const auto& items = v->as_array();
  for (std::size_t i = 0; i < items.size(); ++i) {
    const auto name = key_name(table, key) + "[" + std::to_string(i) + "]";
    if (!items[i].is_string()) {
      wrong_type(items[i], name, "a string, " + std::string(expected));
      continue;
    }
    if (!each(items[i].as_string().str)) bad_value(items[i], name, std::string(expected));
  }
  return true;
}

void reader::read_node(const value& root, node_config& out) {
  if (auto overlay = string_at(root, "node", "overlay", fqdn_expected)) {
    if (is_domain_name(*overlay) && overlay->find('.') != std::string::npos)
      out.overlay = std::move(*overlay);
    else
      bad_value(*find(root, "node", "overlay"), "[node] overlay", std::string(fqdn_expected));
  }
  if (auto dir = path_at(root, "node", "state_dir")) out.state_dir = std::move(*dir);

  const std::vector<std::pair<std::string_view, role>> names{
      {"peer", role::peer},         {"registrar", role::registrar},   {"proxy", role::proxy},
      {"redirect", role::redirect}, {"proxy-peer", role::proxy_peer}, {"relay", role::relay},
      {"gateway", role::gateway},   {"client", role::client}};
  std::vector<std::string_view> allowed;
  for (const auto& n : names) allowed.push_back(n.first);
  std::vector<role> roles;
  const bool given = strings_at(root, "node", "roles", one_of(allowed), [&](const std::string& s) {
    const auto r =
        std::find_if(names.begin(), names.end(), [&](const auto& n) { return n.first == s; });
    if (r == names.end()) return false;
    if (std::find(roles.begin(), roles.end(), r->second) == roles.end()) roles.push_back(r->second);
    return true;
  });
  if (given) {
    if (roles.empty() && find(root, "node", "roles")->as_array().empty())
      bad_value(*find(root, "node", "roles"), "[node] roles", "at least one role");
    const auto has = [&roles](role r) {
      return std::find(roles.begin(), roles.end(), r) != roles.end();
    };
    if (const auto conflict = client_conflict(roles))
      bad_value(*find(root, "node", "roles"), "[node] roles", *conflict);
    // A located request is either forwarded or redirected, not both.
    if (has(role::proxy) && has(role::redirect))
      bad_value(*find(root, "node", "roles"), "[node] roles",
                "\"proxy\" or \"redirect\", not both");
    // A proxy peer is found through the overlay and routes by it.
    if (has(role::proxy_peer) && (!has(role::peer) || !has(role::proxy)))
      bad_value(*find(root, "node", "roles"), "[node] roles",
                "\"peer\" and \"proxy\" with \"proxy-peer\"");
    // A relay peer is found through the overlay.
    if (has(role::relay) && !has(role::peer))
      bad_value(*find(root, "node", "roles"), "[node] roles", "\"peer\" with \"relay\"");
    out.roles = std::move(roles);
  }
}

void reader::read_sip(const value& root, node_config& out) {
  std::vector<transport::listen_spec> listen;
  const auto syntax = "\"" + std::string(listen_spec_syntax) + "\"";
  if (strings_at(root, "sip", "listen", syntax, [&](const std::string& s) {
        const auto spec = parse_listen_spec(s);
        if (spec) listen.push_back(*spec);
        return spec.has_value();
      })) {
    if (listen.empty() && find(root, "sip", "listen")->as_array().empty())
      bad_value(*find(root, "sip", "listen"), "[sip] listen", "at least one " + syntax);
    out.sip_listen = std::move(listen);
  }
  constexpr std::string_view host_expected = "the IP address others reach this node at";
  if (const auto host = string_at(root, "sip", "advertise", host_expected)) {
    out.sip_advertise = uri_host(*host);
    if (out.sip_advertise.empty())
      bad_value(*find(root, "sip", "advertise"), "[sip] advertise", std::string(host_expected));
  }
  // A wildcard listener has no address of its own to put in a Via, a
  // Record-Route or a Path.
  const auto* listen_value = find(root, "sip", "listen");
  for (std::size_t i = 0; i < out.sip_listen.size() && out.sip_advertise.empty(); ++i) {
    if (!out.sip_listen[i].address.is_unspecified()) continue;
    const bool listed =
        listen_value != nullptr && listen_value->is_array() && i < listen_value->as_array().size();
    bad_value(listed ? listen_value->as_array()[i] : root,
              "[sip] listen[" + std::to_string(i) + "]",
              "a specific address, or [sip] advertise with the address others reach it at");
    break;
  }
  std::vector<std::string> domains;
  if (strings_at(root, "sip", "domains", domain_expected, [&](const std::string& s) {
        domains.push_back(s);
        return is_domain_name(s);
      }))
    out.extra_domains = std::move(domains);
  // A peer stores its bindings in the overlay, whose records name AORs of the
  // overlay's own domain only: another domain's REGISTER would be taken and
  // then refused by the overlay (503). Refused here instead, until the
  // overlay can hold them.
  if (in_overlay(out) && !out.extra_domains.empty())
    bad_value(*find(root, "sip", "domains"), "[sip] domains",
              "no domain besides the overlay's for a peer: its bindings live in the overlay, "
              "which holds AORs of " +
                  out.overlay +
                  " only (serve other domains from a node "
                  "without the \"peer\" or \"client\" role)");

  const auto cert = path_at(root, "sip", "tls_cert");
  const auto key = path_at(root, "sip", "tls_key");
  const auto ca = path_at(root, "sip", "tls_ca");
  if (cert && key) {
    out.tls = transport::tls_files{cert->string(), key->string(), ca ? ca->string() : std::string(),
                                   ca.has_value()};
  } else if (cert || key || ca) {
    const auto* given = find(root, "sip", cert ? "tls_cert" : key ? "tls_key" : "tls_ca");
    const std::string_view missing = !key ? "tls_key" : "tls_cert";
    bad_value(*given, "[sip] " + std::string(missing), "tls_cert and tls_key given together");
  }
  // A peer's TLS defaults to its node certificate (add_peer_link_defaults).
  const bool peer = in_overlay(out);
  for (std::size_t i = 0; i < out.sip_listen.size(); ++i) {
    if (out.sip_listen[i].proto != transport::protocol::tls || out.tls || peer) continue;
    const bool listed =
        listen_value != nullptr && listen_value->is_array() && i < listen_value->as_array().size();
    const auto& at = listed ? listen_value->as_array()[i] : root;
    bad_value(at, "[sip] listen[" + std::to_string(i) + "]",
              "tls_cert and tls_key in [sip] for a tls listener");
  }
}

void reader::read_auth(const value& root, node_config& out) {
  if (const auto enabled = bool_at(root, "auth", "enabled")) out.auth_enabled = *enabled;
  if (const auto local = bool_at(root, "auth", "local_requests")) out.auth_local_requests = *local;
  if (auto users = path_at(root, "auth", "users")) out.users = std::move(*users);
  constexpr std::string_view digests = "one of \"MD5\", \"SHA-256\", \"both\"";
  if (const auto digest = string_at(root, "auth", "digest", digests)) {
    if (*digest == "MD5") {
      out.digest = {auth::algorithm::md5};
    } else if (*digest == "SHA-256") {
      out.digest = {auth::algorithm::sha256};
    } else if (*digest == "both") {
      out.digest = {auth::algorithm::sha256, auth::algorithm::md5};
    } else {
      bad_value(*find(root, "auth", "digest"), "[auth] digest", std::string(digests));
    }
  }
  if (const auto refresh = seconds_at(root, "auth", "refresh", 1, 3600))
    out.users_refresh = *refresh;
  // A peer may know its users from the overlay alone (enrolled users, with
  // users.key in state_dir); whether it holds that key is checked at start.
  const bool peer = in_overlay(out);
  if (out.auth_enabled && !peer && out.users.empty() && !find(root, "auth", "users")) {
    const auto& top = root.as_table();
    const auto t = top.find("auth");
    fail(config_error::kind::bad_value, t == top.end() ? 0 : line_of(t->second), "[auth] users", {},
         "a user file, or enabled = false to register without passwords");
  }
}

std::optional<host_port> reader::address_port_at(const value& root, std::string_view table,
                                                 std::string_view key) {
  constexpr std::string_view address_port = "\"ADDRESS:PORT\" with an IP address, PORT 0-65535";
  const auto listen = string_at(root, table, key, address_port);
  if (!listen) return std::nullopt;
  const auto hp = parse_host_port(*listen);
  asio::error_code ec;
  if (hp) (void)asio::ip::make_address(hp->host, ec);
  if (hp && !ec) return hp;
  bad_value(*find(root, table, key), key_name(table, key), std::string(address_port));
  return std::nullopt;
}

void reader::read_overlay(const value& root, node_config& out) {
  if (auto listen = address_port_at(root, "overlay", "listen")) out.overlay_listen = listen;
  std::vector<host_port> bootstrap;
  if (strings_at(root, "overlay", "bootstrap", "\"HOST:PORT\", PORT 0-65535",
                 [&](const std::string& s) {
                   const auto hp = parse_host_port(s);
                   if (hp) bootstrap.push_back(*hp);
                   return hp.has_value();
                 }))
    out.bootstrap = std::move(bootstrap);
  if (const auto* every = find(root, "overlay", "republish")) {
    constexpr std::string_view expected = "a whole number of seconds, 1-3600";
    if (!every->is_integer()) {
      wrong_type(*every, "[overlay] republish", std::string(expected));
    } else if (every->as_integer() < 1 || every->as_integer() > 3600) {
      bad_value(*every, "[overlay] republish", std::string(expected));
    } else {
      out.republish_every = std::chrono::seconds(every->as_integer());
    }
  }
  if (const auto plain = bool_at(root, "overlay", "plain_links")) out.plain_links = *plain;
  if (const auto srv = bool_at(root, "overlay", "bootstrap_srv")) out.bootstrap_srv = *srv;
}

// Links between nodes are TLS: a peer given listeners must list one. Checked
// once every key is valid, since it weighs several of them.
void reader::check_peer_links(const value& root, const node_config& out) {
  const auto* listen = find(root, "sip", "listen");
  const bool peer = in_overlay(out);
  const bool has_tls = std::any_of(
      out.sip_listen.begin(), out.sip_listen.end(),
      [](const transport::listen_spec& l) { return l.proto == transport::protocol::tls; });
  if (error_ || listen == nullptr || !peer || out.plain_links || has_tls) return;
  bad_value(
      *listen, "[sip] listen",
      "a tls: listener for the links between nodes (a peer), or [overlay] plain_links = true");
}

// RFC 6750 §2.1 b64token, long enough not to be guessed.
bool is_api_token(std::string_view t) {
  if (t.size() < 16 || t.size() > 256) return false;
  const auto body = t.substr(0, t.find_last_not_of('=') + 1);
  return !body.empty() && std::all_of(body.begin(), body.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("-._~+/").find(c) != std::string_view::npos;
  });
}

void reader::read_api(const value& root, node_config& out) {
  if (auto listen = address_port_at(root, "api", "listen")) out.api_listen = listen;
  constexpr std::string_view token_expected =
      "16-256 characters of letters, digits and -._~+/ (e.g. from: openssl rand -hex 32)";
  if (auto token = string_at(root, "api", "token", token_expected)) {
    if (is_api_token(*token))
      out.api_token = std::move(*token);
    else  // never echoed: it is a secret, even when a wrong one
      fail(config_error::kind::bad_value, line_of(*find(root, "api", "token")), "[api] token", {},
           std::string(token_expected));
  }
  if (const auto r = number_at(root, "api", "lookup_rate", 0.001, "of /lookup requests per second"))
    out.api_lookup_rate = *r;
  if (const auto b = number_at(root, "api", "lookup_burst", 1, "of /lookup requests at once"))
    out.api_lookup_burst = *b;
  // Who can reach the API learns who is registered where, and makes DHT
  // lookups: off loopback, only with a token.
  if (out.api_listen && out.api_token.empty() &&
      !asio::ip::make_address(out.api_listen->host).is_loopback())
    bad_value(*find(root, "api", "listen"), "[api] listen",
              "a loopback address, or [api] token for clients to present");
}

std::optional<double> reader::number_at(const value& root, std::string_view table,
                                        std::string_view key, double least,
                                        std::string_view expected) {
  const auto* v = find(root, table, key);
  if (v == nullptr) return std::nullopt;
  double r = 0;
  if (v->is_integer()) {
    r = static_cast<double>(v->as_integer());
  } else if (v->is_floating()) {
    r = v->as_floating();
  } else {
    wrong_type(*v, key_name(table, key), "a number " + std::string(expected));
    return std::nullopt;
  }
  if (!std::isfinite(r) || r < least) {
    std::ostringstream bound;
    bound << least;
    bad_value(*v, key_name(table, key), "a number >= " + bound.str() + " " + std::string(expected));
    return std::nullopt;
  }
  return r;
}

template <typename Integer>
void reader::integer_at(const value& root, std::string_view key, std::uint64_t least,
                        std::uint64_t most, std::string_view unit, Integer& out) {
  const auto* v = find(root, "limits", key);
  if (v == nullptr) return;
  const auto expected = "an integer " + std::to_string(least) + "-" + std::to_string(most) + " (" +
                        std::string(unit) + ")";
  if (!v->is_integer()) return wrong_type(*v, key_name("limits", key), expected);
  const auto n = v->as_integer();
  if (n < 0 || static_cast<std::uint64_t>(n) < least || static_cast<std::uint64_t>(n) > most)
    return bad_value(*v, key_name("limits", key), expected);
  out = Integer(n);
}

void reader::read_limits(const value& root, node_config& out) {
  auto& l = out.limits;
  if (const auto r = number_at(root, "limits", "rate", 0, "of requests per second (0: unlimited)"))
    l.rate = *r;
  if (const auto b = number_at(root, "limits", "burst", 1, "of requests a source may send at once"))
    l.burst = *b;
  constexpr std::uint64_t mib = 1 << 20;
  integer_at(root, "retry_after", 0, 3600, "seconds", l.retry_after);
  integer_at(root, "max_connections", 1, 1'000'000, "connections", l.max_connections);
  integer_at(root, "max_connections_per_source", 1, 1'000'000, "connections",
             l.max_connections_per_source);
  integer_at(root, "idle_timeout", 1, 86400, "seconds", l.idle_timeout);
  integer_at(root, "max_write_queue_bytes", 65536, 1024 * mib, "bytes", l.max_write_queue_bytes);
  integer_at(root, "udp_receive_buffer_bytes", 0, 1024 * mib, "bytes, 0: the kernel's default",
             l.udp_receive_buffer_bytes);
  auto& m = l.message;
  integer_at(root, "max_message_size", 1024, 16 * mib, "bytes", m.max_message_size);
  integer_at(root, "max_header_section", 512, 16 * mib, "bytes", m.max_header_section);
  integer_at(root, "max_line_length", 256, 16 * mib, "bytes", m.max_line_length);
  integer_at(root, "max_headers", 10, sip::limits::header_capacity, "header fields", m.max_headers);
  integer_at(root, "max_body_size", 0, 16 * mib, "bytes", m.max_body_size);
  check_message_limits(root, m);
  if (l.max_write_queue_bytes < m.max_message_size) {
    const auto* v = find(root, "limits", "max_write_queue_bytes");
    bad_value(v != nullptr ? *v : *find(root, "limits", "max_message_size"),
              "[limits] max_write_queue_bytes",
              "at least max_message_size (" + std::to_string(m.max_message_size) + ")");
  }
}

// A message holds its header section and its body, a header section its
// lines: a part larger than what holds it could never be reached. The key
// written in the file is named; when only the whole is, it is the one.
void reader::check_message_limits(const value& root, const sip::limits& l) {
  const auto check = [&](std::string_view part, std::size_t size, std::string_view whole,
                         std::size_t bound) {
    if (size <= bound) return;
    if (const auto* v = find(root, "limits", part))
      return bad_value(*v, key_name("limits", part),
                       "at most " + std::string(whole) + " (" + std::to_string(bound) + ")");
    bad_value(*find(root, "limits", whole), key_name("limits", whole),
              "at least " + std::string(part) + " (" + std::to_string(size) + ")");
  };
  check("max_line_length", l.max_line_length, "max_header_section", l.max_header_section);
  check("max_header_section", l.max_header_section, "max_message_size", l.max_message_size);
  check("max_body_size", l.max_body_size, "max_message_size", l.max_message_size);
}

void reader::read_hep(const value& root, node_config& out) {
  if (auto collector = address_port_at(root, "hep", "collector")) out.hep_collector = collector;
  if (const auto id = count_at(root, "hep", "capture_id", 0, 4294967295u)) out.hep_capture_id = *id;
  if (auto password = string_at(root, "hep", "password", "a string")) out.hep_password = *password;
}

void reader::read_log(const value& root, node_config& out) {
  const std::vector<std::pair<std::string_view, log_level>> names{
      {"off", log_level::off},   {"error", log_level::error}, {"warn", log_level::warn},
      {"info", log_level::info}, {"debug", log_level::debug}, {"trace", log_level::trace}};
  std::vector<std::string_view> allowed;
  for (const auto& n : names) allowed.push_back(n.first);
  const auto level = string_at(root, "log", "level", one_of(allowed));
  if (!level) return;
  const auto l =
      std::find_if(names.begin(), names.end(), [&](const auto& n) { return n.first == *level; });
  if (l == names.end())
    bad_value(*find(root, "log", "level"), "[log] level", one_of(allowed));
  else
    out.log = l->second;
}

std::optional<std::chrono::seconds> reader::seconds_at(const value& root, std::string_view table,
                                                       std::string_view key, std::int64_t least,
                                                       std::int64_t most) {
  const auto* v = find(root, table, key);
  if (v == nullptr) return std::nullopt;
  const auto expected =
      "a whole number of seconds, " + std::to_string(least) + "-" + std::to_string(most);
  if (!v->is_integer()) {
    wrong_type(*v, key_name(table, key), expected);
  } else if (v->as_integer() < least || v->as_integer() > most) {
    bad_value(*v, key_name(table, key), expected);
  } else {
    return std::chrono::seconds(v->as_integer());
  }
  return std::nullopt;
}

void reader::read_proxy_peer(const value& root, node_config& out) {
  if (auto name = string_at(root, "proxy_peer", "name", domain_expected)) {
    if (is_domain_name(*name))
      out.proxy_peer_name = std::move(*name);
    else
      bad_value(*find(root, "proxy_peer", "name"), "[proxy_peer] name",
                std::string(domain_expected));
  }
  if (const auto* d = find(root, "proxy_peer", "density")) {
    constexpr std::string_view expected = "an integer 1-64";
    if (!d->is_integer())
      wrong_type(*d, "[proxy_peer] density", std::string(expected));
    else if (d->as_integer() < 1 || d->as_integer() > 64)
      bad_value(*d, "[proxy_peer] density", std::string(expected));
    else
      out.proxy_peer_density = static_cast<unsigned>(d->as_integer());
  }
  if (const auto after = seconds_at(root, "proxy_peer", "steward_after", 1, 86400))
    out.steward_after = *after;
}

void reader::read_dns(const value& root, node_config& out) {
  constexpr std::string_view address_port = "\"ADDRESS:PORT\" with an IP address, PORT 1-65535";
  std::vector<host_port> servers;
  if (strings_at(root, "dns", "servers", address_port, [&](const std::string& s) {
        const auto hp = parse_host_port(s);
        asio::error_code ec;
        if (hp) (void)asio::ip::make_address(hp->host, ec);
        if (!hp || ec || hp->port == 0) return false;
        servers.push_back(*hp);
        return true;
      }))
    out.dns_servers = std::move(servers);
  if (auto update = address_port_at(root, "dns", "update_server")) out.dns_update_server = update;
  if (auto zone = string_at(root, "dns", "zone", domain_expected)) {
    if (is_domain_name(*zone))
      out.dns_zone = std::move(*zone);
    else
      bad_value(*find(root, "dns", "zone"), "[dns] zone", std::string(domain_expected));
  }
  if (auto key = path_at(root, "dns", "tsig_key")) out.dns_tsig_key = std::move(*key);
  if (const auto ttl = seconds_at(root, "dns", "ttl", 1, 86400)) out.dns_ttl = *ttl;
  // An update without a key would be refused by any sensible primary, and
  // one with a key but no primary goes nowhere: both are mistakes.
  if (out.dns_update_server.has_value() != !out.dns_tsig_key.empty()) {
    const auto* given = find(root, "dns", out.dns_update_server ? "update_server" : "tsig_key");
    bad_value(*given, out.dns_update_server ? "[dns] tsig_key" : "[dns] update_server",
              "update_server and tsig_key given together");
  }
  const auto has = [&out](role r) {
    return std::find(out.roles.begin(), out.roles.end(), r) != out.roles.end();
  };
  if (out.dns_update_server && !has(role::proxy_peer))
    bad_value(*find(root, "dns", "update_server"), "[dns] update_server",
              "the \"proxy-peer\" role in [node] roles: only proxy peers put themselves in DNS");
  const auto zone = out.dns_zone.empty() ? out.overlay : out.dns_zone;
  const auto inside = [&zone](const std::string& name) {
    return name.size() > zone.size() && name[name.size() - zone.size() - 1] == '.' &&
           sip::charset::iequals(std::string_view(name).substr(name.size() - zone.size()), zone);
  };
  if (out.dns_update_server && !out.proxy_peer_name.empty() && !inside(out.proxy_peer_name))
    bad_value(*find(root, "proxy_peer", "name"), "[proxy_peer] name",
              "a name inside the zone " + zone);
  if (out.dns_update_server && has(role::proxy_peer) && out.proxy_peer_name.empty()) {
    const auto& top = root.as_table();
    const auto t = top.find("dns");
    fail(config_error::kind::bad_value, t == top.end() ? 0 : line_of(t->second),
         "[proxy_peer] name", {}, "this proxy peer's own name in the zone " + zone);
  }
}

std::optional<unsigned> reader::count_at(const value& root, std::string_view table,
                                         std::string_view key, unsigned least, unsigned most) {
  const auto* v = find(root, table, key);
  if (v == nullptr) return std::nullopt;
  const auto expected = "an integer " + std::to_string(least) + "-" + std::to_string(most);
  if (!v->is_integer())
    wrong_type(*v, key_name(table, key), expected);
  else if (v->as_integer() < least || v->as_integer() > most)
    bad_value(*v, key_name(table, key), expected);
  else
    return static_cast<unsigned>(v->as_integer());
  return std::nullopt;
}

void reader::read_relay(const value& root, node_config& out) {
  const bool relay = std::find(out.roles.begin(), out.roles.end(), role::relay) != out.roles.end();
  // The relay peer checks each server itself, over UDP or TCP (not TLS yet),
  // at an address it needs no DNS for.
  constexpr std::string_view turn_expected =
      "\"turn:ADDRESS[:PORT][?transport=udp|tcp]\" with an IP address";
  std::vector<std::string> servers;
  if (strings_at(root, "relay", "servers", turn_expected, [&](const std::string& s) {
        const auto parsed = relay::parse_turn_uri(s);
        asio::error_code ec;
        if (!parsed.error) (void)asio::ip::make_address(parsed.uri.host, ec);
        if (parsed.error || ec || parsed.uri.scheme != relay::turn_scheme::turn) return false;
        servers.push_back(s);
        return true;
      }))
    out.relay_servers = std::move(servers);
  if (auto realm = string_at(root, "relay", "realm", "coturn's realm")) out.relay_realm = *realm;
  if (const auto every = seconds_at(root, "relay", "check_every", 1, 3600))
    out.relay_check_every = *every;
  const auto& top = root.as_table();
  const auto table = top.find("relay");
  if (table != top.end() && !relay)
    fail(config_error::kind::bad_value, line_of(table->second), "[node] roles", {},
         "\"relay\" in [node] roles for a [relay] table");
  // Servers given but refused have had their own error, naming the entry.
  const auto* given = find(root, "relay", "servers");
  const bool none_given = given == nullptr || (given->is_array() && given->as_array().empty());
  if (relay && out.relay_servers.empty() && none_given)
    fail(config_error::kind::bad_value, table == top.end() ? 0 : line_of(table->second),
         "[relay] servers", {}, "at least one TURN server the relay role advertises");
}

void reader::read_relays(const value& root, node_config& out) {
  if (auto secret = path_at(root, "relays", "secret")) out.turn_secret = std::move(*secret);
  if (const auto d = count_at(root, "relays", "density", 1, 64)) out.relay_density = *d;
  if (auto listen = address_port_at(root, "relays", "listen")) out.relays_listen = listen;
  if (const auto ttl = seconds_at(root, "relays", "credential_ttl", 60, 7 * 86400))
    out.credential_ttl = *ttl;
  if (const auto n = count_at(root, "relays", "per_user", 1, 16)) out.relays_per_user = *n;
  if (auto cert = path_at(root, "relays", "tls_cert")) out.relays_tls_cert = std::move(*cert);
  if (auto key = path_at(root, "relays", "tls_key")) out.relays_tls_key = std::move(*key);
  if (out.relays_tls_cert.empty() != out.relays_tls_key.empty()) {
    const auto* given = find(root, "relays", out.relays_tls_cert.empty() ? "tls_key" : "tls_cert");
    bad_value(*given, out.relays_tls_cert.empty() ? "[relays] tls_cert" : "[relays] tls_key",
              "tls_cert and tls_key given together");
  }
  const auto has = [&out](role r) {
    return std::find(out.roles.begin(), out.roles.end(), r) != out.roles.end();
  };
  const auto& top = root.as_table();
  const auto table = top.find("relays");
  const auto table_line = table == top.end() ? 0 : line_of(table->second);
  // Both the relay's checks and the credentials handed out are made with it.
  if ((has(role::relay) || out.relays_listen) && out.turn_secret.empty())
    fail(config_error::kind::bad_value, table_line, "[relays] secret", {},
         "the file holding coturn's static-auth-secret");
  if (out.relays_listen && !in_overlay(out))
    bad_value(*find(root, "relays", "listen"), "[relays] listen",
              "the \"peer\" or \"client\" role: relays are found in the overlay");
  if (out.relays_listen && !out.auth_enabled)
    bad_value(*find(root, "relays", "listen"), "[relays] listen",
              "[auth] enabled: users prove who they are with their SIP password");
}

// ------------------------------------------------------------ [gateway]

void reader::read_gateway(const value& root, node_config& out) {
  const auto has = [&out](role r) {
    return std::find(out.roles.begin(), out.roles.end(), r) != out.roles.end();
  };
  const bool gateway = has(role::gateway);
  // The numbers go to a gateway peer that nodes find in the overlay.
  if (gateway && !has(role::peer))
    bad_value(*find(root, "node", "roles"), "[node] roles", "\"peer\" with \"gateway\"");
  constexpr std::string_view trunk_expected =
      "a sip: or sips: URI without a user part, e.g. \"sip:192.0.2.5:5060;transport=udp\"";
  if (auto trunk = string_at(root, "gateway", "trunk", trunk_expected)) {
    if (proxy::trunk_request_uri(*trunk, "0").empty())
      bad_value(*find(root, "gateway", "trunk"), "[gateway] trunk", std::string(trunk_expected));
    else
      out.gateway_trunk = std::move(*trunk);
  }
  std::vector<std::string> numbers;
  if (strings_at(root, "gateway", "numbers", sip::number_pattern_syntax, [&](const std::string& s) {
        numbers.push_back(s);
        return sip::valid_number_pattern(s);
      })) {
    if (numbers.size() > overlay::content_limits::numbers)
      bad_value(*find(root, "gateway", "numbers"), "[gateway] numbers",
                "at most " + std::to_string(overlay::content_limits::numbers) + " patterns");
    out.gateway_numbers = std::move(numbers);
  }
  constexpr std::string_view user_expected = "the user name the trunk knows this gateway by";
  if (auto user = string_at(root, "gateway", "username", user_expected)) {
    if (user->empty())
      bad_value(*find(root, "gateway", "username"), "[gateway] username",
                std::string(user_expected));
    else
      out.gateway_username = std::move(*user);
  }
  if (auto file = path_at(root, "gateway", "password_file"))
    out.gateway_password_file = std::move(*file);
  if (find(root, "gateway", "username") && !find(root, "gateway", "password_file"))
    bad_value(*find(root, "gateway", "username"), "[gateway] password_file",
              "username and password_file given together");
  if (!find(root, "gateway", "username") && find(root, "gateway", "password_file"))
    bad_value(*find(root, "gateway", "password_file"), "[gateway] username",
              "username and password_file given together");
  const auto& top = root.as_table();
  const auto table = top.find("gateway");
  const auto table_line = table == top.end() ? 0 : line_of(table->second);
  if (table != top.end() && !gateway)
    fail(config_error::kind::bad_value, table_line, "[node] roles", {},
         "\"gateway\" in [node] roles for a [gateway] table");
  if (gateway && !find(root, "gateway", "trunk"))
    fail(config_error::kind::bad_value, table_line, "[gateway] trunk", {},
         "the SIP URI of the trunk this gateway peer sends numbers to");
  const auto* given = find(root, "gateway", "numbers");
  const bool none_given = given == nullptr || (given->is_array() && given->as_array().empty());
  if (gateway && none_given)
    fail(config_error::kind::bad_value, given != nullptr ? line_of(*given) : table_line,
         "[gateway] numbers", {},
         "at least one pattern of the numbers the trunk serves, " +
             std::string(sip::number_pattern_syntax));
}

void reader::read(const value& root, node_config& out) {
  check_keys(root);
  read_node(root, out);
  read_sip(root, out);
  read_auth(root, out);
  read_overlay(root, out);
  read_proxy_peer(root, out);
  read_dns(root, out);
  read_relay(root, out);
  read_relays(root, out);
  read_gateway(root, out);
  read_api(root, out);
  read_limits(root, out);
  read_log(root, out);
  read_hep(root, out);
  check_peer_links(root, out);
}

}  // namespace

void apply_limits(const node_limits& limits, transport::config& transport) {
  transport.requests_per_second_per_source = limits.rate;
  transport.burst = limits.burst;
  transport.retry_after = limits.retry_after;
  transport.max_connections = limits.max_connections;
  transport.max_connections_per_source = limits.max_connections_per_source;
  transport.idle_timeout = limits.idle_timeout;
  transport.max_write_queue_bytes = limits.max_write_queue_bytes;
  transport.udp_receive_buffer_bytes = limits.udp_receive_buffer_bytes;
  transport.message_limits = limits.message;
}

void add_peer_link_defaults(node_config& c) {
  if (!in_overlay(c)) return;
  const auto is_tls = [](const transport::listen_spec& l) {
    return l.proto == transport::protocol::tls;
  };
  if (!c.plain_links && !c.sip_listen.empty() &&
      std::none_of(c.sip_listen.begin(), c.sip_listen.end(), is_tls))
    c.sip_listen.push_back({transport::protocol::tls, c.sip_listen.front().address, 5061});
  if (!c.tls) {
    c.tls = node_link_tls(c.state_dir);
    return;
  }
  if (c.tls->ca.empty()) c.tls->ca = (c.state_dir / "ca.crt").string();
  c.tls->verify_peer = true;
  c.tls->authenticate = is_node_certificate;
}

std::variant<node_config, config_error> load_config(const std::filesystem::path& path) {
  const auto file = path.string();
  if (!std::ifstream(path)) {
    return config_error{config_error::kind::unreadable, file, 0, {}, {},
                        "cannot be opened for reading"};
  }
  std::error_code ec;
  auto base = std::filesystem::absolute(path, ec).parent_path();
  if (ec) base = path.parent_path();
  try {
    const auto root = toml::parse(file);
    reader r(file, base);
    node_config out;
    r.read(root, out);
    if (out.state_dir.empty()) out.state_dir = base / "state";
    if (auto error = r.error()) return *std::move(error);
    add_peer_link_defaults(out);
    return out;
  } catch (const toml::exception& e) {
    return config_error{config_error::kind::syntax, file, e.location().line(), {}, {}, e.what()};
  } catch (const std::exception& e) {
    return config_error{config_error::kind::unreadable, file, 0, {}, {}, e.what()};
  }
}

}  // namespace p2psip::node
