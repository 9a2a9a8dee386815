#include "secrets/sealed_box.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace p2psip::secrets {
namespace {

std::vector<std::uint8_t> bytes(const std::string& s) {
  return {s.begin(), s.end()};
}

box_key key_of(std::uint8_t fill) {
  box_key k{};
  k.fill(fill);
  return k;
}

TEST(SealedBox, OpensWithTheSameKeyAndAssociatedData) {
  const auto box = seal_box(key_of(1), bytes("HA1 of alice"), "sip:alice@p2psip.test");
  EXPECT_EQ(box.size(), box_overhead + 12);
  const auto opened = open_box(key_of(1), box, "sip:alice@p2psip.test");
  ASSERT_TRUE(opened);
  EXPECT_EQ(*opened, bytes("HA1 of alice"));
}

TEST(SealedBox, HidesThePlaintextAndNeverRepeatsANonce) {
  const auto a = seal_box(key_of(1), bytes("secret-secret"), "ad");
  const auto b = seal_box(key_of(1), bytes("secret-secret"), "ad");
  EXPECT_NE(a, b);  // a fresh random nonce each time
  const std::string text(a.begin(), a.end());
  EXPECT_EQ(text.find("secret"), std::string::npos);
}

TEST(SealedBox, RefusesAnotherKeyOtherAssociatedDataAndAnyChangedByte) {
  const auto box = seal_box(key_of(1), bytes("HA1"), "sip:alice@p2psip.test");
  EXPECT_FALSE(open_box(key_of(2), box, "sip:alice@p2psip.test"));
  EXPECT_FALSE(open_box(key_of(1), box, "sip:bob@p2psip.test"));
  for (std::size_t i = 0; i < box.size(); ++i) {
    auto changed = box;
    changed[i] ^= 0x01;
    EXPECT_FALSE(open_box(key_of(1), changed, "sip:alice@p2psip.test")) << "byte " << i;
  }
  EXPECT_FALSE(open_box(key_of(1), std::vector<std::uint8_t>(box_overhead - 1), "x"));
}

TEST(SealedBox, AnEmptyPlaintextStillAuthenticates) {
  const auto box = seal_box(key_of(3), {}, "ad");
  ASSERT_EQ(box.size(), box_overhead);
  EXPECT_TRUE(open_box(key_of(3), box, "ad"));
  EXPECT_FALSE(open_box(key_of(3), box, "other"));
}

}  // namespace
}  // namespace p2psip::secrets
