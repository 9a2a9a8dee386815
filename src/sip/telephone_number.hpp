// Telephone numbers as SIP carries them and as a gateway peer serves them
// (docs/configuration.md, [gateway] numbers).
//
// A number is what a tel: URI (RFC 3966) or a sip:/sips: URI with
// user=phone (RFC 3261 §19.1.6) names, its visual separators ("-", ".",
// "(", ")") and parameters taken off: "+" and digits for a global number,
// digits alone for a local one ("0049301234", "112"). Anything else ("*21#",
// hex digits, an empty number) is not a number a gateway is asked to dial.
//
// A pattern says which numbers a gateway serves, kept simple on purpose:
// digits, optionally a leading "+", optionally one trailing "*" that stands
// for any rest, empty included. "+1*" serves every NANP number, "00*" every
// number dialled with an international prefix, "+4930123456" that number
// alone, "*" every number. A longer pattern is the more specific one: a
// number goes to the gateways with the longest pattern it matches first.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "sip/uri.hpp"

namespace p2psip::sip {

// The number `u` names: a tel: URI's, or the user part of a sip:/sips: URI
// with user=phone. nullopt for any other URI, or a user part that is no
// number by the rules above.
std::optional<std::string> telephone_number(const uri& u);

// Whether `u` asks for a telephone number at all (tel:, or user=phone),
// whether or not the number is valid: such a request is never an overlay
// user's.
bool names_telephone_number(const uri& u);

// A number written with visual separators, cleaned: nullopt when it is none.
std::optional<std::string> normalize_number(std::string_view text);

// E.164 numbers have at most 15 digits; a pattern has room for prefixes.
inline constexpr std::size_t max_number_pattern = 32;
bool valid_number_pattern(std::string_view pattern);
inline constexpr std::string_view number_pattern_syntax =
    "digits with an optional leading \"+\" and an optional trailing \"*\" (\"+1*\", \"00*\", "
    "\"*\")";

// How specific the match is: the pattern's length without its "*" (so a
// longer prefix wins), or nullopt when `number` does not match `pattern`.
std::optional<std::size_t> number_match(std::string_view pattern, std::string_view number);

}  // namespace p2psip::sip
