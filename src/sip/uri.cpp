#include "sip/uri.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "sip/charset.hpp"
#include "sip/scanner.hpp"

namespace p2psip::sip {
namespace {

bool escaped_at(std::string_view s, std::size_t i) {
  return i + 2 < s.size() && charset::is_hex(s[i + 1]) && charset::is_hex(s[i + 2]);
}

// Every byte is either in `allowed` or the start of a valid %XX escape.
template <typename Allowed>
bool all_escaped_or(std::string_view s, Allowed allowed) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (!escaped_at(s, i)) return false;
      i += 2;
    } else if (!allowed(s[i])) {
      return false;
    }
  }
  return true;
}

// user = 1*( unreserved / escaped / user-unreserved )
bool valid_user(std::string_view s) {
  return !s.empty() && all_escaped_or(s, [](char c) {
    return charset::is_unreserved(c) || charset::is(c, charset::user_unreserved);
  });
}

// password = *( unreserved / escaped / "&" / "=" / "+" / "$" / "," )
bool valid_password(std::string_view s) {
  return all_escaped_or(s, [](char c) {
    return charset::is_unreserved(c) || charset::is(c, charset::password_extra);
  });
}

// paramchar = param-unreserved / unreserved / escaped
bool valid_paramchars(std::string_view s) {
  return all_escaped_or(s, [](char c) {
    return charset::is_unreserved(c) || charset::is(c, charset::param_unreserved);
  });
}

// hname / hvalue = *( hnv-unreserved / unreserved / escaped )
bool valid_hnv(std::string_view s) {
  return all_escaped_or(s, [](char c) {
    return charset::is_unreserved(c) || charset::is(c, charset::hnv_unreserved);
  });
}

bool valid_ipv4(std::string_view s) {
  std::array<char, INET_ADDRSTRLEN> buf{};
  // An empty view may have no storage at all: memcpy from null is undefined.
  if (s.empty() || s.size() >= buf.size()) return false;
  std::memcpy(buf.data(), s.data(), s.size());
  in_addr out{};
  return inet_pton(AF_INET, buf.data(), &out) == 1;
}

bool inet6_text(std::string_view s) {
  std::array<char, INET6_ADDRSTRLEN + 1> buf{};
  if (s.empty() || s.size() >= buf.size()) return false;
  std::memcpy(buf.data(), s.data(), s.size());
  in6_addr out{};
  return inet_pton(AF_INET6, buf.data(), &out) == 1;
}

// RFC 3261's IPv6 ABNF, taken from RFC 2373, admits three colons before an
// embedded IPv4 part ("2001:db8:::192.0.2.1"); RFC 5118 §4.10 asks that it
// be tolerated, so it is read as if the extra colon were not there.
bool valid_ipv6(std::string_view s) {
  if (inet6_text(s)) return true;
  const auto triple = s.find(":::");
  if (triple == std::string_view::npos || s.find('.', triple) == std::string_view::npos)
    return false;
  std::array<char, INET6_ADDRSTRLEN + 1> fixed{};
  if (s.size() > fixed.size()) return false;
  std::memcpy(fixed.data(), s.data(), triple + 2);
  std::memcpy(fixed.data() + triple + 2, s.data() + triple + 3, s.size() - triple - 3);
  return inet6_text(std::string_view(fixed.data(), s.size() - 1));
}

// hostname = *( domainlabel "." ) toplabel [ "." ]
// domainlabel = alphanum / alphanum *( alphanum / "-" ) alphanum
// toplabel = ALPHA / ALPHA *( alphanum / "-" ) alphanum
bool valid_hostname(std::string_view s) {
  if (s.empty()) return false;
  if (s.back() == '.') s.remove_suffix(1);
  std::string_view last_label;
  while (true) {
    const auto dot = s.find('.');
    const auto label = s.substr(0, dot);
    if (label.empty() || label.front() == '-' || label.back() == '-') return false;
    for (char c : label)
      if (!charset::is_alphanum(c) && c != '-') return false;
    last_label = label;
    if (dot == std::string_view::npos) break;
    s.remove_prefix(dot + 1);
  }
  return charset::is_alpha(last_label.front());
}

// Splits "host[:port]" and validates both.
bool parse_hostport(std::string_view s, uri& out) {
  std::string_view host;
  std::string_view rest;
  if (!s.empty() && s.front() == '[') {
    const auto close = s.find(']');
    if (close == std::string_view::npos) return false;
    host = s.substr(1, close - 1);
    if (!valid_ipv6(host)) return false;
    out.host_type = host_kind::ipv6;
    rest = s.substr(close + 1);
  } else {
    const auto colon = s.find(':');
    host = s.substr(0, colon);
    rest = colon == std::string_view::npos ? std::string_view{} : s.substr(colon);
    if (valid_ipv4(host)) {
      out.host_type = host_kind::ipv4;
    } else if (valid_hostname(host)) {
      out.host_type = host_kind::name;
    } else {
      return false;
    }
  }
  out.host = host;
  if (rest.empty()) return true;
  if (rest.front() != ':') return false;
  scanner port(rest.substr(1));
  const auto value = port.number(65535);
  if (!value || !port.done()) return false;
  out.port = static_cast<std::uint16_t>(*value);
  out.has_port = true;
  return true;
}

// A parameter named twice would make §19.1.4 comparison depend on which
// occurrence is looked at, so such URIs are refused.
bool has_duplicate_name(const param_list& params) {
  for (auto a = params.begin(); a != params.end(); ++a) {
    auto b = a;
    for (++b; b != params.end(); ++b)
      if (escaped_equal(a->name, b->name, true)) return true;
  }
  return false;
}

bool valid_uri_params(std::string_view raw) {
  if (has_duplicate_name(param_list(raw))) return false;
  // raw starts with ';' and each item is pname ["=" pvalue]
  while (!raw.empty()) {
    raw.remove_prefix(1);  // the ';'
    const auto next = raw.find(';');
    const auto item = raw.substr(0, next);
    const auto eq = item.find('=');
    const auto name = item.substr(0, eq);
    if (name.empty() || !valid_paramchars(name)) return false;
    if (eq != std::string_view::npos) {
      const auto value = item.substr(eq + 1);
      if (value.empty() || !valid_paramchars(value)) return false;
    }
    if (next == std::string_view::npos) break;
    raw.remove_prefix(next);
  }
  return true;
}

bool valid_uri_headers(std::string_view raw) {
  bool ok = !raw.empty();
  uri_header_list(raw).for_each([&ok](std::string_view name, std::string_view value) {
    ok = ok && !name.empty() && valid_hnv(name) && valid_hnv(value);
  });
  return ok;
}

// SIP-URI = "sip:" [ userinfo ] hostport uri-parameters [ headers ]
bool parse_sip_body(std::string_view s, uri& out) {
  // '@' cannot appear unescaped after the userinfo, so the first one ends it.
  const auto at = s.find('@');
  if (at != std::string_view::npos) {
    const auto userinfo = s.substr(0, at);
    const auto colon = userinfo.find(':');
    out.user = userinfo.substr(0, colon);
    if (!valid_user(out.user)) return false;
    if (colon != std::string_view::npos) {
      out.password = userinfo.substr(colon + 1);
      out.has_password = true;
      if (!valid_password(out.password)) return false;
    }
    s.remove_prefix(at + 1);
  }
  const auto question = s.find('?');
  if (question != std::string_view::npos) {
    out.headers = uri_header_list(s.substr(question + 1));
    if (!valid_uri_headers(out.headers.raw())) return false;
    s = s.substr(0, question);
  }
  // IPv6 references contain ':' but never ';'.
  const auto semi = s.find(';');
  if (semi != std::string_view::npos) {
    out.params = param_list(s.substr(semi));
    if (!valid_uri_params(out.params.raw())) return false;
    s = s.substr(0, semi);
  }
  return parse_hostport(s, out);
}

// telephone-subscriber (RFC 3966 §3), checked loosely: the number is
// phonedigits, hex digits, "*", "#", "+" and visual separators; parameters
// follow the URI parameter rules.
bool parse_tel_body(std::string_view s, uri& out) {
  const auto semi = s.find(';');
  out.user = s.substr(0, semi);
  if (out.user.empty()) return false;
  for (char c : out.user)
    if (!charset::is_hex(c) && c != '*' && c != '#' && c != '+' &&
        !charset::is(c, charset::visual_separator))
      return false;
  if (semi != std::string_view::npos) {
    out.params = param_list(s.substr(semi));
    if (!valid_uri_params(out.params.raw())) return false;
  }
  return true;
}

// absoluteURI without a grammar of our own: no whitespace, controls, or the
// characters that delimit a URI in a header (RFC 3986 excludes them too).
bool valid_opaque(std::string_view s) {
  if (s.empty()) return false;
  return std::none_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7f || c == '<' || c == '>' || c == '"';
  });
}

int decoded_at(std::string_view s, std::size_t& i) {
  if (s[i] == '%' && escaped_at(s, i)) {
    const int v = charset::hex_value(s[i + 1]) * 16 + charset::hex_value(s[i + 2]);
    i += 3;
    return v;
  }
  return static_cast<unsigned char>(s[i++]);
}

// URI parameters that are compared even when only one side has them (§19.1.4).
constexpr std::array<std::string_view, 4> must_match_params{"user", "ttl", "method", "maddr"};

bool sip_params_equal(const param_list& a, const param_list& b) {
  auto one_way = [](const param_list& x, const param_list& y) {
    for (const auto& p : x) {
      const auto other = y.find(p.name);
      if (!other) {
        for (auto name : must_match_params)
          if (charset::iequals(p.name, name)) return false;
        continue;
      }
      if (p.has_value != other->has_value || !escaped_equal(p.value, other->value, true))
        return false;
    }
    return true;
  };
  return one_way(a, b) && one_way(b, a);
}

// Every header of one URI must be present in the other with an equal value.
bool uri_headers_subset(const uri_header_list& x, const uri_header_list& y) {
  bool all = true;
  x.for_each([&](std::string_view name, std::string_view value) {
    bool found = false;
    y.for_each([&](std::string_view n2, std::string_view v2) {
      found = found || (escaped_equal(name, n2, true) && escaped_equal(value, v2, false));
    });
    all = all && found;
  });
  return all;
}

bool sip_uri_equal(const uri& a, const uri& b) {
  if (a.scheme != b.scheme) return false;
  // Userinfo is case-sensitive; everything else is not.
  if (!escaped_equal(a.user, b.user, false)) return false;
  if (a.has_password != b.has_password || !escaped_equal(a.password, b.password, false))
    return false;
  if (!escaped_equal(a.host, b.host, true)) return false;
  // An explicit port never equals an absent one, even 5060.
  if (a.has_port != b.has_port || a.port != b.port) return false;
  return sip_params_equal(a.params, b.params) && uri_headers_subset(a.headers, b.headers) &&
         uri_headers_subset(b.headers, a.headers);
}

bool tel_number_equal(std::string_view a, std::string_view b) {
  auto next_digit = [](std::string_view s, std::size_t& i) -> int {
    while (i < s.size() && charset::is(s[i], charset::visual_separator)) ++i;
    return i < s.size() ? charset::to_lower(s[i++]) : -1;
  };
  std::size_t i = 0;
  std::size_t j = 0;
  for (;;) {
    const int x = next_digit(a, i);
    const int y = next_digit(b, j);
    if (x != y) return false;
    if (x < 0) return true;
  }
}

bool tel_params_equal(const param_list& a, const param_list& b) {
  auto subset = [](const param_list& x, const param_list& y) {
    for (const auto& p : x) {
      const auto other = y.find(p.name);
      if (!other || !escaped_equal(p.value, other->value, true)) return false;
    }
    return true;
  };
  return subset(a, b) && subset(b, a);
}

}  // namespace

std::string_view uri::host_text() const {
  if (host_type != host_kind::ipv6) return host;
  // The brackets sit right around the view inside the original text.
  return std::string_view(host.data() - 1, host.size() + 2);
}

host_kind classify_host(std::string_view host) {
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    return valid_ipv6(host.substr(1, host.size() - 2)) ? host_kind::ipv6 : host_kind::none;
  if (valid_ipv4(host)) return host_kind::ipv4;
  if (valid_hostname(host)) return host_kind::name;
  return host_kind::none;
}

bool is_ipv6_address(std::string_view text) {
  return valid_ipv6(text);
}

std::optional<uri> parse_uri(std::string_view text) {
  uri out;
  out.text = text;
  // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
  const auto colon = text.find(':');
  if (colon == 0 || colon == std::string_view::npos) return std::nullopt;
  out.scheme_text = text.substr(0, colon);
  if (!charset::is_alpha(out.scheme_text.front())) return std::nullopt;
  for (char c : out.scheme_text)
    if (!charset::is_alphanum(c) && c != '+' && c != '-' && c != '.') return std::nullopt;
  const auto body = text.substr(colon + 1);

  if (charset::iequals(out.scheme_text, "sip") || charset::iequals(out.scheme_text, "sips")) {
    out.scheme = out.scheme_text.size() == 3 ? uri_scheme::sip : uri_scheme::sips;
    if (!parse_sip_body(body, out)) return std::nullopt;
  } else if (charset::iequals(out.scheme_text, "tel")) {
    out.scheme = uri_scheme::tel;
    if (!parse_tel_body(body, out)) return std::nullopt;
  } else {
    out.scheme = uri_scheme::other;
    out.opaque = body;
    if (!valid_opaque(body)) return std::nullopt;
  }
  return out;
}

bool uri_equal(const uri& a, const uri& b) {
  if (a.is_sip() || b.is_sip()) return sip_uri_equal(a, b);
  if (a.scheme == uri_scheme::tel && b.scheme == uri_scheme::tel)
    return tel_number_equal(a.user, b.user) && tel_params_equal(a.params, b.params);
  return charset::iequals(a.scheme_text, b.scheme_text) && a.opaque == b.opaque;
}

std::string unescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) out.push_back(static_cast<char>(decoded_at(text, i)));
  return out;
}

bool escaped_equal(std::string_view a, std::string_view b, bool ignore_case) {
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < a.size() && j < b.size()) {
    int x = decoded_at(a, i);
    int y = decoded_at(b, j);
    if (ignore_case) {
      x = charset::to_lower(static_cast<char>(x));
      y = charset::to_lower(static_cast<char>(y));
    }
    if (x != y) return false;
  }
  return i == a.size() && j == b.size();
}

}  // namespace p2psip::sip
