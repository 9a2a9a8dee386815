#include "proxy/flow_token.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>

namespace p2psip::proxy {
namespace {

// 80 bits of HMAC-SHA256: forging one takes 2^80 tries against a node that
// answers each with a 403.
constexpr std::size_t mac_bytes = 10;

constexpr std::string_view hex_digits = "0123456789abcdef";

std::string to_hex(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(hex_digits[c >> 4]);
    out.push_back(hex_digits[c & 0xf]);
  }
  return out;
}

std::optional<std::string> from_hex(std::string_view text) {
  if (text.size() % 2 != 0) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::string out;
  out.reserve(text.size() / 2);
  for (std::size_t i = 0; i < text.size(); i += 2) {
    const int hi = nibble(text[i]);
    const int lo = nibble(text[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

void put_integer(std::string& out, std::uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::uint64_t get_integer(std::string_view in, std::size_t at, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i)
    v = (v << 8) | static_cast<unsigned char>(in[at + static_cast<std::size_t>(i)]);
  return v;
}

// protocol (1) | family (1: 4 or 6) | address (4 or 16) | port (2) | flow (8)
std::string payload_of(const transport::endpoint& e) {
  std::string out;
  out.push_back(static_cast<char>(e.proto));
  if (e.address.is_v4()) {
    out.push_back(4);
    const auto b = e.address.to_v4().to_bytes();
    out.append(reinterpret_cast<const char*>(b.data()), b.size());
  } else {
    out.push_back(6);
    const auto b = e.address.to_v6().to_bytes();
    out.append(reinterpret_cast<const char*>(b.data()), b.size());
  }
  put_integer(out, e.port, 2);
  put_integer(out, e.flow, 8);
  return out;
}

std::optional<transport::endpoint> endpoint_of(std::string_view p) {
  if (p.size() < 2 || static_cast<unsigned char>(p[0]) > 2) return std::nullopt;
  transport::endpoint e;
  e.proto = static_cast<transport::protocol>(p[0]);
  std::size_t at = 2;
  if (p[1] == 4 && p.size() == 2 + 4 + 2 + 8) {
    asio::ip::address_v4::bytes_type b{};
    for (auto& byte : b) byte = static_cast<unsigned char>(p[at++]);
    e.address = asio::ip::address_v4(b);
  } else if (p[1] == 6 && p.size() == 2 + 16 + 2 + 8) {
    asio::ip::address_v6::bytes_type b{};
    for (auto& byte : b) byte = static_cast<unsigned char>(p[at++]);
    e.address = asio::ip::address_v6(b);
  } else {
    return std::nullopt;
  }
  e.port = static_cast<std::uint16_t>(get_integer(p, at, 2));
  e.flow = get_integer(p, at + 2, 8);
  return e;
}

}  // namespace

flow_tokens::flow_tokens(std::string secret) : secret_(std::move(secret)) {}

std::string flow_tokens::mac(std::string_view payload, scope s) const {
  // Payloads start with a protocol byte below 3: "anyone" cannot collide.
  const std::string input =
      s == scope::anyone ? "anyone:" + std::string(payload) : std::string(payload);
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned int size = 0;
  HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), out.data(), &size);
  return std::string(reinterpret_cast<const char*>(out.data()), mac_bytes);
}

std::string flow_tokens::encode(const transport::endpoint& flow, scope s) const {
  const auto payload = payload_of(flow);
  return to_hex(payload + mac(payload, s));
}

std::optional<flow_tokens::opened> flow_tokens::open(std::string_view token) const {
  const auto bytes = from_hex(token);
  if (!bytes || bytes->size() <= mac_bytes) return std::nullopt;
  const std::string_view all(*bytes);
  const auto payload = all.substr(0, all.size() - mac_bytes);
  for (const auto s : {scope::nodes, scope::anyone}) {
    const auto expected = mac(payload, s);
    if (CRYPTO_memcmp(expected.data(), all.data() + payload.size(), mac_bytes) != 0) continue;
    const auto flow = endpoint_of(payload);
    if (!flow) return std::nullopt;
    return opened{*flow, s};
  }
  return std::nullopt;
}

std::optional<transport::endpoint> flow_tokens::decode(std::string_view token) const {
  const auto o = open(token);
  if (!o) return std::nullopt;
  return o->flow;
}

}  // namespace p2psip::proxy
