#include "overlay/opendht/client_marking.hpp"

#include <gtest/gtest.h>

#include <map>
#include <msgpack.hpp>
#include <string>

namespace p2psip::overlay {
namespace {

std::vector<std::uint8_t> packed_map(std::size_t entries) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> pk(&buffer);
  pk.pack_map(static_cast<std::uint32_t>(entries));
  for (std::size_t i = 0; i < entries; ++i) {
    pk.pack("k" + std::to_string(i));
    pk.pack(i);
  }
  return {buffer.data(), buffer.data() + buffer.size()};
}

// The marked packet decodes to the same entries plus "s": true, which is
// what OpenDHT's parser reads as "from a client".
void expect_marked(std::size_t entries) {
  const auto marked = mark_as_client(packed_map(entries));
  ASSERT_TRUE(marked) << entries << " entries";
  const auto handle =
      msgpack::unpack(reinterpret_cast<const char*>(marked->data()), marked->size());
  const auto map = handle.get().as<std::map<std::string, msgpack::object>>();
  ASSERT_EQ(map.size(), entries + 1);
  EXPECT_TRUE(map.at("s").as<bool>());
  for (std::size_t i = 0; i < entries; ++i)
    EXPECT_EQ(map.at("k" + std::to_string(i)).as<std::size_t>(), i);
}

TEST(ClientMarking, AddsTheClientKeyToMapsOfEverySize) {
  for (std::size_t n : {0, 1, 5, 14, 15, 16, 300, 65535, 65536}) expect_marked(n);
}

TEST(ClientMarking, RefusesWhatIsNotAMap) {
  EXPECT_FALSE(mark_as_client({}));
  const std::vector<std::uint8_t> array{0x91, 0x01};
  EXPECT_FALSE(mark_as_client(array));
  const std::vector<std::uint8_t> cut_map16{0xde, 0x00};
  EXPECT_FALSE(mark_as_client(cut_map16));
}

}  // namespace
}  // namespace p2psip::overlay
