// Reading a request's route as the proxy sees it (RFC 3261 §16.4, §16.6):
// which Route values are ours, where the route goes next, and the hashes
// that identify a request for loop detection and stateless forwarding.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "sip/message.hpp"

namespace p2psip::proxy {

class proxy_core;

inline constexpr std::string_view magic_cookie = "z9hG4bK";

// How many of the topmost Route values name this proxy (two after a double
// Record-Route, RFC 5658).
std::size_t own_route_count(const sip::message& m, const proxy_core& core);

// The first Route value that is not ours, when there is one.
std::optional<sip::uri> first_foreign_route(const sip::message& m, const proxy_core& core);

// §16.3 step 4 / §16.6 step 8: a hash of the fields a request keeps when it
// loops back (Request-URI, From and To tags, Call-ID, CSeq number, Route).
std::string loop_hash(const sip::message& m);

// §16.11: a branch for stateless forwarding, the same for a retransmission.
std::string stateless_hash(const sip::message& m);

}  // namespace p2psip::proxy
