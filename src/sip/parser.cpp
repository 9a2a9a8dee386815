#include "sip/parser.hpp"

#include <cstring>

#include "sip/charset.hpp"
#include "sip/detail/field_lines.hpp"
#include "sip/scanner.hpp"

namespace p2psip::sip {

// Fills a message in phases: start line, header index, eager fields, body.
// Each phase records the first error but, where the structure is still
// sound, the later phases run anyway so the caller can tell whether a 400
// can be built.
class message_parser {
 public:
  message_parser(std::string_view bytes, message& out, framing how, const limits& bounds)
      : bytes_(bytes), out_(out), how_(how), limits_(bounds) {}

  parse_result run();

 private:
  void fail(parse_error e) {
    if (error_ == parse_error::ok) error_ = e;
  }
  std::size_t skip_leading_crlf() const;
  bool start_line(std::size_t& pos);
  void request_line(std::string_view line);
  void status_line(std::string_view line);
  bool index_headers(std::size_t& pos);
  void eager_fields();
  void body(std::size_t body_start, parse_result& result);

  std::string_view bytes_;
  message& out_;
  framing how_;
  const limits& limits_;
  parse_error error_ = parse_error::ok;
};

namespace {

// SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT, "SIP" in any case.
bool valid_version(std::string_view v) {
  if (v.size() < 7 || !charset::iequals(v.substr(0, 4), "SIP/")) return false;
  scanner s(v.substr(4));
  if (!s.number(999) || !s.consume('.') || !s.number(999)) return false;
  return s.done();
}

// Reason-Phrase = *(reserved / unreserved / escaped / UTF8-NONASCII /
// UTF8-CONT / SP / HTAB): everything printable but controls.
bool valid_reason(std::string_view r) {
  for (char c : r) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return false;
  }
  return true;
}

}  // namespace

parse_result message_parser::run() {
  out_.reset();
  parse_result result;
  if (bytes_.size() > limits_.max_message_size) {
    result.error = parse_error::message_too_large;
    return result;
  }
  std::size_t pos = skip_leading_crlf();
  if (pos == bytes_.size()) {
    result.error = parse_error::empty_message;
    return result;
  }
  const auto start = pos;
  if (!start_line(pos) || !index_headers(pos)) {
    result.error = error_;
    return result;
  }
  eager_fields();
  body(pos, result);
  out_.raw_ = bytes_.substr(start, result.consumed - start);
  result.error = error_;
  if (error_ != parse_error::ok)
    result.action =
        out_.is_request_ && out_.answerable() ? disposition::reply_400 : disposition::drop;
  return result;
}

// RFC 3261 §7.5: CRLFs before the start line are ignored.
std::size_t message_parser::skip_leading_crlf() const {
  std::size_t pos = 0;
  while (pos + 1 < bytes_.size() && bytes_[pos] == '\r' && bytes_[pos + 1] == '\n') pos += 2;
  return pos;
}

bool message_parser::start_line(std::size_t& pos) {
  const auto window = bytes_.substr(pos, limits_.max_line_length + 2);
  const auto crlf = window.find("\r\n");
  if (crlf == std::string_view::npos) {
    fail(window.size() > limits_.max_line_length ? parse_error::line_too_long
                                                 : parse_error::bad_start_line);
    return false;
  }
  const auto line = window.substr(0, crlf);
  out_.start_line_ = line;
  pos += crlf + 2;
  if (line.size() >= 4 && charset::iequals(line.substr(0, 4), "SIP/")) {
    out_.is_request_ = false;
    status_line(line);
  } else {
    out_.is_request_ = true;
    request_line(line);
  }
  return true;
}

// Request-Line = Method SP Request-URI SP SIP-Version CRLF
void message_parser::request_line(std::string_view line) {
  auto& rl = out_.request_;
  const auto sp1 = line.find(' ');
  rl.method_text = line.substr(0, sp1);
  rl.method = method_from(rl.method_text);
  if (sp1 == std::string_view::npos) return fail(parse_error::bad_start_line);
  for (char c : rl.method_text)
    if (!charset::is_token(c)) return fail(parse_error::bad_method);
  if (rl.method_text.empty()) return fail(parse_error::bad_method);
  const auto rest = line.substr(sp1 + 1);
  const auto sp2 = rest.find(' ');
  if (sp2 == std::string_view::npos) return fail(parse_error::bad_start_line);
  rl.uri_text = rest.substr(0, sp2);
  rl.version = rest.substr(sp2 + 1);
  // One SP exactly on each side of the URI (RFC 4475 §3.1.2.8-10): LWS in
  // the URI, doubled or trailing spaces all leave a space where none may be.
  if (rl.uri_text.empty() || rl.version.find(' ') != std::string_view::npos)
    return fail(parse_error::bad_start_line);
  if (!valid_version(rl.version)) return fail(parse_error::bad_version);
  const auto parsed = parse_uri(rl.uri_text);
  if (!parsed) return fail(parse_error::bad_request_uri);
  rl.uri = *parsed;
}

// Status-Line = SIP-Version SP Status-Code SP Reason-Phrase CRLF
void message_parser::status_line(std::string_view line) {
  auto& sl = out_.status_;
  const auto sp1 = line.find(' ');
  sl.version = line.substr(0, sp1);
  if (sp1 == std::string_view::npos || !valid_version(sl.version))
    return fail(parse_error::bad_version);
  const auto rest = line.substr(sp1 + 1);
  if (rest.size() < 3 || !charset::is_digit(rest[0]) || !charset::is_digit(rest[1]) ||
      !charset::is_digit(rest[2]) || rest[0] == '0' || (rest.size() > 3 && rest[3] != ' '))
    return fail(parse_error::bad_status_code);
  sl.code =
      static_cast<std::uint16_t>((rest[0] - '0') * 100 + (rest[1] - '0') * 10 + (rest[2] - '0'));
  sl.reason = rest.size() > 4 ? rest.substr(4) : std::string_view{};
  if (!valid_reason(sl.reason)) return fail(parse_error::bad_reason_phrase);
}

bool message_parser::index_headers(std::size_t& pos) {
  for (;;) {
    if (pos > limits_.max_header_section) {
      fail(parse_error::header_section_too_large);
      return false;
    }
    if (bytes_.size() - pos >= 2 && bytes_[pos] == '\r' && bytes_[pos + 1] == '\n') {
      pos += 2;
      return true;
    }
    if (pos >= bytes_.size()) {
      fail(parse_error::missing_header_end);
      return false;
    }
    detail::field_span field;
    const auto e = detail::read_field(bytes_, pos, limits_.max_line_length, field);
    if (e == parse_error::bad_header_name) {
      // The line is bad but where it ends is certain: read on, so that a
      // request whose other fields are sound can still be answered 400.
      fail(e);
      pos += field.line.size();
      continue;
    }
    if (e != parse_error::ok) {
      fail(e);
      return false;
    }
    if (out_.header_count_ >= limits_.max_headers ||
        out_.header_count_ >= message::header_capacity) {
      fail(parse_error::too_many_headers);
      return false;
    }
    out_.headers_[out_.header_count_++] = {lookup_header(field.name), field.name, field.value,
                                           field.line};
    pos += field.line.size();
  }
}

void message_parser::eager_fields() {
  for (const auto& h : out_.headers()) {
    switch (h.id) {
      case header_id::via:
        if (!out_.via_ok_ && out_.top_via_.text.empty()) {
          const auto parsed = parse_via(split_first_value(h.value).first);
          if (parsed) out_.top_via_ = *parsed;
          out_.via_ok_ = parsed.has_value();
          if (!parsed) {
            out_.top_via_.text = h.value;
            fail(parse_error::bad_via);
          }
        }
        break;
      case header_id::from:
      case header_id::to: {
        const bool is_from = h.id == header_id::from;
        auto& ok = is_from ? out_.from_ok_ : out_.to_ok_;
        const auto parsed = parse_name_addr(h.value);
        // A second From or To is for the validator to judge; the first one counts here.
        if (!ok && parsed) {
          (is_from ? out_.from_ : out_.to_) = *parsed;
          ok = true;
        } else if (!parsed) {
          fail(is_from ? parse_error::bad_from : parse_error::bad_to);
        }
        break;
      }
      case header_id::call_id:
        if (const auto id = parse_call_id(h.value); id && !out_.call_id_ok_) {
          out_.call_id_ = *id;
          out_.call_id_ok_ = true;
        } else if (!id) {
          fail(parse_error::bad_call_id);
        }
        break;
      case header_id::cseq:
        if (const auto c = parse_cseq(h.value); c && !out_.cseq_ok_) {
          out_.cseq_ = *c;
          out_.cseq_ok_ = true;
        } else if (!c) {
          fail(parse_error::bad_cseq);
        }
        break;
      case header_id::max_forwards:
        if (const auto mf = parse_delta_seconds(h.value, 255); mf && !out_.max_forwards_) {
          out_.max_forwards_ = mf;
        } else if (!mf) {
          fail(parse_error::bad_max_forwards);
        }
        break;
      case header_id::content_length:
        if (const auto cl = parse_delta_seconds(h.value, 0xffffffffu); !cl) {
          fail(parse_error::bad_content_length);
        } else if (out_.content_length_ && *out_.content_length_ != *cl) {
          // Two different lengths: the framing is ambiguous.
          fail(parse_error::bad_content_length);
        } else {
          out_.content_length_ = cl;
        }
        break;
      default:
        break;
    }
  }
}

void message_parser::body(std::size_t body_start, parse_result& result) {
  const auto available = bytes_.size() - body_start;
  std::size_t length = available;
  if (out_.content_length_) {
    length = *out_.content_length_;
    if (length > limits_.max_body_size) {
      fail(parse_error::body_too_large);
      length = 0;
    } else if (length > available) {
      fail(parse_error::body_shorter_than_content_length);
      length = available;
    }
  } else if (how_ == framing::stream) {
    fail(parse_error::stream_missing_content_length);
  } else if (length > limits_.max_body_size) {
    fail(parse_error::body_too_large);
  }
  // Bytes past Content-Length in a datagram are discarded (§18.3).
  out_.body_ = bytes_.substr(body_start, length);
  result.consumed = body_start + length;
}

parse_result parse(std::string_view bytes, message& out, framing how, const limits& bounds) {
  return message_parser(bytes, out, how, bounds).run();
}

// ---------------------------------------------------------------------------
// Stream framing

stream_framer::frame stream_framer::next(std::string_view buffered) {
  if (message_size_ != 0) {
    if (buffered.size() < message_size_) return {kind::need_more, 0, parse_error::ok};
    const frame done{kind::message, message_size_, parse_error::ok};
    message_size_ = 0;
    searched_ = 0;
    return done;
  }
  // CRLF between messages: a CRLFCRLF is a keep-alive ping, a lone CRLF is
  // ignored (§7.5). Until we see what follows a CRLF we cannot tell which.
  if (!buffered.empty() && buffered[0] == '\r') {
    if (buffered.size() < 4 && std::string_view("\r\n\r\n").starts_with(buffered))
      return {kind::need_more, 0, parse_error::ok};
    if (buffered.starts_with("\r\n\r\n")) return {kind::ping, 4, parse_error::ok};
    if (buffered.starts_with("\r\n")) return {kind::skip, 2, parse_error::ok};
    return {kind::error, 0, parse_error::bad_start_line};
  }
  // Search only the bytes not searched yet, backing up three in case the
  // empty line straddles the old end.
  const auto from = searched_ >= 3 ? searched_ - 3 : 0;
  const auto end = buffered.find("\r\n\r\n", from);
  if (end == std::string_view::npos) {
    searched_ = buffered.size();
    if (buffered.size() > limits_.max_header_section)
      return {kind::error, 0, parse_error::header_section_too_large};
    return {kind::need_more, 0, parse_error::ok};
  }
  if (end + 4 > limits_.max_header_section)
    return {kind::error, 0, parse_error::header_section_too_large};
  return locate_body(buffered, end + 4);
}

// The header section is complete: find Content-Length in it and decide the
// message size before a single body byte needs to be held.
stream_framer::frame stream_framer::locate_body(std::string_view buffered, std::size_t header_end) {
  const auto section = buffered.substr(0, header_end);
  std::size_t pos = section.find("\r\n") + 2;  // past the start line
  std::optional<std::uint32_t> length;
  while (pos + 2 < section.size()) {
    detail::field_span field;
    const auto e = detail::read_field(section, pos, limits_.max_line_length, field);
    if (e != parse_error::ok) return {kind::error, 0, e};
    if (lookup_header(field.name) == header_id::content_length) {
      length = parse_delta_seconds(field.value, 0xffffffffu);
      if (!length) return {kind::error, 0, parse_error::bad_content_length};
    }
    pos += field.line.size();
  }
  if (!length) return {kind::error, 0, parse_error::stream_missing_content_length};
  if (*length > limits_.max_body_size) return {kind::error, 0, parse_error::body_too_large};
  const auto total = header_end + *length;
  if (total > limits_.max_message_size) return {kind::error, 0, parse_error::message_too_large};
  message_size_ = total;
  return next(buffered);
}

}  // namespace p2psip::sip
