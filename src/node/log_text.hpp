// Text a peer chose (a From URI, a user name, an AOR from the DHT), made
// safe for one log line: cut to a bound, and every byte that is not
// printable ASCII, or is a backslash or a double quote, written as \xNN. A
// log reader never sees a forged line break, a terminal escape, or a line
// an attacker made long.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace p2psip::node {

std::string log_text(std::string_view untrusted, std::size_t max_bytes = 96);

}  // namespace p2psip::node
