#include "identity/users_keyring.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <variant>

namespace p2psip::identity {
namespace {

namespace fs = std::filesystem;

const std::string key1(64, 'a');
const std::string key2(64, '7');

users_keyring parsed(const std::string& text) {
  auto r = users_keyring::parse(text);
  EXPECT_TRUE(std::holds_alternative<users_keyring>(r))
      << std::get<users_keyring::error>(r).message;
  return std::get<users_keyring>(std::move(r));
}

users_keyring::error error_of(const std::string& text) {
  auto r = users_keyring::parse(text);
  EXPECT_TRUE(std::holds_alternative<users_keyring::error>(r)) << text;
  return std::holds_alternative<users_keyring::error>(r) ? std::get<users_keyring::error>(r)
                                                         : users_keyring::error{};
}

TEST(UsersKeyring, TheHighestEpochSealsAndEveryEpochIsFound) {
  const auto keys = parsed("# comment\n2 " + key2 + "\n\n1 " + key1 + "\n");
  EXPECT_EQ(keys.current().epoch, 2u);
  ASSERT_NE(keys.find(1), nullptr);
  EXPECT_EQ((*keys.find(1))[0], 0xaa);
  EXPECT_EQ((*keys.find(2))[31], 0x77);
  EXPECT_EQ(keys.find(3), nullptr);
}

TEST(UsersKeyring, MistakesNameTheirLine) {
  EXPECT_EQ(error_of("1 " + key1 + "\n1 " + key2 + "\n").line, 2u);   // an epoch twice
  EXPECT_EQ(error_of("# x\n1 abc\n").line, 2u);                       // a short key
  EXPECT_EQ(error_of("0 " + key1 + "\n").line, 1u);                   // epochs start at 1
  EXPECT_EQ(error_of("1 " + std::string(63, 'a') + "g\n").line, 1u);  // not hex
  EXPECT_EQ(error_of(key1 + "\n").line, 1u);                          // no epoch
  EXPECT_EQ(error_of("# only a comment\n").line, 0u);                 // no key at all
}

TEST(UsersKeyring, RotationKeepsTheOldKeysAndAddsANewCurrentOne) {
  const auto one = users_keyring::generate();
  EXPECT_EQ(one.current().epoch, 1u);
  const auto two = one.rotated();
  EXPECT_EQ(two.current().epoch, 2u);
  ASSERT_NE(two.find(1), nullptr);
  EXPECT_EQ(*two.find(1), one.current().key);
  EXPECT_NE(two.current().key, one.current().key);
  // What to_text writes, parse reads back.
  const auto again = parsed(two.to_text());
  EXPECT_EQ(again.current().key, two.current().key);
  EXPECT_EQ(*again.find(1), one.current().key);
}

TEST(UsersKeyring, IsSavedPrivateAndAnExposedFileIsRefused) {
  const fs::path dir = fs::temp_directory_path() / ("users-keyring-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path file = dir / "users.key";
  const auto keys = users_keyring::generate();
  ASSERT_FALSE(keys.save(file));
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto loaded = users_keyring::load(file);
  ASSERT_TRUE(std::holds_alternative<users_keyring>(loaded));
  EXPECT_EQ(std::get<users_keyring>(loaded).current().key, keys.current().key);

  fs::permissions(file, fs::perms::group_read, fs::perm_options::add);
  auto exposed = users_keyring::load(file);
  ASSERT_TRUE(std::holds_alternative<users_keyring::error>(exposed));
  EXPECT_NE(std::get<users_keyring::error>(exposed).message.find("chmod 600"), std::string::npos);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace p2psip::identity
