// A client's mark on its OpenDHT packets (concepts §3.4.2: a client uses the
// overlay's storage and routing without providing them).
//
// OpenDHT 2.4 already honours the mark on receipt: a packet whose top-level
// map holds "s": true comes from a client, which the receiver never puts in
// its routing table nor hands out in node lists, so nobody asks it to store
// or route. What 2.4 lacks is a way to send the mark (upstream added
// Config::client_mode, which writes this same key, in a later release), so
// our socket adds it to every datagram the node sends.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace p2psip::overlay {

// `packet` with "s": true added to its top-level msgpack map; nothing when
// the packet does not start with a map (OpenDHT sends no such packet).
std::optional<std::vector<std::uint8_t>> mark_as_client(std::span<const std::uint8_t> packet);

}  // namespace p2psip::overlay
