// The one table of header names the project knows: canonical spelling,
// compact form (RFC 3261 §7.3.3 and the RFCs that registered the others),
// and case-insensitive lookup of either form.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace p2psip::sip {

enum class header_id : std::uint8_t {
  other,  // a header this table does not know; kept verbatim under its own name
  accept,
  accept_contact,
  accept_encoding,
  accept_language,
  alert_info,
  allow,
  allow_events,
  authentication_info,
  authorization,
  call_id,
  call_info,
  contact,
  content_disposition,
  content_encoding,
  content_language,
  content_length,
  content_type,
  cseq,
  date,
  error_info,
  event,
  expires,
  flow_timer,
  from,
  identity,
  identity_info,
  in_reply_to,
  max_forwards,
  mime_version,
  min_expires,
  min_se,
  organization,
  path,
  priority,
  proxy_authenticate,
  proxy_authorization,
  proxy_require,
  rack,
  reason,
  record_route,
  refer_to,
  referred_by,
  reject_contact,
  replaces,
  reply_to,
  request_disposition,
  require,
  retry_after,
  route,
  rseq,
  server,
  service_route,
  session_expires,
  sip_etag,
  sip_if_match,
  subject,
  subscription_state,
  supported,
  timestamp,
  to,
  unsupported,
  user_agent,
  via,
  warning,
  www_authenticate,
  count_  // number of ids; not a header
};

inline constexpr std::size_t header_id_count = static_cast<std::size_t>(header_id::count_);

// Lookup of a received name, full or compact, in any letter case.
header_id lookup_header(std::string_view name) noexcept;

// The spelling we write: the RFC's canonical form ("Call-ID", "CSeq", "WWW-Authenticate").
std::string_view canonical_name(header_id id) noexcept;

// The compact form, when the header has one.
std::optional<char> compact_form(header_id id) noexcept;

// Whether the header's grammar is a comma-separated list (RFC 3261 §7.3.1),
// so that "H: a, b" and "H: a" + "H: b" carry the same values. Headers such as
// WWW-Authenticate or Date contain commas that do not separate values.
bool is_list_header(header_id id) noexcept;

}  // namespace p2psip::sip
