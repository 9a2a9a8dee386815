#include "relay/rest_credential.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "support/child_process.hpp"

namespace p2psip::relay {
namespace {

namespace fs = std::filesystem;

// Computed apart from our code:
//   echo -n "1700000060:p2psip-probe" | openssl dgst -sha1 -hmac "s3cret-shared" -binary | base64
TEST(RestCredential, MatchesOpensslDgst) {
  const auto c =
      make_rest_credential("s3cret-shared", "p2psip-probe", 1700000000, std::chrono::seconds{60});
  EXPECT_EQ(c.username, "1700000060:p2psip-probe");
  EXPECT_EQ(c.password, "2GDmF3qElu1zfeAeLszswiszl0A=");
  EXPECT_EQ(c.expires_at, 1700000060);
}

// The draft's own example shape (expiry, then user), another secret:
//   echo -n "1433906295:joe" | openssl dgst -sha1 -hmac "north" -binary | base64
TEST(RestCredential, SecondVector) {
  const auto c = make_rest_credential("north", "joe", 1433906295 - 86400, std::chrono::hours{24});
  EXPECT_EQ(c.username, "1433906295:joe");
  EXPECT_EQ(c.password, "JfNd/D+x+Q1aaNHeCHVxy3dAmrM=");
}

class TurnSecretFile : public ::testing::Test {
 protected:
  void SetUp() override { dir = test::make_temp_dir("p2psip-relay-"); }
  void TearDown() override { fs::remove_all(dir); }

  fs::path write(const std::string& text, fs::perms mode = owner_only) {
    const auto path = dir / "turn-secret";
    std::ofstream(path, std::ios::trunc) << text;
    fs::permissions(path, mode);
    return path;
  }

  static constexpr auto owner_only = fs::perms::owner_read | fs::perms::owner_write;
  fs::path dir;
};

TEST_F(TurnSecretFile, TrailingLineEndIsNotPartOfTheSecret) {
  EXPECT_EQ(read_turn_secret(write("s3cret\n")).secret, "s3cret");
  EXPECT_EQ(read_turn_secret(write("s3cret\r\n")).secret, "s3cret");
  EXPECT_EQ(read_turn_secret(write("s3cret")).secret, "s3cret");
  EXPECT_EQ(read_turn_secret(write(" spaced s3cret ")).secret, " spaced s3cret ");
}

TEST_F(TurnSecretFile, ReadableByOthersIsRefusedWithTheFix) {
  const auto path = write("s3cret\n", owner_only | fs::perms::group_read | fs::perms::others_read);
  const auto r = read_turn_secret(path);
  EXPECT_FALSE(r);
  EXPECT_TRUE(r.secret.empty());
  EXPECT_NE(r.error.find("chmod 600 " + path.string()), std::string::npos) << r.error;
}

TEST_F(TurnSecretFile, EmptyOrSeveralLinesIsRefused) {
  EXPECT_NE(read_turn_secret(write("\n")).error.find("empty"), std::string::npos);
  EXPECT_NE(read_turn_secret(write("")).error.find("empty"), std::string::npos);
  EXPECT_NE(read_turn_secret(write("one\ntwo\n")).error.find("more than one line"),
            std::string::npos);
}

TEST_F(TurnSecretFile, MissingFileNamesIt) {
  const auto r = read_turn_secret(dir / "absent");
  EXPECT_FALSE(r);
  EXPECT_NE(r.error.find("absent"), std::string::npos);
}

}  // namespace
}  // namespace p2psip::relay
