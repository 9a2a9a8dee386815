#include "proxy/routing.hpp"

#include <array>
#include <charconv>

#include "proxy/core.hpp"

namespace p2psip::proxy {
namespace {

// FNV-1a, 64 bits: stable across runs and builds, unlike std::hash.
struct fnv {
  std::uint64_t h = 1469598103934665603ull;
  void add(std::string_view s) {
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
    h = (h ^ 0xff) * 1099511628211ull;  // a separator, so ("ab","c") != ("a","bc")
  }
  std::string hex() const {
    std::array<char, 17> buf{};
    const auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), h, 16);
    return std::string(buf.data(), end);
  }
};

bool names_us(std::string_view value, const proxy_core& core) {
  const auto route = sip::parse_name_addr(value);
  return route && core.is_local_host(route->address.host_text(), route->address.port,
                                     route->address.has_port);
}

}  // namespace

std::size_t own_route_count(const sip::message& m, const proxy_core& core) {
  std::size_t count = 0;
  for (const auto& v : m.values(sip::header_id::route)) {
    if (!names_us(v.text, core)) break;
    ++count;
  }
  return count;
}

std::optional<sip::uri> first_foreign_route(const sip::message& m, const proxy_core& core) {
  for (const auto& v : m.values(sip::header_id::route)) {
    if (names_us(v.text, core)) continue;
    const auto route = sip::parse_name_addr(v.text);
    if (!route) return std::nullopt;
    return route->address;
  }
  return std::nullopt;
}

std::string loop_hash(const sip::message& m) {
  fnv f;
  f.add(m.request().uri_text);
  f.add(m.from().tag());
  f.add(m.to().tag());
  f.add(m.call_id());
  f.add(std::to_string(m.cseq().number));
  for (const auto& v : m.values(sip::header_id::route)) f.add(v.text);
  return f.hex();
}

std::string stateless_hash(const sip::message& m) {
  fnv f;
  f.add(m.top_via().branch);
  f.add(m.top_via().host);
  f.add(m.request().uri_text);
  f.add(m.call_id());
  return f.hex();
}

}  // namespace p2psip::proxy
