#include "relay/stun_message.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>

#include "relay/error.hpp"

namespace p2psip::relay {
namespace {

constexpr std::uint32_t magic_cookie = 0x2112A442;
constexpr std::uint32_t fingerprint_xor = 0x5354554e;
constexpr std::size_t attribute_header_size = 4;
constexpr std::size_t integrity_size = 20;  // HMAC-SHA1
constexpr std::uint8_t udp_protocol = 17;

// Attribute types (RFC 8489 §18.3, RFC 8656 §18).
namespace attr {
constexpr std::uint16_t mapped_address = 0x0001;
constexpr std::uint16_t username = 0x0006;
constexpr std::uint16_t message_integrity = 0x0008;
constexpr std::uint16_t error_code = 0x0009;
constexpr std::uint16_t unknown_attributes = 0x000A;
constexpr std::uint16_t channel_number = 0x000C;
constexpr std::uint16_t lifetime = 0x000D;
constexpr std::uint16_t xor_peer_address = 0x0012;
constexpr std::uint16_t data = 0x0013;
constexpr std::uint16_t realm = 0x0014;
constexpr std::uint16_t nonce = 0x0015;
constexpr std::uint16_t xor_relayed_address = 0x0016;
constexpr std::uint16_t requested_address_family = 0x0017;
constexpr std::uint16_t even_port = 0x0018;
constexpr std::uint16_t requested_transport = 0x0019;
constexpr std::uint16_t dont_fragment = 0x001A;
constexpr std::uint16_t message_integrity_sha256 = 0x001C;
constexpr std::uint16_t password_algorithm = 0x001D;
constexpr std::uint16_t userhash = 0x001E;
constexpr std::uint16_t xor_mapped_address = 0x0020;
constexpr std::uint16_t reservation_token = 0x0022;
constexpr std::uint16_t fingerprint = 0x8028;
}  // namespace attr

// Value limits of RFC 8489 §14.3, §14.8, §14.9, §14.10.
constexpr std::size_t max_username = 508;
constexpr std::size_t max_text = 763;

bool comprehension_required_known(std::uint16_t type) {
  switch (type) {
    case attr::mapped_address:
    case attr::username:
    case attr::message_integrity:
    case attr::error_code:
    case attr::unknown_attributes:
    case attr::channel_number:
    case attr::lifetime:
    case attr::xor_peer_address:
    case attr::data:
    case attr::realm:
    case attr::nonce:
    case attr::xor_relayed_address:
    case attr::requested_address_family:
    case attr::even_port:
    case attr::requested_transport:
    case attr::dont_fragment:
    case attr::message_integrity_sha256:
    case attr::password_algorithm:
    case attr::userhash:
    case attr::xor_mapped_address:
    case attr::reservation_token:
      return true;
    default:
      return false;
  }
}

// CRC-32 of ISO 3309 / ITU-T V.42, as FINGERPRINT uses (RFC 8489 §14.7).
constexpr std::array<std::uint32_t, 256> crc_table = [] {
  std::array<std::uint32_t, 256> t{};
  for (std::uint32_t n = 0; n < 256; ++n) {
    std::uint32_t c = n;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    t[n] = c;
  }
  return t;
}();

std::uint32_t crc32(std::span<const std::uint8_t> bytes) {
  std::uint32_t c = 0xFFFFFFFFu;
  for (const auto b : bytes) c = crc_table[(c ^ b) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

std::uint16_t read16(std::span<const std::uint8_t> b, std::size_t at) {
  return static_cast<std::uint16_t>(b[at] << 8 | b[at + 1]);
}

std::uint32_t read32(std::span<const std::uint8_t> b, std::size_t at) {
  return std::uint32_t{b[at]} << 24 | std::uint32_t{b[at + 1]} << 16 |
         std::uint32_t{b[at + 2]} << 8 | b[at + 3];
}

void put16(std::vector<std::uint8_t>& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}

void put32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  put16(out, static_cast<std::uint16_t>(v >> 16));
  put16(out, static_cast<std::uint16_t>(v));
}

void set16(std::vector<std::uint8_t>& out, std::size_t at, std::size_t v) {
  out[at] = static_cast<std::uint8_t>(v >> 8);
  out[at + 1] = static_cast<std::uint8_t>(v);
}

std::size_t padded(std::size_t n) {
  return (n + 3) & ~std::size_t{3};
}

// Message type (RFC 8489 §5): the method's twelve bits with the class's
// two interleaved at bits 4 and 8.
std::uint16_t message_type(std::uint16_t method, stun_class c) {
  const auto cls = static_cast<unsigned>(c);
  return static_cast<std::uint16_t>((method & 0x000F) | (method & 0x0070) << 1 |
                                    (method & 0x0F80) << 2 | (cls & 1) << 4 | (cls & 2) << 7);
}

void put_attribute(std::vector<std::uint8_t>& out, std::uint16_t type,
                   std::span<const std::uint8_t> value) {
  put16(out, type);
  put16(out, static_cast<std::uint16_t>(value.size()));
  out.insert(out.end(), value.begin(), value.end());
  out.resize(out.size() + padded(value.size()) - value.size(), 0);
}

void put_text(std::vector<std::uint8_t>& out, std::uint16_t type, std::string_view text) {
  put_attribute(out, type, {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
}

std::array<std::uint8_t, integrity_size> hmac_sha1(std::string_view key,
                                                   std::span<const std::uint8_t> data) {
  std::array<std::uint8_t, integrity_size> mac{};
  unsigned int size = 0;
  HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()), data.data(), data.size(), mac.data(),
       &size);
  return mac;
}

// MESSAGE-INTEGRITY covers the message up to itself, with the header's
// length counting up to its end (RFC 8489 §14.5).
std::array<std::uint8_t, integrity_size> integrity_over(std::span<const std::uint8_t> prefix,
                                                        std::string_view key) {
  std::vector<std::uint8_t> covered(prefix.begin(), prefix.end());
  set16(covered, 2, covered.size() + attribute_header_size + integrity_size - stun_header_size);
  return hmac_sha1(key, covered);
}

// --- decoding ---

std::string text_of(std::span<const std::uint8_t> value) {
  return {reinterpret_cast<const char*>(value.data()), value.size()};
}

// XOR-MAPPED-ADDRESS and XOR-RELAYED-ADDRESS (RFC 8489 §14.2): the port
// xored with the cookie's top half, an IPv4 address with the cookie, an
// IPv6 one with the cookie and the transaction id.
std::optional<transport_address> xor_address(std::span<const std::uint8_t> value,
                                             std::span<const std::uint8_t> header) {
  if (value.size() < 4) return std::nullopt;
  const auto family = value[1];
  const auto port = static_cast<std::uint16_t>(read16(value, 2) ^ (magic_cookie >> 16));
  if (family == 0x01 && value.size() == 8) {
    asio::ip::address_v4::bytes_type b{};
    for (std::size_t i = 0; i < b.size(); ++i) b[i] = value[4 + i] ^ header[4 + i];
    return transport_address{asio::ip::address_v4(b), port};
  }
  if (family == 0x02 && value.size() == 20) {
    asio::ip::address_v6::bytes_type b{};
    for (std::size_t i = 0; i < b.size(); ++i) b[i] = value[4 + i] ^ header[4 + i];
    return transport_address{asio::ip::address_v6(b), port};
  }
  return std::nullopt;
}

// The value of an XOR-MAPPED-ADDRESS for `a`, xored as xor_address reads it;
// `header` is the message's first 20 bytes.
std::vector<std::uint8_t> xor_address_value(const transport_address& a,
                                            std::span<const std::uint8_t> header) {
  std::vector<std::uint8_t> value{0, static_cast<std::uint8_t>(a.address.is_v4() ? 0x01 : 0x02)};
  put16(value, static_cast<std::uint16_t>(a.port ^ (magic_cookie >> 16)));
  if (a.address.is_v4()) {
    const auto b = a.address.to_v4().to_bytes();
    for (std::size_t i = 0; i < b.size(); ++i) value.push_back(b[i] ^ header[4 + i]);
  } else {
    const auto b = a.address.to_v6().to_bytes();
    for (std::size_t i = 0; i < b.size(); ++i) value.push_back(b[i] ^ header[4 + i]);
  }
  return value;
}

void put_header(std::vector<std::uint8_t>& out, std::uint16_t type, const transaction_id& id) {
  put16(out, type);
  put16(out, 0);  // the length, set as attributes are added
  put32(out, magic_cookie);
  out.insert(out.end(), id.begin(), id.end());
}

// ERROR-CODE (RFC 8489 §14.8): 21 reserved bits, the class (3..6) in
// three, the number (0..99) in eight, then the reason phrase.
bool read_error_code(std::span<const std::uint8_t> value, stun_message& m) {
  if (value.size() < 4 || value.size() > 4 + max_text) return false;
  const unsigned cls = value[2] & 0x07;
  const unsigned number = value[3];
  if (cls < 3 || cls > 6 || number > 99) return false;
  m.error_code = static_cast<std::uint16_t>(cls * 100 + number);
  m.error_reason = text_of(value.subspan(4));
  return true;
}

template <typename T>
bool first(std::optional<T>& slot, std::optional<T> value) {
  if (!value) return false;
  if (!slot) slot = std::move(value);
  return true;
}

std::optional<std::string> bounded_text(std::span<const std::uint8_t> value, std::size_t limit) {
  if (value.size() > limit) return std::nullopt;
  return text_of(value);
}

// One attribute the probe reads; false when its value is malformed.
bool read_attribute(std::uint16_t type, std::span<const std::uint8_t> value,
                    std::span<const std::uint8_t> header, stun_message& m) {
  switch (type) {
    case attr::error_code:
      return m.error_code || read_error_code(value, m);
    case attr::username:
      return first(m.username, bounded_text(value, max_username));
    case attr::realm:
      return first(m.realm, bounded_text(value, max_text));
    case attr::nonce:
      return first(m.nonce, bounded_text(value, max_text));
    case attr::xor_mapped_address:
      return first(m.mapped, xor_address(value, header));
    case attr::xor_relayed_address:
      return first(m.relayed, xor_address(value, header));
    case attr::lifetime:
      return value.size() == 4 && first(m.lifetime, std::optional<std::uint32_t>(read32(value, 0)));
    default:
      if (type < 0x8000 && !comprehension_required_known(type) &&
          std::find(m.unknown_required.begin(), m.unknown_required.end(), type) ==
              m.unknown_required.end())
        m.unknown_required.push_back(type);
      return true;
  }
}

decoded_message failed(error e) {
  return {{}, make_error_code(e)};
}

// FINGERPRINT covers the message up to itself, the header's length already
// counting it (RFC 8489 §14.7).
void put_fingerprint(std::vector<std::uint8_t>& out) {
  set16(out, 2, out.size() + attribute_header_size + 4 - stun_header_size);
  std::vector<std::uint8_t> crc;
  put32(crc, crc32(out) ^ fingerprint_xor);
  put_attribute(out, attr::fingerprint, crc);
}

}  // namespace

std::string long_term_key(std::string_view username, std::string_view realm,
                          std::string_view password) {
  std::string text;
  text.reserve(username.size() + realm.size() + password.size() + 2);
  text.append(username).append(":").append(realm).append(":").append(password);
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  EVP_Digest(text.data(), text.size(), digest.data(), &size, EVP_md5(), nullptr);
  return {reinterpret_cast<const char*>(digest.data()), size};
}

stun_request binding_request(const transaction_id& id) {
  return {stun_method::binding, id, false, std::nullopt, std::nullopt};
}

stun_request allocate_request(const transaction_id& id, std::chrono::seconds lifetime,
                              std::optional<long_term_auth> auth) {
  return {stun_method::allocate, id, true, static_cast<std::uint32_t>(lifetime.count()),
          std::move(auth)};
}

stun_request refresh_request(const transaction_id& id, std::chrono::seconds lifetime,
                             long_term_auth auth) {
  return {stun_method::refresh, id, false, static_cast<std::uint32_t>(lifetime.count()),
          std::move(auth)};
}

encoded_message encode(const stun_request& r) {
  if (r.auth && (r.auth->username.size() > max_username || r.auth->realm.size() > max_text ||
                 r.auth->nonce.size() > max_text))
    return {{}, make_error_code(error::value_too_long)};
  std::vector<std::uint8_t> out;
  out.reserve(256);
  put_header(out, message_type(r.method, stun_class::request), r.id);
  if (r.requested_transport_udp) {
    const std::array<std::uint8_t, 4> value{udp_protocol, 0, 0, 0};
    put_attribute(out, attr::requested_transport, value);
  }
  if (r.lifetime) {
    std::vector<std::uint8_t> value;
    put32(value, *r.lifetime);
    put_attribute(out, attr::lifetime, value);
  }
  if (r.auth) {
    // In RFC 5769 §2.4's order, so that its vector checks the encoder too.
    put_text(out, attr::username, r.auth->username);
    put_text(out, attr::nonce, r.auth->nonce);
    put_text(out, attr::realm, r.auth->realm);
    const auto mac = integrity_over(out, r.auth->key);
    put_attribute(out, attr::message_integrity, mac);
  }
  put_fingerprint(out);
  return {std::move(out), {}};
}

std::vector<std::uint8_t> binding_success(const transaction_id& id, const transport_address& seen) {
  std::vector<std::uint8_t> out;
  put_header(out, message_type(stun_method::binding, stun_class::success), id);
  put_attribute(out, attr::xor_mapped_address, xor_address_value(seen, out));
  put_fingerprint(out);
  return out;
}

message_frame frame_size(std::span<const std::uint8_t> header) {
  if (header.size() < stun_header_size) return {0, make_error_code(error::too_short)};
  // The top two bits of every STUN message are zero (RFC 8489 §5).
  if ((header[0] & 0xC0) != 0 || read32(header, 4) != magic_cookie)
    return {0, make_error_code(error::not_stun)};
  const std::size_t length = read16(header, 2);
  if (length % 4 != 0) return {0, make_error_code(error::bad_length)};
  return {stun_header_size + length, {}};
}

decoded_message decode(std::span<const std::uint8_t> wire, std::string_view key) {
  const auto frame = frame_size(wire);
  if (frame.error) return {{}, frame.error};
  if (frame.size != wire.size()) return failed(error::bad_length);

  decoded_message out;
  auto& m = out.message;
  const auto type = read16(wire, 0);
  m.method =
      static_cast<std::uint16_t>((type & 0x000F) | (type >> 1 & 0x0070) | (type >> 2 & 0x0F80));
  m.cls = static_cast<stun_class>((type >> 4 & 1) | (type >> 7 & 2));
  std::copy_n(wire.begin() + 8, m.id.size(), m.id.begin());
  const auto header = wire.first(stun_header_size);

  std::optional<std::size_t> integrity_at;
  std::size_t count = 0;
  for (std::size_t at = stun_header_size; at < wire.size();) {
    if (++count > max_attributes) return failed(error::too_many_attributes);
    if (wire.size() - at < attribute_header_size) return failed(error::truncated_attribute);
    const auto attr_type = read16(wire, at);
    const std::size_t length = read16(wire, at + 2);
    const auto value_at = at + attribute_header_size;
    // Every value is padded to four bytes, the last one too: the
    // header's length, a multiple of four, counts the padding.
    if (padded(length) > wire.size() - value_at) return failed(error::truncated_attribute);
    const auto value = wire.subspan(value_at, length);
    if (attr_type == attr::fingerprint) {
      if (length != 4 || value_at + 4 != wire.size()) return failed(error::bad_fingerprint);
      if ((crc32(wire.first(at)) ^ fingerprint_xor) != read32(value, 0))
        return failed(error::bad_fingerprint);
      m.fingerprint = true;
    } else if (integrity_at) {
      // After MESSAGE-INTEGRITY only FINGERPRINT counts (RFC 8489 §14.5).
    } else if (attr_type == attr::message_integrity) {
      if (length != integrity_size) return failed(error::bad_attribute);
      integrity_at = at;
    } else if (!read_attribute(attr_type, value, header, m)) {
      return failed(error::bad_attribute);
    }
    at = value_at + padded(length);
  }

  if (integrity_at) {
    m.integrity_state = integrity::unchecked;
    if (!key.empty()) {
      const auto expected = integrity_over(wire.first(*integrity_at), key);
      const auto* got = wire.data() + *integrity_at + attribute_header_size;
      m.integrity_state = CRYPTO_memcmp(expected.data(), got, expected.size()) == 0
                              ? integrity::verified
                              : integrity::mismatch;
    }
  }
  return out;
}

}  // namespace p2psip::relay
