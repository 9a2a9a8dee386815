// Character classes of the RFC 3261 §25.1 grammar, as one constexpr table.
// Every rule that says "1*(alphanum / ...)" in the ABNF is a bit here, so a
// scanner tests one byte with one load and one mask.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace p2psip::sip::charset {

enum cls : std::uint16_t {
  alpha = 1 << 0,
  digit = 1 << 1,
  hex = 1 << 2,
  mark = 1 << 3,  // "-" / "_" / "." / "!" / "~" / "*" / "'" / "(" / ")"
  token_extra =
      1 << 4,  // token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
  user_unreserved = 1 << 5,   // "&" / "=" / "+" / "$" / "," / ";" / "?" / "/"
  password_extra = 1 << 6,    // "&" / "=" / "+" / "$" / ","
  param_unreserved = 1 << 7,  // "[" / "]" / "/" / ":" / "&" / "+" / "$"
  hnv_unreserved = 1 << 8,    // "[" / "]" / "/" / "?" / ":" / "+" / "$"
  word_extra = 1 << 9,  // word adds "(" / ")" / "<" / ">" / ":" / "\" / DQUOTE / "/" / "[" / "]" /
                        // "?" / "{" / "}"
  reserved = 1 << 10,   // ";" / "/" / "?" / ":" / "@" / "&" / "=" / "+" / "$" / ","
  wsp = 1 << 11,        // SP / HTAB
  utf8_high = 1 << 12,  // UTF8-NONASCII lead and continuation bytes
  visual_separator = 1 << 13,  // RFC 3966: "-" / "." / "(" / ")"
};

namespace detail {
constexpr std::array<std::uint16_t, 256> build() {
  std::array<std::uint16_t, 256> t{};
  auto set = [&t](std::string_view chars, std::uint16_t bit) {
    for (char c : chars) t[static_cast<unsigned char>(c)] |= bit;
  };
  for (int c = 'a'; c <= 'z'; ++c) t[c] |= alpha;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] |= alpha;
  for (int c = '0'; c <= '9'; ++c) t[c] |= digit | hex;
  set("abcdefABCDEF", hex);
  set("-_.!~*'()", mark);
  set("-.!%*_+`'~", token_extra);
  set("&=+$,;?/", user_unreserved);
  set("&=+$,", password_extra);
  set("[]/:&+$", param_unreserved);
  set("[]/?:+$", hnv_unreserved);
  set("-.!%*_+`'~()<>:\\\"/[]?{}", word_extra);
  set(";/?:@&=+$,", reserved);
  set(" \t", wsp);
  set("-.()", visual_separator);
  for (int c = 0x80; c <= 0xFD; ++c) t[c] |= utf8_high;
  return t;
}
inline constexpr auto table = build();
}  // namespace detail

constexpr bool is(char c, std::uint16_t classes) {
  return (detail::table[static_cast<unsigned char>(c)] & classes) != 0;
}
constexpr bool is_alpha(char c) {
  return is(c, alpha);
}
constexpr bool is_digit(char c) {
  return is(c, digit);
}
constexpr bool is_alphanum(char c) {
  return is(c, alpha | digit);
}
constexpr bool is_hex(char c) {
  return is(c, hex);
}
constexpr bool is_wsp(char c) {
  return is(c, wsp);
}
constexpr bool is_unreserved(char c) {
  return is(c, alpha | digit | mark);
}
constexpr bool is_token(char c) {
  return is(c, alpha | digit | token_extra);
}
constexpr bool is_word(char c) {
  return is(c, alpha | digit | token_extra | word_extra);
}

constexpr int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr char to_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

constexpr bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (to_lower(a[i]) != to_lower(b[i])) return false;
  return true;
}

}  // namespace p2psip::sip::charset
