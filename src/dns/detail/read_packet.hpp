// ldns_wire2pkt behind a check of what it mishandles. ldns 1.8 keeps one
// TSIG and one OPT record per message: a second one in the additional
// section replaces the first without freeing it, so every such message,
// which anyone able to answer a node can send, leaked memory. RFC 8945
// §5.1 allows one TSIG, RFC 6891 §6.1.1 one OPT: a message with more is
// malformed and refused before ldns reads it.
#pragma once

#include <span>

#include "dns/detail/ldns_handles.hpp"

namespace p2psip::dns::detail {

// The message in `wire`, or nullptr when it is malformed.
pkt_ptr read_packet(std::span<const std::uint8_t> wire);

}  // namespace p2psip::dns::detail
