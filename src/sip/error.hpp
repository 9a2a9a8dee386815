// Why a message was refused, as a value. Each reason maps to what the
// element should do about it (answer 400 or drop silently) and to a counter
// name, so every rejection is both answerable and countable.
#pragma once

#include <cstdint>
#include <string_view>
#include <system_error>

namespace p2psip::sip {

enum class parse_error : std::uint8_t {
  ok = 0,
  // Limits, checked before anything is buffered or indexed.
  message_too_large,
  header_section_too_large,
  line_too_long,
  too_many_headers,
  body_too_large,
  // Framing.
  empty_message,
  bad_start_line,
  bad_method,
  bad_request_uri,
  bad_version,
  bad_status_code,
  bad_reason_phrase,
  bad_header_line,
  bad_header_name,
  missing_header_end,
  stream_missing_content_length,
  // The header fields every element reads.
  bad_via,
  bad_from,
  bad_to,
  bad_call_id,
  bad_cseq,
  bad_max_forwards,
  bad_content_length,
  body_shorter_than_content_length,
  count_
};

inline constexpr std::size_t parse_error_count = static_cast<std::size_t>(parse_error::count_);

const std::error_category& parse_category() noexcept;
std::error_code make_error_code(parse_error e) noexcept;

// What the receiver of a bad message does: a request that can still be
// answered (its Via, From, To, Call-ID and CSeq are readable) gets 400 with
// the reason; anything else, and every bad response, is dropped and counted.
enum class disposition : std::uint8_t { reply_400, drop };

// A short text fit for a 400 reason phrase or a log line ("Malformed CSeq").
std::string_view describe(parse_error e) noexcept;

// A stable identifier for metrics ("bad_cseq").
std::string_view counter_name(parse_error e) noexcept;

}  // namespace p2psip::sip

template <>
struct std::is_error_code_enum<p2psip::sip::parse_error> : std::true_type {};
