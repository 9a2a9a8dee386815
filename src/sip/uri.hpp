// URIs as SIP carries them: sip and sips (RFC 3261 §19.1, §25.1), tel
// (RFC 3966) and any other absoluteURI kept opaque. All parts are views into
// the parsed text, escapes intact; unescape() or the comparison decode them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sip/params.hpp"

namespace p2psip::sip {

enum class uri_scheme : std::uint8_t { sip, sips, tel, other };
enum class host_kind : std::uint8_t { none, name, ipv4, ipv6 };

// The "?h=v&h2=v2" part of a SIP URI, iterated as name/value pairs.
class uri_header_list {
 public:
  constexpr uri_header_list() = default;
  explicit constexpr uri_header_list(std::string_view raw) : raw_(raw) {}
  template <typename F>
  void for_each(F&& f) const {
    auto rest = raw_;
    while (!rest.empty()) {
      const auto amp = rest.find('&');
      const auto item = rest.substr(0, amp);
      const auto eq = item.find('=');
      f(item.substr(0, eq),
        eq == std::string_view::npos ? std::string_view{} : item.substr(eq + 1));
      if (amp == std::string_view::npos) break;
      rest.remove_prefix(amp + 1);
    }
  }
  bool empty() const { return raw_.empty(); }
  std::string_view raw() const { return raw_; }

 private:
  std::string_view raw_;
};

struct uri {
  uri_scheme scheme = uri_scheme::other;
  std::string_view scheme_text;  // as received ("SIP", "sips", "tel", "mailto")
  std::string_view user;         // sip/sips userinfo user, or the tel number
  std::string_view password;
  bool has_password = false;
  std::string_view host;  // without brackets for IPv6
  host_kind host_type = host_kind::none;
  std::uint16_t port = 0;
  bool has_port = false;
  param_list params;        // ";transport=tcp;lr"
  uri_header_list headers;  // "subject=x&priority=urgent" (without "?")
  std::string_view opaque;  // everything after "scheme:" for other schemes
  std::string_view text;    // the whole URI

  bool is_sip() const { return scheme == uri_scheme::sip || scheme == uri_scheme::sips; }
  // The host as written in a hostport: brackets restored for IPv6.
  std::string_view host_text() const;
};

// Parses a URI that spans all of `text`. nullopt when it is not a well-formed
// sip, sips or tel URI, or (for other schemes) not a plausible absoluteURI.
std::optional<uri> parse_uri(std::string_view text);

// host = hostname / IPv4address / IPv6reference (brackets included).
host_kind classify_host(std::string_view host);

// IPv6address without brackets.
bool is_ipv6_address(std::string_view text);

// RFC 3261 §19.1.4 equality for sip/sips; RFC 3966 §4 for tel; otherwise
// case-insensitive scheme plus byte equality.
bool uri_equal(const uri& a, const uri& b);

// %XX decoding. Invalid escapes are copied as they are.
std::string unescape(std::string_view text);

// Compares two escaped strings as their decoded bytes, without allocating.
bool escaped_equal(std::string_view a, std::string_view b, bool ignore_case);

}  // namespace p2psip::sip
