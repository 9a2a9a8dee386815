// What the strings of a record may hold. A good signature says who wrote a
// record, not that its contents are sane: a buggy or hostile node, or a user,
// holding a valid certificate can sign a contact with CR LF in it, a tel: URI
// or a Path of hundreds of entries. Readers put a binding's contact into the
// Request-URI and its path into the Route of the requests they forward, and
// the registrar writes bindings back into Contact headers, so every string
// that can end up in a SIP message is held to the grammar that message needs,
// and every string and list is bounded.
//
// record_verifier refuses a record with a fault (verdict::bad_content) on
// both sides: readers never hand it on, storers never keep it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "overlay/records.hpp"

namespace p2psip::overlay {

// Bounds, in bytes or entries. The codec already caps a whole value at
// max_record_bytes (4 KiB) and each string at 1 KiB; these are tighter where
// a real record is much smaller, so one record cannot fill a forwarded
// request with Route headers.
struct content_limits {
  // An AOR, as the overlay CA certifies it (identity/authority.cpp).
  static constexpr std::size_t aor = 256;
  // A Contact URI: room for RFC 8599 push parameters and a GRUU.
  static constexpr std::size_t contact = 1024;
  // One Path entry: a node's own is <sip:FLOW-TOKEN@host:port;transport=tcp;lr>.
  static constexpr std::size_t path_entry = 512;
  // Path entries of one binding: the registering node's, plus a few edge
  // proxies in front of it.
  static constexpr std::size_t path_entries = 8;
  // +sip.instance: a "<urn:uuid:...>" is 47 bytes; other URNs are longer.
  static constexpr std::size_t instance = 256;
  // A node id, as the overlay CA issues it (identity/authority.cpp).
  static constexpr std::size_t node_id = 64;
  // URIs of a node or a service: one per transport.
  static constexpr std::size_t uris = 8;
  static constexpr std::size_t uri = 512;
  // A service name, a TURN realm or an auth scheme.
  static constexpr std::size_t name = 256;
  // A user record's sealed secrets: an AOR, two digest HA1s and a few
  // public links (user_secrets.hpp), boxed.
  static constexpr std::size_t sealed = 2048;
  // Number patterns of a gateway peer.
  static constexpr std::size_t numbers = 32;
};

// Why a record's contents were refused; none when they are acceptable.
enum class content_fault : std::uint8_t {
  none,
  control_character,  // CR, LF, NUL, another byte below 0x20, or DEL, in any string
  aor_too_long,
  contact_too_long,
  contact_not_sip,      // not a sip: or sips: URI that parse_uri accepts
  contact_has_headers,  // "?h=v": not allowed in a Request-URI (RFC 3261 §19.1.1)
  too_many_path_entries,
  path_entry_too_long,
  path_entry_not_name_addr,  // parse_name_addr refuses it
  path_entry_not_sip,        // a name-addr whose URI is not sip: or sips:
  path_entry_has_headers,    // "?h=v": not allowed in a Route URI (RFC 3261 §19.1.1)
  instance_too_long,
  instance_not_quotable,  // cannot be written back as +sip.instance="..."
  bad_node_id,            // not 1..64 characters of [A-Za-z0-9._-]
  too_many_uris,
  uri_too_long,
  uri_wrong_scheme,    // a node's or SIP service's URI not sip:/sips:, a relay's not turn:/turns:
  uri_has_headers,     // a node's or SIP service's URI with "?h=v"
  name_too_long,       // a service name, realm or auth scheme
  bad_auth_scheme,     // neither empty nor a token
  sealed_size,         // a user record's box shorter than its overhead or above the bound
  too_many_numbers,    // a gateway peer's number patterns
  bad_number_pattern,  // not sip::valid_number_pattern
};
std::string_view to_string(content_fault f);

// The first fault found in `body`, or none.
content_fault content_fault_of(const record& body);

}  // namespace p2psip::overlay
