// Overlay values as a reader or a storer gets them from the DHT: decoding
// (overlay::open) and the whole verification (record_verifier::check) on
// arbitrary bytes, looked up under the key the decoded record names, at the
// seeds' clock with the seeds' CA as trust anchor (record_seeds.hpp), so
// well-formed seeds reach every verdict. Beyond not crashing:
// - the verdict is malformed exactly when open() finds no record, and
//   nothing larger than max_record_bytes is ever decoded;
// - a record refused for its contents says why, with a name;
// - a record whose contents passed (any later verdict: a mutation usually
//   breaks the signature, but the contents were checked first) keeps the
//   bounds of record_content.hpp, holds no control character, and can be
//   used the way a node uses it: forwarded as the proxy does (Request-URI =
//   contact, one Route per path entry, the instance in a Contact), the
//   request parses back with exactly those values and passes validation;
// - a valid record has not expired.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "identity/authority.hpp"
#include "identity/trust.hpp"
#include "overlay/record_codec.hpp"
#include "overlay/record_content.hpp"
#include "overlay/record_verifier.hpp"
#include "record_seeds.hpp"
#include "secrets/sealed_box.hpp"
#include "sip/editor.hpp"
#include "sip/headers.hpp"
#include "sip/parser.hpp"
#include "sip/telephone_number.hpp"
#include "sip/validate.hpp"

extern "C" std::size_t LLVMFuzzerMutate(std::uint8_t* data, std::size_t size, std::size_t max_size);

namespace {

using namespace p2psip;
using namespace p2psip::overlay;

void check(bool ok) {
  if (!ok) std::abort();
}

identity::certificate load_ca() {
  std::ifstream in(P2PSIP_RECORD_SEEDS_CA);
  const std::string pem{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  std::error_code ec;
  auto ca = identity::certificate::from_pem(pem, ec);
  if (ec) {
    std::fprintf(stderr, "record_fuzzer: no CA certificate in %s: %s\n", P2PSIP_RECORD_SEEDS_CA,
                 ec.message().c_str());
    std::abort();
  }
  return ca;
}

struct harness {
  identity::certificate ca = load_ca();
  wall_clock::time_point now = fuzz::record_clock(ca);
  record_verifier verifier{fuzz::record_overlay, identity::trust_anchor{ca}};
  // Seals the records the mutator changes. Its CA is not the seeds' one.
  identity::issued resealer =
      identity::certificate_authority::create(fuzz::record_overlay).issue_node("mutator", true);
};

harness& the_harness() {
  static harness h;
  return h;
}

bool printable(std::string_view s) {
  return std::none_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

void check_strings(const std::vector<std::string>& list, std::size_t count, std::size_t each) {
  check(list.size() <= count);
  for (const auto& s : list) check(s.size() <= each && printable(s));
}

// An INVITE as it reaches the node whose location holds the binding.
const sip::message& incoming_invite() {
  static const std::string text =
      "INVITE sip:alice@p2psip.test SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKfuzz\r\n"
      "Max-Forwards: 70\r\n"
      "From: <sip:bob@p2psip.test>;tag=f\r\n"
      "To: <sip:alice@p2psip.test>\r\n"
      "Call-ID: record-fuzzer@192.0.2.1\r\n"
      "CSeq: 1 INVITE\r\n"
      "Content-Length: 0\r\n\r\n";
  static const sip::message parsed = [] {
    sip::message m;
    check(static_cast<bool>(sip::parse(text, m)));
    return m;
  }();
  return parsed;
}

// The URI of a Route value, which must carry no headers (RFC 3261 §19.1.1).
std::string_view route_uri(std::string_view name_addr) {
  const auto parsed = sip::parse_name_addr(name_addr);
  check(parsed && parsed->address.is_sip() && parsed->address.headers.empty());
  return parsed->address.text;
}

// The binding used the way the proxy and registrar use one: the request
// forwarded to it, with the binding as the registrar would list it.
void check_forwarded(const binding_record& b) {
  sip::message_editor e(incoming_invite());
  e.set_request_uri(b.contact);
  for (auto hop = b.path.rbegin(); hop != b.path.rend(); ++hop) e.push_route(*hop);
  std::string listed = "<" + b.contact + ">";
  if (!b.instance.empty()) listed += ";+sip.instance=\"" + b.instance + "\"";
  e.add_header(sip::header_id::contact, listed);
  const std::string text = e.str();

  sip::message m;
  check(static_cast<bool>(sip::parse(text, m)));
  check(validate_request(m).acceptable());
  check(m.request().uri_text == b.contact);
  std::vector<std::string_view> routes;
  for (const auto& v : m.values(sip::header_id::route)) routes.push_back(v.text);
  check(routes.size() == b.path.size());
  for (std::size_t i = 0; i < routes.size(); ++i)
    check(route_uri(routes[i]) == route_uri(b.path[i]));
  const auto contact = m.values(sip::header_id::contact).front();
  check(contact.has_value());
  const auto listed_again = sip::parse_contact(*contact);
  check(listed_again.has_value() && listed_again->address.address.text == b.contact &&
        listed_again->instance == b.instance);
}

void check_usable(const binding_record& b) {
  check(b.aor.size() <= content_limits::aor && printable(b.aor));
  check(b.contact.size() <= content_limits::contact && printable(b.contact));
  check(b.instance.size() <= content_limits::instance && printable(b.instance));
  check_strings(b.path, content_limits::path_entries, content_limits::path_entry);
  check_forwarded(b);
}

void check_usable(const node_record& n) {
  check(printable(n.node_id) && n.node_id.size() <= content_limits::node_id);
  check_strings(n.uris, content_limits::uris, content_limits::uri);
  for (const auto& u : n.uris) {
    const auto parsed = sip::parse_uri(u);
    check(parsed && parsed->is_sip() && parsed->headers.empty());
  }
}

void check_usable(const service_record& s) {
  check(printable(s.node_id) && s.node_id.size() <= content_limits::node_id);
  for (const auto& name : {s.service, s.realm, s.auth_scheme})
    check(printable(name) && name.size() <= content_limits::name);
  check_strings(s.uris, content_limits::uris, content_limits::uri);
  // Gateway peers' patterns are matched against dialled numbers.
  check_strings(s.numbers, content_limits::numbers, sip::max_number_pattern);
  for (const auto& n : s.numbers) check(sip::valid_number_pattern(n));
}

// A user record's contents are sealed: only their size is bounded here, and
// readers open them with the users key (overlay/user_secrets.hpp).
void check_usable(const user_record& u) {
  check(u.sealed.size() >= secrets::box_overhead && u.sealed.size() <= content_limits::sealed);
}

// The structure-aware half of the mutations (see LLVMFuzzerCustomMutator).

std::vector<std::string*> strings_in(binding_record& b) {
  std::vector<std::string*> out{&b.aor, &b.contact, &b.instance};
  for (auto& hop : b.path) out.push_back(&hop);
  return out;
}

std::vector<std::string*> strings_in(node_record& n) {
  std::vector<std::string*> out{&n.node_id};
  for (auto& u : n.uris) out.push_back(&u);
  return out;
}

std::vector<std::string*> strings_in(service_record& s) {
  std::vector<std::string*> out{&s.service, &s.node_id, &s.realm, &s.auth_scheme};
  for (auto& u : s.uris) out.push_back(&u);
  for (auto& n : s.numbers) out.push_back(&n);
  return out;
}

std::vector<std::string>& list_in(binding_record& b) {
  return b.path;
}
template <class Record>
std::vector<std::string>& list_in(Record& r) {
  return r.uris;
}

// libFuzzer's own byte mutations, applied to one string, with room to grow
// past the longest bound.
void mutate_string(std::string& s) {
  if (s.empty()) s = "a";
  const std::size_t room = std::min<std::size_t>(2 * s.size() + 64, 2 * content_limits::contact);
  const std::size_t size = std::min(s.size(), room);
  s.resize(room);
  s.resize(LLVMFuzzerMutate(reinterpret_cast<std::uint8_t*>(s.data()), size, room));
}

// libFuzzer's own byte mutations of a user record's box, which may grow
// past its bound.
void mutate_bytes(std::vector<std::uint8_t>& bytes) {
  const std::size_t room = 2 * content_limits::sealed;
  const std::size_t size = std::min(bytes.size(), room);
  bytes.resize(room);
  bytes.resize(LLVMFuzzerMutate(bytes.data(), size, room));
}

// One entry of the record's list copied or dropped.
void mutate_list(std::vector<std::string>& list, std::minstd_rand& random) {
  if (list.empty() || random() % 2 == 0) {
    list.push_back(list.empty() ? "<sip:127.0.0.1;lr>" : list[random() % list.size()]);
  } else {
    list.erase(list.begin() + static_cast<std::ptrdiff_t>(random() % list.size()));
  }
}

}  // namespace

// Byte mutations of a signed record rarely keep it decodable, and never make
// a string longer or a list longer than a bound, as its length prefix would
// have to change with it. So half of the mutations are made on the decoded
// record (one string's bytes, or one list entry copied or dropped), which is
// then sealed again by the harness's own signer. That signer is not under the
// seeds' CA, so such a record reaches untrusted_signer at best; but contents
// are checked before the signer, and contents are what these mutations aim at.
extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t* data, std::size_t size,
                                               std::size_t max_size, unsigned int seed) {
  std::minstd_rand random(seed);
  std::optional<envelope> env;
  if (random() % 2 == 0) env = open(key{}, std::span<const std::uint8_t>(data, size));
  if (!env) return LLVMFuzzerMutate(data, size, max_size);

  std::visit(
      [&](auto& body) {
        if constexpr (std::is_same_v<std::decay_t<decltype(body)>, user_record>) {
          mutate_bytes(body.sealed);
        } else {
          if (random() % 3 == 0) return mutate_list(list_in(body), random);
          auto strings = strings_in(body);
          mutate_string(*strings[random() % strings.size()]);
        }
      },
      env->body);
  const harness& h = the_harness();
  const auto sealed =
      seal(fuzz::reader_key(env->body), env->body, env->sequence, h.resealer.key, h.resealer.cert);
  if (sealed.size() > max_size) return LLVMFuzzerMutate(data, size, max_size);
  std::copy(sealed.begin(), sealed.end(), data);
  return sealed.size();
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  harness& h = the_harness();
  const std::span<const std::uint8_t> bytes(data, size);
  const std::optional<envelope> env = open(key{}, bytes);
  check(!env || size <= max_record_bytes);
  if (!env) return 0;

  const key k = fuzz::reader_key(env->body);
  const value v{value_id(k, env->body), type_of(env->body), {bytes.begin(), bytes.end()}};
  const checked_value c = h.verifier.check(k, v, h.now);
  check(c.status != verdict::malformed && c.env.has_value());
  check(c.env->body == env->body && c.env->sequence == env->sequence);

  if (c.status == verdict::bad_content) {
    check(c.fault != content_fault::none && to_string(c.fault) != "unknown");
    return 0;
  }
  check(c.fault == content_fault::none);
  std::visit([](const auto& body) { check_usable(body); }, c.env->body);
  if (c.status == verdict::valid) check(expires_at(c.env->body) > wall_clock::to_time_t(h.now));
  return 0;
}
