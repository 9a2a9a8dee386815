// Helpers shared by the identity tests.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace p2psip::identity::test {

inline std::vector<std::uint8_t> record(std::size_t size) {
  std::vector<std::uint8_t> data(size);
  for (std::size_t i = 0; i < size; ++i) data[i] = static_cast<std::uint8_t>(i * 31 + 7);
  return data;
}

}  // namespace p2psip::identity::test
