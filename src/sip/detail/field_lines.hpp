// Splitting a header section into fields, shared by the message parser and
// the stream framer. A field is
//   message-header = field-name HCOLON field-value CRLF
// where field-value may continue on lines that start with SP or HTAB.
#pragma once

#include <cstring>
#include <string_view>

#include "sip/charset.hpp"
#include "sip/error.hpp"

namespace p2psip::sip::detail {

struct field_span {
  std::string_view name;
  std::string_view value;  // trimmed
  std::string_view line;   // through the CRLF that ends the field
};

// Reads the field that starts at `text[pos]` (which is not the empty line).
// On success sets `out` and returns ok; `max_line` bounds the field length.
// A bad_header_name still sets `out.line`: the field's extent is known, so
// the caller may skip it and read on.
inline parse_error read_field(std::string_view text, std::size_t pos, std::size_t max_line,
                              field_span& out) {
  const char* const base = text.data();
  std::size_t end = pos;
  // Find the CRLF that is not followed by a continuation.
  for (;;) {
    const void* lf = std::memchr(base + end, '\n', text.size() - end);
    if (lf == nullptr) {
      return text.size() - pos > max_line ? parse_error::line_too_long
                                          : parse_error::missing_header_end;
    }
    const auto lf_pos = static_cast<std::size_t>(static_cast<const char*>(lf) - base);
    if (lf_pos == end || base[lf_pos - 1] != '\r') return parse_error::bad_header_line;
    end = lf_pos + 1;
    if (end - pos > max_line) return parse_error::line_too_long;
    if (end < text.size() && charset::is_wsp(base[end])) continue;
    break;
  }
  out.line = text.substr(pos, end - pos);

  // field-name = token, then HCOLON = *( SP / HTAB ) ":" SWS
  std::size_t i = pos;
  while (i < end && charset::is_token(base[i])) ++i;
  if (i == pos) return parse_error::bad_header_name;
  out.name = text.substr(pos, i - pos);
  while (i < end && charset::is_wsp(base[i])) ++i;
  if (base[i] != ':') return parse_error::bad_header_name;
  ++i;

  std::size_t value_end = end - 2;
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (i < value_end && is_space(base[i])) ++i;
  while (value_end > i && is_space(base[value_end - 1])) --value_end;
  // A bare CR inside a value cannot be told apart from framing (every LF
  // was checked above to follow a CR). NUL is left to the grammars: a
  // quoted-pair may escape it (RFC 4475 §3.1.1.2).
  for (std::size_t k = i; k < value_end;) {
    const void* cr = std::memchr(base + k, '\r', value_end - k);
    if (cr == nullptr) break;
    k = static_cast<std::size_t>(static_cast<const char*>(cr) - base);
    if (base[k + 1] != '\n') return parse_error::bad_header_line;
    k += 2;
  }
  out.value = text.substr(i, value_end - i);
  return parse_error::ok;
}

}  // namespace p2psip::sip::detail
