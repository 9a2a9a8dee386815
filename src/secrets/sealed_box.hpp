// Authenticated encryption of small secrets that must travel through hands
// that may not read them: AES-256-GCM (NIST SP 800-38D) with a random 96-bit
// nonce per message. The output is nonce || ciphertext || 128-bit tag; the
// associated data is authenticated, not sent, so a box opened under other
// associated data fails like a tampered one.
//
// Random nonces are safe here because one key seals few messages: at 2^32
// messages the chance of a repeated nonce reaches 2^-32 (SP 800-38D §8.3),
// and a key is rotated long before.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace p2psip::secrets {

inline constexpr std::size_t box_key_size = 32;
inline constexpr std::size_t box_nonce_size = 12;
inline constexpr std::size_t box_tag_size = 16;
inline constexpr std::size_t box_overhead = box_nonce_size + box_tag_size;

using box_key = std::array<std::uint8_t, box_key_size>;

// Throws random_failure when no nonce can be drawn.
std::vector<std::uint8_t> seal_box(const box_key& key, std::span<const std::uint8_t> plaintext,
                                   std::string_view associated);

// nullopt when the box is too short, was sealed under another key or other
// associated data, or was changed.
std::optional<std::vector<std::uint8_t>> open_box(const box_key& key,
                                                  std::span<const std::uint8_t> box,
                                                  std::string_view associated);

}  // namespace p2psip::secrets
