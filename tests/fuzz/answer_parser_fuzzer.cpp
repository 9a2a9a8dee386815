// The resolver's answer parser (dns/answer_parser) on arbitrary responses:
// what a DNS server, or anyone who can spoof its datagrams, sends back to a
// node resolving a SIP target (RFC 3263). The first byte picks the
// question's type (dns_seeds.hpp). Beyond not crashing:
// - the error is one the header lists, and parsing is a function of the bytes;
// - only the vector of the question's type is filled, and only on success,
//   which has at least one record and a TTL;
// - a failure other than not_found and no_data carries nothing, not even a TTL;
// - the names it hands on (SRV targets, NAPTR replacements) are printable
//   text without spaces, as they go into SIP URIs and log lines, and keep
//   no trailing dot but the root's.
#include <cstdint>
#include <string>

#include "dns/answer_parser.hpp"
#include "dns/error.hpp"
#include "dns_seeds.hpp"

namespace {

using namespace p2psip::dns;
using p2psip::fuzz::check;

// A dot that ends a name is the root's unless it is escaped ("a\\."): a
// label may hold a dot.
bool ends_in_root_dot(const std::string& name) {
  if (name.empty() || name.back() != '.') return false;
  std::size_t backslashes = 0;
  for (auto i = name.size() - 1; i > 0 && name[i - 1] == '\\'; --i) ++backslashes;
  return backslashes % 2 == 0;
}

bool plain_name(const std::string& name) {
  if (name.empty()) return false;
  for (const char c : name)
    if (c <= ' ' || c > '~') return false;
  return name == "." || !ends_in_root_dot(name);
}

bool same(const parsed_answer& a, const parsed_answer& b) {
  return a.error == b.error && a.result.naptrs == b.result.naptrs &&
         a.result.srvs == b.result.srvs && a.result.addresses == b.result.addresses &&
         a.result.ttl == b.result.ttl;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const auto type = p2psip::fuzz::answer_types[data[0] % p2psip::fuzz::answer_types.size()];
  const auto* wire = data + 1;
  const auto wire_size = size - 1;
  const auto parsed = parse_answer(wire, wire_size, type);
  check(same(parsed, parse_answer(wire, wire_size, type)));

  const auto& r = parsed.result;
  const auto count = r.naptrs.size() + r.srvs.size() + r.addresses.size();
  if (!parsed.error) {
    check(count > 0 && r.ttl.has_value() && r.ttl->count() >= 0);
    check(type == rr_type::naptr || r.naptrs.empty());
    check(type == rr_type::srv || r.srvs.empty());
    check(type == rr_type::a || type == rr_type::aaaa || r.addresses.empty());
    for (const auto& a : r.addresses) check(a.is_v4() == (type == rr_type::a));
    for (const auto& s : r.srvs) check(plain_name(s.target));
    for (const auto& n : r.naptrs) check(plain_name(n.replacement));
    return 0;
  }
  check(count == 0);
  if (parsed.error == error::not_found || parsed.error == error::no_data) return 0;
  check(parsed.error == error::server_failure || parsed.error == error::refused ||
        parsed.error == error::bad_response);
  check(!r.ttl.has_value());
  return 0;
}
