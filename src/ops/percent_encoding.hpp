// Percent-encoding of URI components (RFC 3986 §2.1), for the query of the
// operations API: the server decodes, the p2psip CLI encodes.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace p2psip::ops {

// Every byte but the unreserved ones (ALPHA DIGIT "-" "." "_" "~") becomes
// %XX, so an AOR's ":", "@", ";" and "+" reach the server unchanged.
std::string percent_encode(std::string_view text);

// nullopt for a truncated or non-hex escape, and for %00, which no AOR or
// path contains and which C APIs further down would cut the string at.
// "+" stays "+": SIP user parts such as "+15551234" use it literally.
std::optional<std::string> percent_decode(std::string_view text);

}  // namespace p2psip::ops
