#include "sip/headers.hpp"

#include <limits>
#include <span>

#include "sip/charset.hpp"
#include "sip/scanner.hpp"

namespace p2psip::sip {
namespace {

constexpr auto u32_max = std::numeric_limits<std::uint32_t>::max();

// gen-value = token / host / quoted-string. A host may be an IPv6 reference,
// and Via's received carries a bare IPv6address (RFC 5118 §4.5), so ':' and
// brackets are accepted beside the token alphabet.
bool skip_gen_value(scanner& s) {
  if (s.peek() == '"') return s.quoted_string().has_value();
  return !s.span_of([](char c) {
             return charset::is_token(c) || c == ':' || c == '[' || c == ']';
           }).empty();
}

// *( SEMI generic-param ), generic-param = token [ EQUAL gen-value ].
// Returns the raw region, or nullopt when a parameter is malformed.
std::optional<param_list> generic_params(scanner& s) {
  const auto start = s.pos();
  for (;;) {
    const auto before = s.pos();
    if (!s.consume_separator(';')) {
      s.seek(before);
      break;
    }
    if (s.token().empty()) return std::nullopt;
    if (s.consume_separator('=') && !skip_gen_value(s)) return std::nullopt;
  }
  return param_list(s.since(start));
}

bool at_end(scanner& s) {
  s.skip_sws();
  return s.done();
}

// display-name = *(token LWS) / quoted-string; here the unquoted form.
bool valid_token_display_name(std::string_view text) {
  for (char c : text)
    if (!charset::is_token(c) && !charset::is_wsp(c) && c != '\r' && c != '\n') return false;
  return true;
}

std::string_view trim_right(std::string_view s) {
  while (!s.empty() && (charset::is_wsp(s.back()) || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

// sent-by host: hostname / IPv4address / IPv6reference
std::optional<std::string_view> sent_by_host(scanner& s) {
  if (s.peek() == '[') {
    const auto close = s.rest().find(']');
    if (close == std::string_view::npos) return std::nullopt;
    const auto host = s.rest().substr(0, close + 1);
    s.seek(s.pos() + close + 1);
    return host;
  }
  return s.span_of([](char c) { return charset::is_alphanum(c) || c == '-' || c == '.'; });
}

// via-received = "received" EQUAL (IPv4address / IPv6address); RFC 5118
// shows the IPv6 form both bare and bracketed in the wild, so both pass.
bool valid_received(std::string_view v) {
  if (v.empty()) return false;
  if (v.front() != '[' && v.find(':') != std::string_view::npos) return is_ipv6_address(v);
  const auto kind = classify_host(v);
  return kind == host_kind::ipv4 || kind == host_kind::ipv6;
}

bool extract_via_params(via& out) {
  for (const auto& p : out.params) {
    if (charset::iequals(p.name, "branch")) {
      if (!p.has_value || p.value.empty()) return false;
      out.branch = p.value;
    } else if (charset::iequals(p.name, "received")) {
      if (!valid_received(p.value)) return false;
      out.received = p.value;
    } else if (charset::iequals(p.name, "maddr")) {
      if (classify_host(p.value) == host_kind::none) return false;
      out.maddr = p.value;
    } else if (charset::iequals(p.name, "ttl")) {
      const auto ttl = parse_delta_seconds(p.value, 255);
      if (!ttl) return false;
      out.ttl = static_cast<std::uint8_t>(*ttl);
    } else if (charset::iequals(p.name, "rport")) {
      out.has_rport = true;
      if (p.has_value) {
        const auto port = parse_delta_seconds(p.value, 65535);
        if (!port) return false;
        out.rport = static_cast<std::uint16_t>(*port);
      }
    }
  }
  return true;
}

// qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
std::optional<std::uint16_t> parse_qvalue(std::string_view v) {
  if (v.empty() || (v[0] != '0' && v[0] != '1')) return std::nullopt;
  std::uint16_t value = v[0] == '1' ? 1000 : 0;
  if (v.size() == 1) return value;
  if (v[1] != '.' || v.size() > 5) return std::nullopt;
  std::uint16_t scale = 100;
  for (char c : v.substr(2)) {
    if (!charset::is_digit(c)) return std::nullopt;
    value = static_cast<std::uint16_t>(value + (c - '0') * scale);
    scale /= 10;
  }
  if (value > 1000) return std::nullopt;
  return value;
}

std::string_view unquote(std::string_view v) {
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') return v.substr(1, v.size() - 2);
  return v;
}

// comment = LPAREN *(ctext / quoted-pair / comment) RPAREN
bool skip_comment(scanner& s) {
  if (!s.consume('(')) return false;
  int depth = 1;
  while (!s.done() && depth > 0) {
    const char c = s.peek();
    if (c == '\\') {
      s.seek(s.pos() + 2);
      continue;
    }
    if (c == '(') ++depth;
    if (c == ')') --depth;
    s.seek(s.pos() + 1);
  }
  return depth == 0;
}

// auth-param = auth-param-name EQUAL ( token / quoted-string ); calls
// f(name, value) for each, stopping early when f returns true.
template <typename F>
bool for_each_auth_param(std::string_view params, F&& f) {
  scanner s(params);
  s.skip_sws();
  if (s.done()) return true;
  for (;;) {
    const auto name = s.token();
    if (name.empty() || !s.consume_separator('=')) return false;
    std::string_view value;
    if (s.peek() == '"') {
      const auto quoted = s.quoted_string();
      if (!quoted) return false;
      value = *quoted;
    } else {
      value = s.token();
      if (value.empty()) return false;
    }
    if (f(name, value)) return true;
    if (at_end(s)) return true;
    if (!s.consume_separator(',')) return false;
  }
}

}  // namespace

std::string_view name_addr::tag() const {
  const auto p = params.find("tag");
  return p ? p->value : std::string_view{};
}

// (name-addr / addr-spec) *( SEMI generic-param )
std::optional<name_addr> parse_name_addr(std::string_view value) {
  name_addr out;
  out.text = value;
  scanner s(value);
  s.skip_sws();
  if (s.peek() == '"') {
    const auto display = s.quoted_string();
    if (!display) return std::nullopt;
    out.display_name = *display;
    out.display_name_quoted = true;
    s.skip_sws();
    if (s.peek() != '<') return std::nullopt;
  } else if (const auto lt = s.rest().find('<'); lt != std::string_view::npos) {
    const auto display = trim_right(s.rest().substr(0, lt));
    if (!valid_token_display_name(display)) return std::nullopt;
    out.display_name = display;
    s.seek(s.pos() + lt);
  }
  if (s.consume('<')) {
    const auto close = s.rest().find('>');
    if (close == std::string_view::npos) return std::nullopt;
    auto address = parse_uri(s.rest().substr(0, close));
    if (!address) return std::nullopt;
    out.address = *address;
    out.bracketed = true;
    s.seek(s.pos() + close + 1);
  } else {
    // An addr-spec cannot hold ';', so the first one starts the header params.
    const auto spec =
        s.span_of([](char c) { return c != ';' && c != ',' && !charset::is_wsp(c) && c != '\r'; });
    // §20: a URI with a comma, question mark or semicolon must be bracketed.
    auto address = parse_uri(spec);
    if (!address || spec.find('?') != std::string_view::npos) return std::nullopt;
    out.address = *address;
  }
  auto params = generic_params(s);
  if (!params || !at_end(s)) return std::nullopt;
  out.params = *params;
  return out;
}

std::optional<via> parse_via(std::string_view value) {
  via out;
  out.text = value;
  scanner s(value);
  s.skip_sws();
  // sent-protocol = protocol-name SLASH protocol-version SLASH transport
  out.protocol_name = s.token();
  if (out.protocol_name.empty() || !s.consume_separator('/')) return std::nullopt;
  out.protocol_version = s.token();
  if (out.protocol_version.empty() || !s.consume_separator('/')) return std::nullopt;
  out.transport = s.token();
  if (out.transport.empty()) return std::nullopt;
  const auto before_lws = s.pos();
  s.skip_sws();
  if (s.pos() == before_lws) return std::nullopt;
  // sent-by = host [ COLON port ]
  const auto host = sent_by_host(s);
  if (!host || host->empty()) return std::nullopt;
  out.host = *host;
  out.host_type = classify_host(out.host);
  if (out.host_type == host_kind::none) return std::nullopt;
  if (s.consume_separator(':')) {
    const auto port = s.number(65535);
    if (!port) return std::nullopt;
    out.port = static_cast<std::uint16_t>(*port);
    out.has_port = true;
  }
  auto params = generic_params(s);
  if (!params || !at_end(s)) return std::nullopt;
  out.params = *params;
  if (!extract_via_params(out)) return std::nullopt;
  return out;
}

std::optional<cseq> parse_cseq(std::string_view value) {
  scanner s(value);
  s.skip_sws();
  const auto number = s.number((1u << 31) - 1);
  if (!number) return std::nullopt;
  const auto before_lws = s.pos();
  s.skip_sws();
  if (s.pos() == before_lws) return std::nullopt;
  const auto method = s.token();
  if (method.empty() || !at_end(s)) return std::nullopt;
  return cseq{static_cast<std::uint32_t>(*number), method};
}

std::optional<std::string_view> parse_call_id(std::string_view value) {
  scanner s(value);
  s.skip_sws();
  const auto start = s.pos();
  if (s.word().empty()) return std::nullopt;
  if (s.consume('@') && s.word().empty()) return std::nullopt;
  const auto id = s.since(start);
  if (!at_end(s)) return std::nullopt;
  return id;
}

std::optional<std::uint32_t> parse_delta_seconds(std::string_view value, std::uint32_t max) {
  scanner s(value);
  s.skip_sws();
  const auto number = s.number(max);
  if (!number || !at_end(s)) return std::nullopt;
  return static_cast<std::uint32_t>(*number);
}

std::optional<contact> parse_contact(std::string_view value) {
  contact out;
  scanner s(value);
  s.skip_sws();
  if (s.consume('*')) {
    if (!at_end(s)) return std::nullopt;
    out.wildcard = true;
    return out;
  }
  auto address = parse_name_addr(value);
  if (!address) return std::nullopt;
  out.address = *address;
  for (const auto& p : out.address.params) {
    if (charset::iequals(p.name, "expires")) {
      // §20.19: an expires value too large to represent means "long"; clamp.
      scanner digits(p.value);
      const auto seconds = digits.number(std::numeric_limits<std::uint64_t>::max() / 10);
      if (!seconds || !digits.done()) return std::nullopt;
      out.expires = *seconds > u32_max ? u32_max : static_cast<std::uint32_t>(*seconds);
    } else if (charset::iequals(p.name, "q")) {
      out.q_thousandths = parse_qvalue(p.value);
      if (!out.q_thousandths) return std::nullopt;
    } else if (charset::iequals(p.name, "+sip.instance")) {
      out.instance = unquote(p.value);
    } else if (charset::iequals(p.name, "reg-id")) {
      out.reg_id = parse_delta_seconds(p.value, (1u << 31) - 1);
      if (!out.reg_id || *out.reg_id == 0) return std::nullopt;
    }
  }
  return out;
}

std::optional<media_type> parse_media_type(std::string_view value) {
  media_type out;
  scanner s(value);
  s.skip_sws();
  out.type = s.token();
  if (out.type.empty() || !s.consume_separator('/')) return std::nullopt;
  out.subtype = s.token();
  if (out.subtype.empty()) return std::nullopt;
  auto params = generic_params(s);
  if (!params || !at_end(s)) return std::nullopt;
  out.params = *params;
  return out;
}

std::optional<std::string_view> parse_token_value(std::string_view value) {
  scanner s(value);
  s.skip_sws();
  const auto token = s.token();
  if (token.empty() || !at_end(s)) return std::nullopt;
  return token;
}

std::optional<std::string_view> credentials::param(std::string_view name) const {
  std::optional<std::string_view> found;
  for_each_auth_param(params, [&](std::string_view n, std::string_view v) {
    if (!charset::iequals(n, name)) return false;
    found = v;
    return true;
  });
  return found;
}

std::optional<credentials> parse_credentials(std::string_view value) {
  credentials out;
  scanner s(value);
  s.skip_sws();
  out.scheme = s.token();
  if (out.scheme.empty()) return std::nullopt;
  s.skip_sws();
  out.params = trim_right(s.rest());
  const bool well_formed =
      for_each_auth_param(out.params, [](std::string_view, std::string_view) { return false; });
  if (!well_formed) return std::nullopt;
  return out;
}

std::optional<retry_after> parse_retry_after(std::string_view value) {
  retry_after out;
  scanner s(value);
  s.skip_sws();
  const auto seconds = s.number(u32_max);
  if (!seconds) return std::nullopt;
  out.seconds = static_cast<std::uint32_t>(*seconds);
  s.skip_sws();
  if (s.peek() == '(') {
    const auto start = s.pos();
    if (!skip_comment(s)) return std::nullopt;
    out.comment = s.since(start);
  }
  auto params = generic_params(s);
  if (!params || !at_end(s)) return std::nullopt;
  out.params = *params;
  if (const auto d = out.params.find("duration")) {
    out.duration = parse_delta_seconds(d->value, u32_max);
    if (!out.duration) return std::nullopt;
  }
  return out;
}

std::optional<sip_date> parse_date(std::string_view value) {
  static constexpr std::string_view weekdays[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  static constexpr std::string_view months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  scanner s(value);
  s.skip_sws();
  auto fixed_digits = [&s](std::size_t n, std::uint32_t max) -> std::optional<std::uint32_t> {
    const auto start = s.pos();
    const auto v = s.number(max);
    if (!v || s.pos() - start != n) return std::nullopt;
    return static_cast<std::uint32_t>(*v);
  };
  auto literal = [&s](std::string_view text) {
    if (!s.rest().starts_with(text)) return false;
    s.seek(s.pos() + text.size());
    return true;
  };
  auto one_of = [&](std::span<const std::string_view> names) -> int {
    for (std::size_t i = 0; i < names.size(); ++i)
      if (literal(names[i])) return static_cast<int>(i);
    return -1;
  };
  sip_date d;
  if (one_of(weekdays) < 0 || !literal(", ")) return std::nullopt;
  const auto day = fixed_digits(2, 31);
  if (!day || *day == 0 || !literal(" ")) return std::nullopt;
  const int month = one_of(months);
  if (month < 0 || !literal(" ")) return std::nullopt;
  const auto year = fixed_digits(4, 9999);
  if (!year || !literal(" ")) return std::nullopt;
  const auto hour = fixed_digits(2, 23);
  if (!hour || !literal(":")) return std::nullopt;
  const auto minute = fixed_digits(2, 59);
  if (!minute || !literal(":")) return std::nullopt;
  const auto second = fixed_digits(2, 60);  // a leap second is representable
  if (!second || !literal(" GMT") || !at_end(s)) return std::nullopt;
  d.year = static_cast<std::uint16_t>(*year);
  d.month = static_cast<std::uint8_t>(month + 1);
  d.day = static_cast<std::uint8_t>(*day);
  d.hour = static_cast<std::uint8_t>(*hour);
  d.minute = static_cast<std::uint8_t>(*minute);
  d.second = static_cast<std::uint8_t>(*second);
  return d;
}

std::optional<timestamp> parse_timestamp(std::string_view value) {
  timestamp out;
  scanner s(value);
  s.skip_sws();
  auto decimal = [&s]() -> std::string_view {
    const auto start = s.pos();
    if (s.span_of(charset::is_digit).empty()) return {};
    if (s.consume('.')) s.span_of(charset::is_digit);
    return s.since(start);
  };
  out.value = decimal();
  if (out.value.empty()) return std::nullopt;
  const auto before_lws = s.pos();
  s.skip_sws();
  if (!s.done()) {
    if (s.pos() == before_lws) return std::nullopt;
    out.delay = decimal();
    if (out.delay.empty() || !at_end(s)) return std::nullopt;
  }
  return out;
}

}  // namespace p2psip::sip
