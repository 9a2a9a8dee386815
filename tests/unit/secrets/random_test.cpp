#include "secrets/random.hpp"

#include <gtest/gtest.h>

#include <array>

#include "support/failing_random.hpp"

namespace p2psip::secrets {
namespace {

TEST(Random, KeysAreRandom) {
  const auto a = random_key(32, "a test key");
  const auto b = random_key(32, "a test key");
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, b);
  EXPECT_NE(a, std::string(32, '\0'));
}

TEST(Random, AFailingGeneratorFailsTheOperationNamingIt) {
  const test_support::failing_random broken;
  std::array<unsigned char, 16> bytes{};
  try {
    fill_random(bytes, "the nonce key");
    FAIL() << "no exception";
  } catch (const random_failure& e) {
    EXPECT_NE(std::string(e.what()).find("cannot generate the nonce key"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW((void)random_key(32, "a key"), random_failure);
}

}  // namespace
}  // namespace p2psip::secrets
