// Typed views of the header fields a proxy, registrar and UA read. Each
// parse_* function implements one RFC 3261 §25.1 rule over a single header
// value (one element of a comma-separated list) and returns nullopt when the
// value does not match the rule. Results are views into the value.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "sip/params.hpp"
#include "sip/uri.hpp"

namespace p2psip::sip {

// name-addr / addr-spec followed by header parameters: From, To, Contact,
// Route, Record-Route, Path, Reply-To, Refer-To.
struct name_addr {
  std::string_view display_name;  // without quotes; escapes intact
  bool display_name_quoted = false;
  bool bracketed = false;  // written as name-addr (with < >)
  uri address;
  param_list params;  // header params: tag, expires, q, lr is a URI param
  std::string_view text;

  std::string_view tag() const;  // empty when absent
};
std::optional<name_addr> parse_name_addr(std::string_view value);

// via-parm = sent-protocol LWS sent-by *( SEMI via-params )
struct via {
  std::string_view protocol_name;     // "SIP"
  std::string_view protocol_version;  // "2.0"
  std::string_view transport;         // "UDP", "TCP", "TLS", "SCTP", "WS", ...
  std::string_view host;              // brackets kept for IPv6: it is a sent-by, not a URI host
  host_kind host_type = host_kind::none;
  std::uint16_t port = 0;
  bool has_port = false;
  param_list params;
  std::string_view branch;
  std::string_view received;
  std::string_view maddr;
  std::optional<std::uint8_t> ttl;
  bool has_rport = false;
  std::optional<std::uint16_t> rport;  // a value is only present in responses
  std::string_view text;

  // RFC 3261 §8.1.1.7: branches starting with the magic cookie are unique.
  // The cookie alone identifies nothing (RFC 4475 §3.2.1), so such a request
  // is matched the RFC 2543 way.
  bool rfc3261_branch() const { return branch.size() > 7 && branch.starts_with("z9hG4bK"); }
};
std::optional<via> parse_via(std::string_view value);

// CSeq = 1*DIGIT LWS Method; the number is below 2**31 (§8.1.1.5).
struct cseq {
  std::uint32_t number = 0;
  std::string_view method;
};
std::optional<cseq> parse_cseq(std::string_view value);

// callid = word [ "@" word ]
std::optional<std::string_view> parse_call_id(std::string_view value);

// delta-seconds = 1*DIGIT, bounded by `max` (Expires, Min-Expires,
// Max-Forwards with max = 255, Content-Length).
std::optional<std::uint32_t> parse_delta_seconds(std::string_view value, std::uint32_t max);

// Contact: "*" or a contact-param.
struct contact {
  bool wildcard = false;
  name_addr address;
  std::optional<std::uint32_t> expires;
  std::optional<std::uint16_t> q_thousandths;  // q=0.5 -> 500
  std::string_view instance;                   // +sip.instance, quotes removed
  std::optional<std::uint32_t> reg_id;
};
std::optional<contact> parse_contact(std::string_view value);

// Content-Type = m-type SLASH m-subtype *(SEMI m-parameter)
struct media_type {
  std::string_view type;
  std::string_view subtype;
  param_list params;
};
std::optional<media_type> parse_media_type(std::string_view value);

// One option-tag / method / token of a token list (Supported, Require,
// Proxy-Require, Unsupported, Allow).
std::optional<std::string_view> parse_token_value(std::string_view value);

// WWW-Authenticate, Proxy-Authenticate, Authorization, Proxy-Authorization:
// auth-scheme LWS auth-param *(COMMA auth-param).
struct credentials {
  std::string_view scheme;  // "Digest"
  std::string_view params;  // "realm=\"x\", nonce=\"y\", ..."

  // The named parameter's value with quotes removed (escapes intact).
  std::optional<std::string_view> param(std::string_view name) const;
};
std::optional<credentials> parse_credentials(std::string_view value);

// Retry-After = delta-seconds [ comment ] *( SEMI retry-param )
struct retry_after {
  std::uint32_t seconds = 0;
  std::string_view comment;
  param_list params;
  std::optional<std::uint32_t> duration;
};
std::optional<retry_after> parse_retry_after(std::string_view value);

// Date = rfc1123-date: wkday "," SP 2DIGIT SP month SP 4DIGIT SP time SP "GMT".
// Only GMT is a valid zone in SIP (RFC 3261 §20.17, RFC 4475 §3.1.2.12).
struct sip_date {
  std::uint16_t year = 0;
  std::uint8_t month = 0;  // 1..12
  std::uint8_t day = 0;
  std::uint8_t hour = 0;
  std::uint8_t minute = 0;
  std::uint8_t second = 0;
};
std::optional<sip_date> parse_date(std::string_view value);

// Timestamp = 1*(DIGIT) [ "." *(DIGIT) ] [ LWS delay ]
struct timestamp {
  std::string_view value;
  std::string_view delay;
};
std::optional<timestamp> parse_timestamp(std::string_view value);

}  // namespace p2psip::sip
