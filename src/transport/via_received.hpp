// What a server transport writes into the top Via of a request it
// received, so that the response finds its way back: received= when the
// sent-by is not the packet's source address (RFC 3261 §18.2.1), and
// rport= with the source port when the client asked for it (RFC 3581 §4).
#pragma once

#include <asio/ip/address.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "sip/message.hpp"

namespace p2psip::transport {

// The top Via value rewritten with received= and, when `rport` was sent
// empty, rport=<source_port>; nullopt when the Via already tells the truth.
// A received= the client wrote itself is replaced: a response must not be
// steered to an address the request did not come from.
std::optional<std::string> stamped_top_via(const sip::via& top, const asio::ip::address& source,
                                           std::uint16_t source_port);

// The request with its top Via value replaced by `value`.
std::string with_top_via(const sip::message& request, std::string_view value);

}  // namespace p2psip::transport
