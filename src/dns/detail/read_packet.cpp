#include "dns/detail/read_packet.hpp"

#include <cstddef>

namespace p2psip::dns::detail {
namespace {

constexpr std::size_t header_size = 12;
constexpr std::uint16_t type_opt = 41;
constexpr std::uint16_t type_tsig = 250;

std::uint16_t u16(std::span<const std::uint8_t> wire, std::size_t at) {
  return static_cast<std::uint16_t>(wire[at] << 8 | wire[at + 1]);
}

// Moves `at` past the name there (RFC 1035 §4.1.4: labels ending in the
// root or in a pointer); false when the name runs off the end or uses a
// label type other than these.
bool skip_name(std::span<const std::uint8_t> wire, std::size_t& at) {
  while (at < wire.size()) {
    const std::uint8_t length = wire[at];
    if ((length & 0xC0) == 0xC0) {
      at += 2;
      return at <= wire.size();
    }
    if ((length & 0xC0) != 0) return false;
    at += 1 + length;
    if (length == 0) return true;
  }
  return false;
}

// Whether the additional section holds at most one OPT and one TSIG; false
// too when the sections do not fit the message.
bool at_most_one_opt_and_tsig(std::span<const std::uint8_t> wire) {
  if (wire.size() < header_size) return false;
  const std::size_t questions = u16(wire, 4);
  const std::size_t before_additional = std::size_t{u16(wire, 6)} + u16(wire, 8);
  const std::size_t records = before_additional + u16(wire, 10);
  std::size_t at = header_size;
  for (std::size_t i = 0; i < questions; ++i) {
    if (!skip_name(wire, at)) return false;
    at += 4;  // QTYPE, QCLASS
    if (at > wire.size()) return false;
  }
  int opts = 0;
  int tsigs = 0;
  for (std::size_t i = 0; i < records; ++i) {
    if (!skip_name(wire, at) || at + 10 > wire.size()) return false;
    const auto type = u16(wire, at);
    at += 10 + std::size_t{u16(wire, at + 8)};  // TYPE CLASS TTL RDLENGTH, then RDATA
    if (at > wire.size()) return false;
    if (i < before_additional) continue;
    opts += type == type_opt ? 1 : 0;
    tsigs += type == type_tsig ? 1 : 0;
  }
  return opts <= 1 && tsigs <= 1;
}

}  // namespace

pkt_ptr read_packet(std::span<const std::uint8_t> wire) {
  if (wire.data() == nullptr || !at_most_one_opt_and_tsig(wire)) return nullptr;
  ldns_pkt* parsed = nullptr;
  if (ldns_wire2pkt(&parsed, wire.data(), wire.size()) != LDNS_STATUS_OK) return nullptr;
  return pkt_ptr(parsed);
}

}  // namespace p2psip::dns::detail
