#include "proxy/registrar.hpp"

#include <algorithm>
#include <ctime>

#include "sip/charset.hpp"
#include "sip/editor.hpp"

namespace p2psip::proxy {
namespace {

struct failure {
  std::uint16_t code;
  const char* reason;
};

register_outcome refuse(failure f) {
  return {f.code, f.reason, {}, {}, false};
}

bool serves_domain(const registrar_policy& policy, std::string_view host) {
  return std::any_of(policy.domains.begin(), policy.domains.end(),
                     [host](const std::string& d) { return sip::charset::iequals(d, host); });
}

bool has_option(const sip::message& m, sip::header_id id, std::string_view tag) {
  for (const auto& v : m.values(id))
    if (const auto t = sip::parse_token_value(v.text); t && sip::charset::iequals(*t, tag))
      return true;
  return false;
}

// The key a binding is replaced by (RFC 5626 §6, RFC 3261 §10.3 step 7):
// the instance and reg-id when given, else the Contact URI itself.
bool same_binding(const binding& existing, const sip::contact& c) {
  if (!c.instance.empty() || !existing.instance.empty())
    return existing.instance == c.instance && existing.reg_id == c.reg_id.value_or(0);
  const auto registered = sip::parse_uri(existing.contact);
  return registered && sip::uri_equal(*registered, c.address.address);
}

std::uint32_t remaining_seconds(wall_clock::time_point expires, wall_clock::time_point now) {
  const auto left = std::chrono::duration_cast<std::chrono::seconds>(expires - now).count();
  return left <= 0 ? 0u : static_cast<std::uint32_t>(left);
}

// rfc1123-date for the Date header (§20.17).
std::string http_date(wall_clock::time_point now) {
  const std::time_t t = wall_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  const auto n = std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return std::string(buf, n);
}

// Expires for one Contact: its own parameter, else the Expires header, else
// the default; clamped to the maximum (§10.3 step 7).
std::uint32_t requested_expiry(const sip::contact& c, std::optional<std::uint32_t> header,
                               const registrar_policy& policy) {
  const auto asked = c.expires ? *c.expires : header.value_or(policy.default_expires);
  return std::min(asked, policy.max_expires);
}

struct update_context {
  const sip::message& request;
  const transport::endpoint& source;
  wall_clock::time_point now;
  std::vector<std::string> path;
};

// Applies one Contact to the set; a failure aborts the whole REGISTER.
std::optional<failure> apply_contact(std::vector<binding>& set, const sip::contact& c,
                                     std::uint32_t expires, const update_context& ctx) {
  const auto& call_id = ctx.request.call_id();
  const auto cseq = ctx.request.cseq().number;
  const auto existing =
      std::find_if(set.begin(), set.end(), [&c](const binding& b) { return same_binding(b, c); });
  if (existing != set.end() && existing->call_id == call_id && existing->cseq >= cseq)
    return failure{400, "Out Of Order CSeq"};
  if (expires == 0) {
    if (existing != set.end()) set.erase(existing);
    return std::nullopt;
  }
  binding b;
  b.contact = std::string(c.address.address.text);
  b.path = ctx.path;
  b.instance = std::string(c.instance);
  b.reg_id = c.reg_id.value_or(0);
  b.q = c.q_thousandths.value_or(1000);
  b.call_id = std::string(call_id);
  b.cseq = cseq;
  b.expires = ctx.now + std::chrono::seconds(expires);
  b.flow = ctx.source;
  if (existing != set.end()) {
    *existing = std::move(b);
  } else {
    set.push_back(std::move(b));
  }
  return std::nullopt;
}

// "Contact: *" with "Expires: 0" removes every binding the sender may remove.
register_outcome remove_all(const sip::message& request, std::string aor,
                            const std::vector<binding>& current) {
  for (const auto& b : current)
    if (b.call_id == request.call_id() && b.cseq >= request.cseq().number)
      return refuse({400, "Out Of Order CSeq"});
  return {200, "OK", std::move(aor), {}, !current.empty()};
}

}  // namespace

std::optional<std::string> canonical_aor(const sip::uri& u) {
  if (!u.is_sip() || u.user.empty() || u.host_type == sip::host_kind::none) return std::nullopt;
  std::string aor = "sip:" + sip::unescape(u.user) + "@";
  for (char c : u.host_text()) aor.push_back(sip::charset::to_lower(c));
  return aor;
}

register_outcome process_register(const sip::message& request, std::string_view authenticated_user,
                                  const std::vector<binding>& current,
                                  const transport::endpoint& source, wall_clock::time_point now,
                                  const registrar_policy& policy) {
  // Step 1: only our domains are registered here.
  if (!serves_domain(policy, request.request().uri.host))
    return refuse({403, "Domain Not Served Here"});
  // Step 5: the AOR is the To URI, in our domain.
  const auto& to = request.to().address;
  auto aor = canonical_aor(to);
  if (!aor) return refuse({400, "To Is Not A SIP AOR"});
  if (!sip::charset::iequals(to.host, request.request().uri.host))
    return refuse({404, "Not Found"});
  // Step 6: the authenticated user may only register its own AOR.
  if (!authenticated_user.empty() && sip::unescape(to.user) != authenticated_user)
    return refuse({403, "Not Your AOR"});

  std::vector<sip::contact> contacts;
  bool wildcard = false;
  for (const auto& v : request.values(sip::header_id::contact)) {
    auto c = sip::parse_contact(v.text);
    if (!c) return refuse({400, "Malformed Contact"});
    wildcard = wildcard || c->wildcard;
    if (!c->wildcard && !c->address.address.is_sip())
      return refuse({400, "Contact Must Be A SIP URI"});
    contacts.push_back(*c);
  }
  std::optional<std::uint32_t> expires_header;
  if (const auto* e = request.find(sip::header_id::expires)) {
    expires_header = sip::parse_delta_seconds(e->value, 0xffffffffu);
    if (!expires_header) return refuse({400, "Malformed Expires"});
  }
  if (wildcard) {
    if (contacts.size() != 1 || expires_header != 0u) return refuse({400, "Invalid Wildcard"});
    return remove_all(request, std::move(*aor), current);
  }
  // A query: no Contact, nothing changes.
  if (contacts.empty()) return {200, "OK", std::move(*aor), current, false};

  // §10.3 step 7: every non-zero expiry must reach the minimum before anything changes.
  for (const auto& c : contacts) {
    const auto e = requested_expiry(c, expires_header, policy);
    if (e != 0 && e < policy.min_expires) return refuse({423, "Interval Too Brief"});
  }
  update_context ctx{request, source, now, {}};
  for (const auto& v : request.values(sip::header_id::path)) ctx.path.emplace_back(v.text);
  auto set = current;
  for (const auto& c : contacts)
    if (const auto f = apply_contact(set, c, requested_expiry(c, expires_header, policy), ctx))
      return refuse(*f);
  if (set.size() > policy.max_bindings_per_aor) return refuse({403, "Too Many Bindings"});
  return {200, "OK", std::move(*aor), std::move(set), true};
}

std::string registrar_response(const sip::message& request, const register_outcome& outcome,
                               wall_clock::time_point now, std::string_view to_tag,
                               const registrar_policy& policy) {
  std::string extra;
  if (outcome.code == 423) extra += "Min-Expires: " + std::to_string(policy.min_expires) + "\r\n";
  if (outcome.code == 200) {
    bool outbound = false;
    for (const auto& b : outcome.bindings) {
      extra += "Contact: <" + b.contact +
               ">;expires=" + std::to_string(remaining_seconds(b.expires, now));
      if (!b.instance.empty()) extra += ";+sip.instance=\"" + b.instance + "\"";
      if (b.reg_id != 0) extra += ";reg-id=" + std::to_string(b.reg_id);
      extra += "\r\n";
      outbound = outbound || b.reg_id != 0;
    }
    // RFC 3327 §5.3: the Path a UA registered is echoed when it supports Path.
    if (has_option(request, sip::header_id::supported, "path"))
      for (const auto& v : request.values(sip::header_id::path))
        extra += "Path: " + std::string(v.text) + "\r\n";
    // RFC 5626 §6: a registrar that used the flow says so.
    if (outbound && has_option(request, sip::header_id::supported, "outbound"))
      extra += "Require: outbound\r\n";
    extra += "Date: " + http_date(now) + "\r\n";
  }
  return sip::make_response(request, outcome.code, outcome.reason, to_tag, extra);
}

}  // namespace p2psip::proxy
