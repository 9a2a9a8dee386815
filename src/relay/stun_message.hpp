// STUN messages (RFC 8489) as the TURN probe needs them, without I/O: the
// requests it sends — Binding, and TURN's Allocate and Refresh (RFC 8656)
// with the long-term credential — and the decoding of whatever comes back.
//
// Decoding is bounded before it reads: the header's length must be exactly
// the rest of the buffer, every attribute must fit inside it, and at most
// max_attributes are looked at. A message that breaks a rule is an error
// code, never an exception or a read past the end.
#pragma once

#include <array>
#include <asio/ip/address.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace p2psip::relay {

// The class bits C1 C0 of the message type (RFC 8489 §5).
enum class stun_class : std::uint8_t { request = 0, indication = 1, success = 2, error = 3 };

// The methods the probe uses (RFC 8489 §18.2, RFC 8656 §17).
namespace stun_method {
inline constexpr std::uint16_t binding = 0x001;
inline constexpr std::uint16_t allocate = 0x003;
inline constexpr std::uint16_t refresh = 0x004;
}  // namespace stun_method

using transaction_id = std::array<std::uint8_t, 12>;

inline constexpr std::size_t stun_header_size = 20;
// No answer to our requests has more than about ten attributes; anything
// longer is a mistake or an attack, and not worth the time.
inline constexpr std::size_t max_attributes = 32;

// The long-term credential a request carries (RFC 8489 §9.2).
struct long_term_auth {
  std::string username;
  std::string realm;
  std::string nonce;
  std::string key;  // long_term_key(username, realm, password)
};

// MD5(username ":" realm ":" password), the HMAC key of MESSAGE-INTEGRITY
// under the long-term mechanism (RFC 8489 §9.2.2). The password is taken
// as it is: REST passwords are base64, which OpaqueString leaves alone.
std::string long_term_key(std::string_view username, std::string_view realm,
                          std::string_view password);

struct stun_request {
  std::uint16_t method = stun_method::binding;
  transaction_id id{};
  bool requested_transport_udp = false;   // REQUESTED-TRANSPORT: UDP (RFC 8656 §18.11)
  std::optional<std::uint32_t> lifetime;  // LIFETIME, in seconds (RFC 8656 §18.2)
  std::optional<long_term_auth> auth;     // USERNAME, REALM, NONCE, MESSAGE-INTEGRITY
};

stun_request binding_request(const transaction_id& id);
// Asks for a UDP relay for `lifetime`; without `auth` it draws the 401 that
// tells the realm and a nonce (RFC 8656 §7.2).
stun_request allocate_request(const transaction_id& id, std::chrono::seconds lifetime,
                              std::optional<long_term_auth> auth);
// Lifetime 0 releases the allocation (RFC 8656 §8).
stun_request refresh_request(const transaction_id& id, std::chrono::seconds lifetime,
                             long_term_auth auth);

struct encoded_message {
  std::vector<std::uint8_t> wire;
  std::error_code error;  // value_too_long: a credential field over its limit
};

// The request on the wire, FINGERPRINT last (RFC 8489 §14.7), after
// MESSAGE-INTEGRITY when it has a credential.
encoded_message encode(const stun_request& request);

struct transport_address {
  asio::ip::address address;
  std::uint16_t port = 0;
  friend bool operator==(const transport_address&, const transport_address&) = default;
};

// The answer a STUN server gives a Binding request `id`: a success with
// XOR-MAPPED-ADDRESS `seen` (where the request came from), FINGERPRINT last.
// A SIP edge proxy gives it to RFC 5626 §4.4.2 keep-alives on its SIP port.
std::vector<std::uint8_t> binding_success(const transaction_id& id, const transport_address& seen);

enum class integrity {
  absent,     // no MESSAGE-INTEGRITY
  unchecked,  // present, and decode() had no key to check it with
  verified,   // the HMAC matches the key
  mismatch,   // it does not
};

// What a message says, as far as the probe reads it. Attributes after
// MESSAGE-INTEGRITY other than FINGERPRINT are not read (RFC 8489 §14.5);
// of repeated attributes the first counts.
struct stun_message {
  stun_class cls = stun_class::request;
  std::uint16_t method = 0;
  transaction_id id{};
  std::optional<std::uint16_t> error_code;  // ERROR-CODE, 300..699
  std::string error_reason;
  std::optional<std::string> username;
  std::optional<std::string> realm;
  std::optional<std::string> nonce;
  std::optional<transport_address> mapped;   // XOR-MAPPED-ADDRESS
  std::optional<transport_address> relayed;  // XOR-RELAYED-ADDRESS
  std::optional<std::uint32_t> lifetime;     // LIFETIME, seconds
  integrity integrity_state = integrity::absent;
  bool fingerprint = false;  // FINGERPRINT present (and matching, or decode fails)
  // Comprehension-required attributes this decoder does not know: a
  // success that has any must be taken as a failure (RFC 8489 §7.3.3).
  std::vector<std::uint16_t> unknown_required;
};

struct decoded_message {
  stun_message message;
  std::error_code error;  // a relay::error from the decode group; message is empty then
};

// Decodes one whole message; MESSAGE-INTEGRITY is checked against `key`
// when one is given.
decoded_message decode(std::span<const std::uint8_t> wire, std::string_view key = {});

struct message_frame {
  std::size_t size = 0;  // header and attributes
  std::error_code error;
};

// Over a stream a STUN message is not framed (RFC 8489 §6.2.2): its size
// comes from the header. Checks the first 20 bytes as decode() would.
message_frame frame_size(std::span<const std::uint8_t> header);

}  // namespace p2psip::relay
