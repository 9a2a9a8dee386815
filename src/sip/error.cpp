#include "sip/error.hpp"

#include <array>
#include <string>

namespace p2psip::sip {
namespace {

struct error_text {
  std::string_view counter;
  std::string_view text;
};

constexpr std::array<error_text, parse_error_count> texts{{
    {"ok", "OK"},
    {"message_too_large", "Message Too Large"},
    {"header_section_too_large", "Header Section Too Large"},
    {"line_too_long", "Header Line Too Long"},
    {"too_many_headers", "Too Many Header Fields"},
    {"body_too_large", "Message Body Too Large"},
    {"empty_message", "Empty Message"},
    {"bad_start_line", "Malformed Start Line"},
    {"bad_method", "Malformed Method"},
    {"bad_request_uri", "Malformed Request-URI"},
    {"bad_version", "Malformed SIP Version"},
    {"bad_status_code", "Malformed Status Code"},
    {"bad_reason_phrase", "Malformed Reason Phrase"},
    {"bad_header_line", "Malformed Header Line"},
    {"bad_header_name", "Malformed Header Name"},
    {"missing_header_end", "Header Section Not Terminated"},
    {"stream_missing_content_length", "Content-Length Required On Stream Transports"},
    {"bad_via", "Malformed Via"},
    {"bad_from", "Malformed From"},
    {"bad_to", "Malformed To"},
    {"bad_call_id", "Malformed Call-ID"},
    {"bad_cseq", "Malformed CSeq"},
    {"bad_max_forwards", "Malformed Max-Forwards"},
    {"bad_content_length", "Malformed Content-Length"},
    {"body_shorter_than_content_length", "Body Shorter Than Content-Length"},
}};

class category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "sip.parse"; }
  std::string message(int ev) const override {
    return std::string(describe(static_cast<parse_error>(ev)));
  }
};

}  // namespace

const std::error_category& parse_category() noexcept {
  static const category instance;
  return instance;
}

std::error_code make_error_code(parse_error e) noexcept {
  return {static_cast<int>(e), parse_category()};
}

std::string_view describe(parse_error e) noexcept {
  const auto i = static_cast<std::size_t>(e);
  return i < texts.size() ? texts[i].text : "Unknown Error";
}

std::string_view counter_name(parse_error e) noexcept {
  const auto i = static_cast<std::size_t>(e);
  return i < texts.size() ? texts[i].counter : "unknown";
}

}  // namespace p2psip::sip
