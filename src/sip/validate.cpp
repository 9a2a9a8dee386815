#include "sip/validate.hpp"

#include <algorithm>

#include "sip/charset.hpp"

namespace p2psip::sip {
namespace {

verdict bad_request(std::string_view reason, std::string_view detail = {}) {
  return {400, reason, detail};
}

// §7.3.1: these carry one value; a second field would make them ambiguous.
constexpr header_id single_valued[] = {
    header_id::call_id,      header_id::content_length, header_id::content_type,
    header_id::cseq,         header_id::expires,        header_id::from,
    header_id::max_forwards, header_id::min_expires,    header_id::to,
};

verdict check_mandatory(const message& m) {
  constexpr header_id required[] = {header_id::via, header_id::from, header_id::to,
                                    header_id::call_id, header_id::cseq};
  for (auto id : required)
    if (m.find(id) == nullptr) return bad_request("Missing Required Header", canonical_name(id));
  for (auto id : single_valued)
    if (m.count(id) > 1)
      return bad_request("Multiple Values In Single-Value Header", canonical_name(id));
  return {};
}

template <typename Parse>
verdict check_each_value(const message& m, header_id id, std::string_view reason, Parse parse) {
  for (const auto& v : m.values(id))
    if (!parse(v.text)) return bad_request(reason, v.text);
  return {};
}

verdict check_grammar(const message& m) {
  struct rule {
    header_id id;
    std::string_view reason;
    bool (*ok)(std::string_view);
  };
  static constexpr rule rules[] = {
      {header_id::via, "Malformed Via",
       [](std::string_view v) { return parse_via(v).has_value(); }},
      {header_id::contact, "Malformed Contact",
       [](std::string_view v) { return parse_contact(v).has_value(); }},
      {header_id::route, "Malformed Route",
       [](std::string_view v) { return parse_name_addr(v).has_value(); }},
      {header_id::record_route, "Malformed Record-Route",
       [](std::string_view v) { return parse_name_addr(v).has_value(); }},
      {header_id::path, "Malformed Path",
       [](std::string_view v) { return parse_name_addr(v).has_value(); }},
      {header_id::reply_to, "Malformed Reply-To",
       [](std::string_view v) { return parse_name_addr(v).has_value(); }},
      {header_id::expires, "Malformed Expires",
       [](std::string_view v) { return parse_delta_seconds(v, 0xffffffffu).has_value(); }},
      {header_id::min_expires, "Malformed Min-Expires",
       [](std::string_view v) { return parse_delta_seconds(v, 0xffffffffu).has_value(); }},
      {header_id::content_type, "Malformed Content-Type",
       [](std::string_view v) { return parse_media_type(v).has_value(); }},
      {header_id::require, "Malformed Require",
       [](std::string_view v) { return parse_token_value(v).has_value(); }},
      {header_id::proxy_require, "Malformed Proxy-Require",
       [](std::string_view v) { return parse_token_value(v).has_value(); }},
      {header_id::supported, "Malformed Supported",
       [](std::string_view v) { return v.empty() || parse_token_value(v).has_value(); }},
      {header_id::unsupported, "Malformed Unsupported",
       [](std::string_view v) { return parse_token_value(v).has_value(); }},
      {header_id::allow, "Malformed Allow",
       [](std::string_view v) { return v.empty() || parse_token_value(v).has_value(); }},
      {header_id::authorization, "Malformed Authorization",
       [](std::string_view v) { return parse_credentials(v).has_value(); }},
      {header_id::proxy_authorization, "Malformed Proxy-Authorization",
       [](std::string_view v) { return parse_credentials(v).has_value(); }},
      {header_id::retry_after, "Malformed Retry-After",
       [](std::string_view v) { return parse_retry_after(v).has_value(); }},
      {header_id::timestamp, "Malformed Timestamp",
       [](std::string_view v) { return parse_timestamp(v).has_value(); }},
  };
  for (const auto& r : rules)
    if (auto v = check_each_value(m, r.id, r.reason, r.ok); !v.acceptable()) return v;
  return {};
}

// Calls f(tag) for each required option tag the policy does not support.
template <typename F>
void for_each_unsupported(const message& m, const validation_policy& policy, F&& f) {
  const auto id = policy.acting_as_proxy ? header_id::proxy_require : header_id::require;
  // ACK and CANCEL are not refused over extensions (§8.2.2.3).
  if (m.method() == method::ack || m.method() == method::cancel) return;
  for (const auto& v : m.values(id)) {
    const auto tag = parse_token_value(v.text);
    if (!tag) continue;
    const bool known = std::any_of(policy.supported.begin(), policy.supported.end(),
                                   [&](std::string_view s) { return charset::iequals(s, *tag); });
    if (!known) f(*tag);
  }
}

// §8.2.2.3 / §16.3 step 5: every option tag the sender requires must be ours.
verdict check_extensions(const message& m, const validation_policy& policy) {
  verdict v;
  for_each_unsupported(m, policy, [&v](std::string_view tag) {
    if (v.acceptable()) v = {420, "Bad Extension", tag};
  });
  return v;
}

// §16.3 step 3. A proxy may answer an OPTIONS itself instead; that choice
// belongs to the proxy core, which asks before forwarding.
verdict check_max_forwards(const message& m, const validation_policy& policy) {
  if (policy.acting_as_proxy && m.max_forwards() == 0u) return {483, "Too Many Hops", {}};
  return {};
}

}  // namespace

verdict validate_request(const message& m, const validation_policy& policy) {
  const auto& rl = m.request();
  if (!charset::iequals(rl.version, "SIP/2.0")) return {505, "Version Not Supported", rl.version};
  const bool scheme_ok = rl.uri.is_sip() || (policy.accept_tel && rl.uri.scheme == uri_scheme::tel);
  if (!scheme_ok) return {416, "Unsupported URI Scheme", rl.uri.scheme_text};
  // §19.1.1 Table 1: headers are not allowed in a Request-URI (RFC 4475 §3.1.2.11).
  if (!rl.uri.headers.empty())
    return bad_request("Headers Not Allowed In Request-URI", rl.uri_text);
  if (auto v = check_mandatory(m); !v.acceptable()) return v;
  if (m.cseq().method != rl.method_text) {
    // RFC 4475 §3.1.2.18: for a method we do not know, 501 stays true when
    // the mismatch is someone else's extension.
    if (rl.method == method::other) return {501, "Not Implemented", rl.method_text};
    return bad_request("CSeq Method Mismatch", m.cseq().method);
  }
  if (auto v = check_grammar(m); !v.acceptable()) return v;
  if (auto v = check_max_forwards(m, policy); !v.acceptable()) return v;
  return check_extensions(m, policy);
}

std::string unsupported_option_tags(const message& m, const validation_policy& policy) {
  std::string tags;
  for_each_unsupported(m, policy, [&tags](std::string_view tag) {
    if (!tags.empty()) tags.append(", ");
    tags.append(tag);
  });
  return tags;
}

}  // namespace p2psip::sip
