// A parsed SIP message: a view over the received bytes. The start line and
// the fields every element routes on (top Via, From, To, Call-ID, CSeq,
// Max-Forwards, Content-Length) are parsed eagerly; every other header is
// indexed as a name/value view and parsed on demand with headers.hpp.
// A message never owns or copies the buffer: the caller keeps it alive.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "sip/header_name.hpp"
#include "sip/headers.hpp"
#include "sip/limits.hpp"
#include "sip/uri.hpp"

namespace p2psip::sip {

enum class method : std::uint8_t {
  other,
  ack,
  bye,
  cancel,
  info,
  invite,
  message,
  notify,
  options,
  prack,
  publish,
  refer,
  register_,
  subscribe,
  update,
};

// Methods are case-sensitive (RFC 3261 §7.1); unknown ones map to other.
method method_from(std::string_view text) noexcept;
std::string_view method_name(method m) noexcept;

struct header_field {
  header_id id = header_id::other;
  std::string_view name;   // as received: "v", "VIA", "X-Custom"
  std::string_view value;  // leading and trailing whitespace removed; folds kept
  std::string_view line;   // the whole field, name through the final CRLF
};

struct request_line {
  std::string_view method_text;
  sip::method method = sip::method::other;
  std::string_view uri_text;
  sip::uri uri;
  std::string_view version;
};

struct status_line {
  std::string_view version;
  std::uint16_t code = 0;
  std::string_view reason;
};

// The comma-separated values of one header across all its lines, in order:
// "Route: <a>, <b>" and "Route: <a>" + "Route: <b>" yield the same values.
class value_range {
 public:
  struct value {
    std::string_view text;
    const header_field* field;  // the line holding this value
    std::size_t index_in_field;
  };

  class iterator {
   public:
    using value_type = value;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    iterator(std::span<const header_field> fields, header_id id);
    const value& operator*() const { return current_; }
    const value* operator->() const { return &current_; }
    iterator& operator++();
    iterator operator++(int) {
      auto copy = *this;
      ++*this;
      return copy;
    }
    bool operator==(const iterator& other) const {
      return fields_.data() == other.fields_.data() && rest_.data() == other.rest_.data() &&
             done_ == other.done_;
    }

   private:
    bool next_field_from(std::size_t index);
    std::span<const header_field> fields_;
    std::size_t field_index_ = 0;
    header_id id_ = header_id::other;
    std::string_view rest_;
    value current_{};
    bool done_ = true;
  };

  value_range(std::span<const header_field> fields, header_id id) : fields_(fields), id_(id) {}
  iterator begin() const { return iterator(fields_, id_); }
  iterator end() const { return iterator(); }
  bool empty() const { return begin() == end(); }
  std::optional<std::string_view> front() const;

 private:
  std::span<const header_field> fields_;
  header_id id_;
};

// Splits off the first value of a comma-separated header value: commas inside
// quoted strings and <...> do not separate. Returns {first, rest}.
std::pair<std::string_view, std::string_view> split_first_value(std::string_view list);

class message {
 public:
  static constexpr std::size_t header_capacity = limits::header_capacity;

  bool is_request() const { return is_request_; }
  bool is_response() const { return !is_request_; }
  const request_line& request() const { return request_; }
  const status_line& status() const { return status_; }
  sip::method method() const { return request_.method; }

  std::span<const header_field> headers() const { return {headers_.data(), header_count_}; }
  const header_field* find(header_id id) const;
  const header_field* find(std::string_view name) const;
  std::size_t count(header_id id) const;
  value_range values(header_id id) const { return {headers(), id}; }

  // The eagerly parsed fields. Each is valid when parse() succeeded.
  const sip::via& top_via() const { return top_via_; }
  std::string_view call_id() const { return call_id_; }
  const sip::cseq& cseq() const { return cseq_; }
  const name_addr& from() const { return from_; }
  const name_addr& to() const { return to_; }
  std::optional<std::uint32_t> max_forwards() const { return max_forwards_; }
  std::optional<std::uint32_t> content_length() const { return content_length_; }

  std::string_view start_line() const { return start_line_; }
  std::string_view body() const { return body_; }
  // The message from its start line through the end of its body.
  std::string_view raw() const { return raw_; }

  // Whether a 400 can be built for this request: the fields a response
  // copies (Via, From, To, Call-ID, CSeq) are present. They are copied
  // verbatim, so they need not have parsed: RFC 4475 §3.1.2.1 wants a 400
  // even for a request whose Via is malformed.
  bool answerable() const;

 private:
  friend class message_parser;

  // Forgets a previous parse without touching the header array: only the
  // first header_count_ entries are ever read.
  void reset();

  bool is_request_ = false;
  request_line request_;
  status_line status_;
  std::string_view start_line_;
  std::array<header_field, header_capacity> headers_;
  std::size_t header_count_ = 0;
  sip::via top_via_;
  std::string_view call_id_;
  sip::cseq cseq_;
  name_addr from_;
  name_addr to_;
  std::optional<std::uint32_t> max_forwards_;
  std::optional<std::uint32_t> content_length_;
  std::string_view body_;
  std::string_view raw_;
  bool via_ok_ = false;
  bool from_ok_ = false;
  bool to_ok_ = false;
  bool call_id_ok_ = false;
  bool cseq_ok_ = false;
};

}  // namespace p2psip::sip
