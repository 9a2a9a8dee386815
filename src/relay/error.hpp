// Why a STUN message was refused, a TURN URI did not parse, or a TURN
// server failed its probe. The decode errors all mean "drop it": a
// receiver answers nothing to a message it cannot read (RFC 8489 §6.3).
#pragma once

#include <system_error>

namespace p2psip::relay {

enum class error : int {
  // Decoding (stun_message.hpp)
  too_short = 1,        // fewer than the 20 bytes of a header
  not_stun,             // top bits set, or no magic cookie (RFC 8489 §5)
  bad_length,           // the header's length is not the rest of the buffer, or not 4n
  truncated_attribute,  // an attribute runs past the end of the message
  too_many_attributes,  // more than max_attributes
  bad_attribute,        // a known attribute whose length or contents are wrong
  bad_fingerprint,      // FINGERPRINT does not match, or is not the last attribute
  value_too_long,       // encoding: USERNAME, REALM or NONCE over their RFC 8489 limits
  // TURN URIs (turn_uri.hpp)
  bad_uri_scheme,  // neither turn: nor turns:
  bad_uri_host,    // empty, or not a host name or IP literal
  bad_uri_port,    // not 1..65535
  bad_uri_query,   // a query other than ?transport=udp|tcp
  // The probe (turn_probe.hpp)
  timeout,             // no answer within the transaction's time
  malformed_response,  // only answers that do not decode or do not fit the request came
  server_error,        // the server answered with an ERROR-CODE (in the result)
  no_challenge,        // an Allocate without credentials was not answered 401 + REALM + NONCE
  bad_integrity,       // the answer's MESSAGE-INTEGRITY is missing or does not verify
  missing_address,     // a success without XOR-MAPPED-ADDRESS or XOR-RELAYED-ADDRESS
  no_secret,           // the secret could not be used (empty) or random bytes were not to be had
};

const std::error_category& relay_category() noexcept;
std::error_code make_error_code(error e) noexcept;

}  // namespace p2psip::relay

template <>
struct std::is_error_code_enum<p2psip::relay::error> : std::true_type {};
