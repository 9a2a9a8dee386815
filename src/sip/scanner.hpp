// A cursor over a header value, with one method per RFC 3261 §25.1 lexical
// rule the header grammars are built from (SWS, token, quoted-string, ...).
// Views only: a scanner never copies or allocates.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "sip/charset.hpp"

namespace p2psip::sip {

class scanner {
 public:
  explicit constexpr scanner(std::string_view text) : text_(text) {}

  constexpr bool done() const { return pos_ >= text_.size(); }
  constexpr char peek() const { return done() ? '\0' : text_[pos_]; }
  constexpr std::size_t pos() const { return pos_; }
  constexpr void seek(std::size_t pos) { pos_ = pos; }
  constexpr std::string_view rest() const { return text_.substr(pos_); }
  constexpr std::string_view text() const { return text_; }
  constexpr std::string_view since(std::size_t start) const {
    return text_.substr(start, pos_ - start);
  }

  // SWS = [LWS]; LWS = [*WSP CRLF] 1*WSP. A CRLF not followed by WSP ends the
  // value, so it is left in place.
  constexpr void skip_sws() {
    for (;;) {
      while (!done() && charset::is_wsp(text_[pos_])) ++pos_;
      if (pos_ + 2 < text_.size() && text_[pos_] == '\r' && text_[pos_ + 1] == '\n' &&
          charset::is_wsp(text_[pos_ + 2])) {
        pos_ += 2;
        continue;
      }
      return;
    }
  }

  constexpr bool consume(char c) {
    if (peek() != c || done()) return false;
    ++pos_;
    return true;
  }

  // The separators of §25.1 (SEMI, COLON, SLASH, EQUAL, COMMA, ...) are
  // SWS c SWS. Restores the position when c is absent.
  constexpr bool consume_separator(char c) {
    const auto start = pos_;
    skip_sws();
    if (!consume(c)) {
      pos_ = start;
      return false;
    }
    skip_sws();
    return true;
  }

  // token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
  constexpr std::string_view token() { return span_of(charset::is_token); }

  // word: the Call-ID alphabet.
  constexpr std::string_view word() { return span_of(charset::is_word); }

  template <typename Pred>
  constexpr std::string_view span_of(Pred pred) {
    const auto start = pos_;
    while (!done() && pred(text_[pos_])) ++pos_;
    return since(start);
  }

  // quoted-string = SWS DQUOTE *(qdtext / quoted-pair) DQUOTE. Returns the
  // text between the quotes with its escapes intact; nullopt when the
  // closing quote is missing or a quoted-pair escapes CR or LF.
  constexpr std::optional<std::string_view> quoted_string() {
    if (!consume('"')) return std::nullopt;
    const auto start = pos_;
    while (!done()) {
      const char c = text_[pos_];
      if (c == '"') {
        auto inner = since(start);
        ++pos_;
        return inner;
      }
      if (c == '\\') {
        if (pos_ + 1 >= text_.size()) return std::nullopt;
        const char escaped = text_[pos_ + 1];
        if (escaped == '\r' || escaped == '\n') return std::nullopt;
        pos_ += 2;
        continue;
      }
      if (c == '\r') {
        // Only folding (CRLF WSP) may appear inside a quoted string.
        if (pos_ + 2 < text_.size() && text_[pos_ + 1] == '\n' &&
            charset::is_wsp(text_[pos_ + 2])) {
          pos_ += 3;
          continue;
        }
        return std::nullopt;
      }
      if (c == '\n' || c == '\0') return std::nullopt;
      ++pos_;
    }
    return std::nullopt;
  }

  // 1*DIGIT whose value must not exceed `max`; nullopt on no digit or overflow.
  constexpr std::optional<std::uint64_t> number(std::uint64_t max) {
    const auto start = pos_;
    std::uint64_t value = 0;
    while (!done() && charset::is_digit(text_[pos_])) {
      const auto d = static_cast<std::uint64_t>(text_[pos_] - '0');
      if (value > (max - d) / 10) return std::nullopt;
      value = value * 10 + d;
      ++pos_;
    }
    if (pos_ == start) return std::nullopt;
    return value;
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace p2psip::sip
