#include "overlay/record_content.hpp"

#include <algorithm>
#include <vector>

#include "secrets/sealed_box.hpp"
#include "sip/charset.hpp"
#include "sip/headers.hpp"
#include "sip/telephone_number.hpp"
#include "sip/uri.hpp"

namespace p2psip::overlay {
namespace {

using limits = content_limits;

bool is_control(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}

bool has_control(std::string_view s) {
  return std::any_of(s.begin(), s.end(), is_control);
}

// Every string of a record, so that the control-character check cannot miss
// a field.
std::vector<std::string_view> strings_of(const binding_record& b) {
  std::vector<std::string_view> out{b.aor, b.contact, b.instance};
  out.insert(out.end(), b.path.begin(), b.path.end());
  return out;
}

std::vector<std::string_view> strings_of(const node_record& n) {
  std::vector<std::string_view> out{n.node_id};
  out.insert(out.end(), n.uris.begin(), n.uris.end());
  return out;
}

std::vector<std::string_view> strings_of(const service_record& s) {
  std::vector<std::string_view> out{s.service, s.node_id, s.realm, s.auth_scheme};
  out.insert(out.end(), s.uris.begin(), s.uris.end());
  out.insert(out.end(), s.numbers.begin(), s.numbers.end());
  return out;
}

// A user record's strings are all sealed: user_secrets checks them once opened.
std::vector<std::string_view> strings_of(const user_record&) {
  return {};
}

// A contact becomes the Request-URI of the requests forwarded to it.
content_fault contact_fault(std::string_view contact) {
  if (contact.size() > limits::contact) return content_fault::contact_too_long;
  const auto u = sip::parse_uri(contact);
  if (!u || !u->is_sip()) return content_fault::contact_not_sip;
  if (!u->headers.empty()) return content_fault::contact_has_headers;
  return content_fault::none;
}

// A node's or a SIP service's URI is a next hop: a Request-URI or a Route.
content_fault sip_hop_fault(std::string_view text) {
  const auto u = sip::parse_uri(text);
  if (!u || !u->is_sip()) return content_fault::uri_wrong_scheme;
  if (!u->headers.empty()) return content_fault::uri_has_headers;
  return content_fault::none;
}

// RFC 7065: turn:host[:port][?transport=...], or turns:.
content_fault turn_uri_fault(std::string_view text) {
  const auto u = sip::parse_uri(text);
  const bool turn = u && (sip::charset::iequals(u->scheme_text, "turn") ||
                          sip::charset::iequals(u->scheme_text, "turns"));
  return turn ? content_fault::none : content_fault::uri_wrong_scheme;
}

// path-value = name-addr *( SEMI rr-param ) (RFC 3327), as the registrar
// accepts it from a Path header: each entry becomes one Route value.
content_fault path_entry_fault(std::string_view hop) {
  if (hop.size() > limits::path_entry) return content_fault::path_entry_too_long;
  const auto parsed = sip::parse_name_addr(hop);
  if (!parsed) return content_fault::path_entry_not_name_addr;
  if (!parsed->address.is_sip()) return content_fault::path_entry_not_sip;
  if (!parsed->address.headers.empty()) return content_fault::path_entry_has_headers;
  return content_fault::none;
}

// The registrar writes the instance back between double quotes; inside them
// a quote or a backslash must be escaped (quoted-pair, RFC 3261 §25.1), or
// the value would end early and the rest be read as more parameters.
bool quotable(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '"') return false;
    if (text[i] == '\\' && ++i == text.size()) return false;
  }
  return true;
}

// As the overlay CA issues node ids (identity/authority.cpp).
bool is_node_id(std::string_view id) {
  return !id.empty() && id.size() <= limits::node_id &&
         std::all_of(id.begin(), id.end(), [](char c) {
           return sip::charset::is_alphanum(c) || c == '.' || c == '_' || c == '-';
         });
}

bool is_token(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), sip::charset::is_token);
}

content_fault uris_fault(const std::vector<std::string>& uris,
                         content_fault (*fault_of)(std::string_view)) {
  if (uris.size() > limits::uris) return content_fault::too_many_uris;
  for (const auto& u : uris) {
    if (u.size() > limits::uri) return content_fault::uri_too_long;
    if (const auto f = fault_of(u); f != content_fault::none) return f;
  }
  return content_fault::none;
}

content_fault fields_fault(const binding_record& b) {
  if (b.aor.size() > limits::aor) return content_fault::aor_too_long;
  if (const auto f = contact_fault(b.contact); f != content_fault::none) return f;
  if (b.path.size() > limits::path_entries) return content_fault::too_many_path_entries;
  for (const auto& hop : b.path)
    if (const auto f = path_entry_fault(hop); f != content_fault::none) return f;
  if (b.instance.size() > limits::instance) return content_fault::instance_too_long;
  if (!quotable(b.instance)) return content_fault::instance_not_quotable;
  return content_fault::none;
}

content_fault fields_fault(const node_record& n) {
  if (!is_node_id(n.node_id)) return content_fault::bad_node_id;
  return uris_fault(n.uris, sip_hop_fault);
}

content_fault fields_fault(const service_record& s) {
  if (!is_node_id(s.node_id)) return content_fault::bad_node_id;
  for (std::string_view name :
       {std::string_view{s.service}, std::string_view{s.realm}, std::string_view{s.auth_scheme}})
    if (name.size() > limits::name) return content_fault::name_too_long;
  if (!s.auth_scheme.empty() && !is_token(s.auth_scheme)) return content_fault::bad_auth_scheme;
  // A gateway peer's patterns are matched against dialled numbers by every
  // node that routes a call.
  if (s.numbers.size() > limits::numbers) return content_fault::too_many_numbers;
  for (const auto& pattern : s.numbers)
    if (!sip::valid_number_pattern(pattern)) return content_fault::bad_number_pattern;
  // Which service it is, record_verifier checks against the key.
  return uris_fault(s.uris, s.service.starts_with("turn:") ? turn_uri_fault : sip_hop_fault);
}

content_fault fields_fault(const user_record& u) {
  if (u.sealed.size() < secrets::box_overhead || u.sealed.size() > limits::sealed)
    return content_fault::sealed_size;
  return content_fault::none;
}

}  // namespace

std::string_view to_string(content_fault f) {
  switch (f) {
    case content_fault::none:
      return "none";
    case content_fault::control_character:
      return "control_character";
    case content_fault::aor_too_long:
      return "aor_too_long";
    case content_fault::contact_too_long:
      return "contact_too_long";
    case content_fault::contact_not_sip:
      return "contact_not_sip";
    case content_fault::contact_has_headers:
      return "contact_has_headers";
    case content_fault::too_many_path_entries:
      return "too_many_path_entries";
    case content_fault::path_entry_too_long:
      return "path_entry_too_long";
    case content_fault::path_entry_not_name_addr:
      return "path_entry_not_name_addr";
    case content_fault::path_entry_not_sip:
      return "path_entry_not_sip";
    case content_fault::path_entry_has_headers:
      return "path_entry_has_headers";
    case content_fault::instance_too_long:
      return "instance_too_long";
    case content_fault::instance_not_quotable:
      return "instance_not_quotable";
    case content_fault::bad_node_id:
      return "bad_node_id";
    case content_fault::too_many_uris:
      return "too_many_uris";
    case content_fault::uri_too_long:
      return "uri_too_long";
    case content_fault::uri_wrong_scheme:
      return "uri_wrong_scheme";
    case content_fault::uri_has_headers:
      return "uri_has_headers";
    case content_fault::name_too_long:
      return "name_too_long";
    case content_fault::bad_auth_scheme:
      return "bad_auth_scheme";
    case content_fault::sealed_size:
      return "sealed_size";
    case content_fault::too_many_numbers:
      return "too_many_numbers";
    case content_fault::bad_number_pattern:
      return "bad_number_pattern";
  }
  return "unknown";
}

content_fault content_fault_of(const record& body) {
  return std::visit(
      [](const auto& b) {
        const auto strings = strings_of(b);
        if (std::any_of(strings.begin(), strings.end(), has_control))
          return content_fault::control_character;
        return fields_fault(b);
      },
      body);
}

}  // namespace p2psip::overlay
