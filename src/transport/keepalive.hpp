// Keep-alives that share a UDP port with SIP and are not SIP messages.
#pragma once

#include <cstdint>
#include <string_view>

namespace p2psip::transport {

// A STUN message (RFC 5389 §6): RFC 5626 §4.4.2 clients send STUN Binding
// requests to the SIP port to keep their NAT binding. The first two bits
// are zero and the magic cookie follows the length, where a SIP message
// starts with a letter (the demultiplexing of RFC 7983 §7).
constexpr bool is_stun_message(std::string_view d) {
  if (d.size() < 20) return false;
  const auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(d[i]); };
  const std::size_t length = (std::size_t{byte(2)} << 8) | byte(3);
  return (byte(0) & 0xc0) == 0 && byte(4) == 0x21 && byte(5) == 0x12 && byte(6) == 0xa4 &&
         byte(7) == 0x42 && length % 4 == 0 && length + 20 == d.size();
}

// "\r\n" or "\r\n\r\n" alone in a datagram: many phones keep their NAT
// binding open this way on UDP too. It gets no answer there, unlike the
// stream ping of RFC 5626 §4.4.1.
constexpr bool is_crlf_keepalive(std::string_view d) {
  return d == "\r\n" || d == "\r\n\r\n";
}

}  // namespace p2psip::transport
