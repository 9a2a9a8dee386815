// The datagram parser on arbitrary bytes. Beyond not crashing: a message that
// parses must survive being written out and parsed again with the same
// fields, and its validation must not crash either.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sip/editor.hpp"
#include "sip/parser.hpp"
#include "sip/validate.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace p2psip::sip;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  message m;
  const auto result = parse(bytes, m);
  if (!result) return 0;
  if (result.consumed > size) std::abort();
  if (m.is_request()) (void)validate_request(m);
  for (const auto& h : m.headers())
    for (const auto& v : m.values(h.id)) (void)v;

  // Normalizing may lengthen lines (compact names spelled out), so the
  // re-parse is held to generous limits rather than the defaults.
  limits roomy;
  roomy.max_message_size = roomy.max_header_section = roomy.max_line_length = 1 << 20;
  roomy.max_body_size = 1 << 20;
  // The edits below may add a Max-Forwards to a message already at the
  // default header limit.
  roomy.max_headers = limits::header_capacity;
  const auto normalized = write_normalized(m);
  message again;
  if (!parse(normalized, again, framing::datagram, roomy)) std::abort();
  if (again.headers().size() != m.headers().size() || again.body() != m.body() ||
      again.call_id() != m.call_id() || again.start_line() != m.start_line())
    std::abort();

  message_editor editor(m);
  editor.pop_via();
  editor.push_via("SIP/2.0/UDP fuzz.invalid;branch=z9hG4bKfuzz");
  editor.decrement_max_forwards();
  if (m.is_request()) editor.pop_route();
  const auto edited = editor.str();
  message reparsed;
  if (!parse(edited, reparsed, framing::datagram, roomy) ||
      reparsed.top_via().host != "fuzz.invalid")
    std::abort();
  return 0;
}
