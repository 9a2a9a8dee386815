#include "overlay/opendht/client_marking.hpp"

#include <array>

namespace p2psip::overlay {
namespace {

// msgpack: the key "s" (fixstr of 1) and the value true.
constexpr std::array<std::uint8_t, 3> client_entry{0xa1, 's', 0xc3};

constexpr std::uint8_t fixmap = 0x80;  // 0x80-0x8f: a map of 0-15 entries
constexpr std::uint8_t map16 = 0xde;   // then a big-endian 16-bit count
constexpr std::uint8_t map32 = 0xdf;   // then a big-endian 32-bit count

// The number of entries of the map at the start of `packet` and the size
// of its header; nothing when the packet starts with anything else.
struct map_header {
  std::uint64_t entries = 0;
  std::size_t size = 0;
};
std::optional<map_header> read_map_header(std::span<const std::uint8_t> packet) {
  if (packet.empty()) return std::nullopt;
  const std::uint8_t head = packet[0];
  if ((head & 0xf0) == fixmap) return map_header{head & 0x0fu, 1};
  const std::size_t width = head == map16 ? 2 : head == map32 ? 4 : 0;
  if (width == 0 || packet.size() < 1 + width) return std::nullopt;
  std::uint64_t entries = 0;
  for (std::size_t i = 1; i <= width; ++i) entries = entries << 8 | packet[i];
  return map_header{entries, 1 + width};
}

void write_map_header(std::uint64_t entries, std::vector<std::uint8_t>& out) {
  if (entries <= 0x0f) {
    out.push_back(static_cast<std::uint8_t>(fixmap | entries));
    return;
  }
  const std::size_t width = entries <= 0xffff ? 2 : 4;
  out.push_back(width == 2 ? map16 : map32);
  for (std::size_t i = width; i-- > 0;)
    out.push_back(static_cast<std::uint8_t>(entries >> (8 * i)));
}

}  // namespace

// A map's entries follow its header one after the other, so one more entry
// appended after the last one is in the map once the header counts it.
std::optional<std::vector<std::uint8_t>> mark_as_client(std::span<const std::uint8_t> packet) {
  const auto header = read_map_header(packet);
  if (!header || header->entries >= 0xffffffff) return std::nullopt;
  std::vector<std::uint8_t> out;
  out.reserve(packet.size() + client_entry.size() + 4);
  write_map_header(header->entries + 1, out);
  out.insert(out.end(), packet.begin() + static_cast<std::ptrdiff_t>(header->size), packet.end());
  out.insert(out.end(), client_entry.begin(), client_entry.end());
  return out;
}

}  // namespace p2psip::overlay
