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
  }
  return "?";
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

// The known tables and their keys; anything else is an unknown key.
struct section {
  std::string_view name;
  std::vector<std::string_view> keys;
};
const std::vector<section>& sections() {
  static const std::vector<section> known{
      {"node", {"overlay", "state_dir", "roles"}},
      {"sip", {"listen", "advertise", "domains", "tls_cert", "tls_key", "tls_ca"}},
      {"auth", {"enabled", "users", "digest", "local_requests"}},
      {"overlay", {"listen", "bootstrap", "republish"}},
      {"api", {"listen"}},
      {"limits", {"rate"}},
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
  std::optional<host_port> address_port_at(const value& root, std::string_view table,
                                           std::string_view key);
  void read_limits(const value& root, node_config& out);
  void read_log(const value& root, node_config& out);

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
  if (auto overlay = string_at(root, "node", "overlay", domain_expected)) {
    if (is_domain_name(*overlay))
      out.overlay = std::move(*overlay);
    else
      bad_value(*find(root, "node", "overlay"), "[node] overlay", std::string(domain_expected));
  }
  if (auto dir = path_at(root, "node", "state_dir")) out.state_dir = std::move(*dir);

  const std::vector<std::pair<std::string_view, role>> names{{"peer", role::peer},
                                                             {"registrar", role::registrar},
                                                             {"proxy", role::proxy},
                                                             {"redirect", role::redirect}};
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
    // A located request is either forwarded or redirected, not both.
    if (has(role::proxy) && has(role::redirect))
      bad_value(*find(root, "node", "roles"), "[node] roles",
                "\"proxy\" or \"redirect\", not both");
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
  for (std::size_t i = 0; i < out.sip_listen.size(); ++i) {
    if (out.sip_listen[i].proto != transport::protocol::tls || out.tls) continue;
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
  if (out.auth_enabled && out.users.empty() && !find(root, "auth", "users")) {
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
}

void reader::read_api(const value& root, node_config& out) {
  if (auto listen = address_port_at(root, "api", "listen")) out.api_listen = listen;
}

void reader::read_limits(const value& root, node_config& out) {
  const auto* rate = find(root, "limits", "rate");
  if (rate == nullptr) return;
  double r = 0;
  if (rate->is_integer()) {
    r = static_cast<double>(rate->as_integer());
  } else if (rate->is_floating()) {
    r = rate->as_floating();
  } else {
    wrong_type(*rate, "[limits] rate", "a number of requests per second (0: unlimited)");
    return;
  }
  if (!std::isfinite(r) || r < 0) {
    bad_value(*rate, "[limits] rate", "a number >= 0 (0: unlimited)");
    return;
  }
  out.rate = r;
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

void reader::read(const value& root, node_config& out) {
  check_keys(root);
  read_node(root, out);
  read_sip(root, out);
  read_auth(root, out);
  read_overlay(root, out);
  read_api(root, out);
  read_limits(root, out);
  read_log(root, out);
}

}  // namespace

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
    return out;
  } catch (const toml::exception& e) {
    return config_error{config_error::kind::syntax, file, e.location().line(), {}, {}, e.what()};
  } catch (const std::exception& e) {
    return config_error{config_error::kind::unreadable, file, 0, {}, {}, e.what()};
  }
}

}  // namespace p2psip::node
