#include "relay/turn_uri.hpp"

#include <algorithm>
#include <asio/ip/address.hpp>
#include <cctype>
#include <charconv>

#include "relay/error.hpp"

namespace p2psip::relay {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// reg-name (RFC 3986 §3.2.2) as DNS names use it: letters, digits, hyphens
// and dots. Percent-encoding and sub-delims name no host we could reach.
bool is_reg_name(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
  });
}

bool is_ipv6(std::string_view s) {
  std::error_code ec;
  asio::ip::make_address_v6(std::string(s), ec);
  return !ec;
}

parsed_turn_uri fail(error e) {
  return {{}, make_error_code(e)};
}

// host [ ":" port ]: what is left between the scheme and the query.
std::error_code read_authority(std::string_view s, turn_uri& u) {
  std::string_view rest;
  if (s.starts_with('[')) {
    const auto close = s.find(']');
    if (close == std::string_view::npos || !is_ipv6(s.substr(1, close - 1)))
      return error::bad_uri_host;
    u.host = std::string(s.substr(1, close - 1));
    rest = s.substr(close + 1);
  } else {
    const auto colon = s.find(':');
    const auto host = s.substr(0, colon);
    if (!is_reg_name(host)) return error::bad_uri_host;
    u.host = std::string(host);
    rest = colon == std::string_view::npos ? std::string_view{} : s.substr(colon);
  }
  if (rest.empty()) return {};
  if (!rest.starts_with(':')) return error::bad_uri_host;
  const auto digits = rest.substr(1);
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() || port == 0 ||
      port > 65535)
    return error::bad_uri_port;
  u.port = static_cast<std::uint16_t>(port);
  u.port_given = true;
  return {};
}

}  // namespace

parsed_turn_uri parse_turn_uri(std::string_view text) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) return fail(error::bad_uri_scheme);
  turn_uri u;
  const auto scheme = text.substr(0, colon);
  if (iequals(scheme, "turn")) {
    u.scheme = turn_scheme::turn;
    u.port = turn_default_port;
  } else if (iequals(scheme, "turns")) {
    u.scheme = turn_scheme::turns;
    u.port = turns_default_port;
  } else {
    return fail(error::bad_uri_scheme);
  }
  auto rest = text.substr(colon + 1);
  const auto question = rest.find('?');
  if (auto ec = read_authority(rest.substr(0, question), u)) return {{}, ec};
  if (question == std::string_view::npos) return {std::move(u), {}};
  const auto query = rest.substr(question + 1);
  constexpr std::string_view key = "transport=";
  if (query.size() < key.size() || !iequals(query.substr(0, key.size()), key))
    return fail(error::bad_uri_query);
  const auto value = query.substr(key.size());
  if (iequals(value, "udp"))
    u.transport = turn_transport::udp;
  else if (iequals(value, "tcp"))
    u.transport = turn_transport::tcp;
  else
    return fail(error::bad_uri_query);
  return {std::move(u), {}};
}

std::string_view to_string(turn_transport t) {
  return t == turn_transport::udp ? "udp" : "tcp";
}

std::string to_string(const turn_uri& u) {
  std::string out = u.scheme == turn_scheme::turn ? "turn:" : "turns:";
  out += u.host.find(':') == std::string::npos ? u.host : "[" + u.host + "]";
  if (u.port_given) out += ":" + std::to_string(u.port);
  if (u.transport) out += "?transport=" + std::string(to_string(*u.transport));
  return out;
}

}  // namespace p2psip::relay
