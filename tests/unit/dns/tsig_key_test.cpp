#include "dns/tsig_key.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>

#include "support/named_server.hpp"

namespace p2psip::dns {
namespace {

namespace fs = std::filesystem;

class TsigKeyFile : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "p2psip-tsig-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir = pattern;
  }
  void TearDown() override { fs::remove_all(dir); }

  fs::path write(const std::string& name, const std::string& text,
                 fs::perms mode = fs::perms::owner_read | fs::perms::owner_write) {
    const auto path = dir / name;
    std::ofstream(path) << text;
    fs::permissions(path, mode);
    return path;
  }

  fs::path dir;
};

constexpr auto secret = "sm1F2C2c2XNM3LU6hkh36gGI0KxbLKwV+0UbQUA4lw8=";

std::string key_text(const std::string& name, const std::string& algorithm) {
  return "key \"" + name + "\" {\n\talgorithm " + algorithm + ";\n\tsecret \"" + secret +
         "\";\n};\n";
}

TEST_F(TsigKeyFile, ReadsWhatTsigKeygenWrites) {
  const auto path = dir / "pp1.key";
  test::write_tsig_key(path, "pp1-key");
  const auto k = read_tsig_key(path);
  ASSERT_TRUE(k) << k.error;
  EXPECT_EQ(k.key.name, "pp1-key.");
  EXPECT_EQ(k.key.algorithm, tsig_algorithm::hmac_sha256);
  EXPECT_EQ(k.key.secret.size(), 44u);  // 32 random bytes in base64

  test::write_tsig_key(dir / "big.key", "Big.Key", "hmac-sha512");
  const auto big = read_tsig_key(dir / "big.key");
  ASSERT_TRUE(big) << big.error;
  EXPECT_EQ(big.key.name, "big.key.");  // names compare case-insensitively: kept in lower case
  EXPECT_EQ(big.key.algorithm, tsig_algorithm::hmac_sha512);
  EXPECT_STREQ(wire_name(big.key.algorithm), "hmac-sha512.");
}

TEST_F(TsigKeyFile, CommentsAndUnquotedNamesAreBindSyntax) {
  const auto k =
      parse_tsig_key("# made by hand\n// for pp2\n/* two\nlines */ key pp2-key { secret \"" +
                         std::string(secret) + "\"; algorithm HMAC-SHA256; };",
                     "inline");
  ASSERT_TRUE(k) << k.error;
  EXPECT_EQ(k.key.name, "pp2-key.");
  EXPECT_EQ(k.key.secret, secret);
}

TEST_F(TsigKeyFile, FileOthersMayReadIsRefusedNamingIt) {
  const auto path = write("exposed.key", key_text("pp1-key", "hmac-sha256"),
                          fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                              fs::perms::others_read);
  const auto k = read_tsig_key(path);
  EXPECT_FALSE(k);
  EXPECT_TRUE(k.key.secret.empty());
  EXPECT_NE(k.error.find(path.string()), std::string::npos) << k.error;
  EXPECT_NE(k.error.find("mode 0644"), std::string::npos) << k.error;
}

TEST_F(TsigKeyFile, MissingFileIsNamed) {
  const auto k = read_tsig_key(dir / "absent.key");
  EXPECT_FALSE(k);
  EXPECT_NE(k.error.find("absent.key"), std::string::npos) << k.error;
}

TEST_F(TsigKeyFile, MalformedFilesAreRefusedSayingWhy) {
  const std::string s = secret;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "expected a key statement"},
      {"key \"a\" { algorithm hmac-sha256; secret \"" + s + "\"; }", "expected ; after the key"},
      {"key \"a\" { algorithm hmac-sha256; };", "no secret"},
      {"key \"a\" { secret \"" + s + "\"; };", "no algorithm"},
      {"key \"a\" { algorithm hmac-sha256; secret \"not base64!\"; };", "not base64"},
      {"key \"a\" { algorithm hmac-sha256; secret \"" + s, "quoted string does not end"},
      {"key \"a\" { algorithm hmac-sha256; secret " + s + "; };", "unexpected character"},
      {"key \"a\" { algorithm hmac-sha256; secret \"" + s + "\"; keep yes; };",
       "unexpected clause"},
      {key_text("a", "hmac-sha256") + key_text("b", "hmac-sha256"), "exactly one key"},
      {key_text("a..b", "hmac-sha256"), "not a domain name"},
  };
  for (const auto& [text, why] : cases) {
    const auto k = parse_tsig_key(text, "/etc/p2psip/pp1.key");
    EXPECT_FALSE(k) << text;
    EXPECT_EQ(k.error.rfind("/etc/p2psip/pp1.key: ", 0), 0u) << k.error;
    EXPECT_NE(k.error.find(why), std::string::npos) << text << " -> " << k.error;
  }
  const auto path = write("bad.key", "key {");
  const auto k = read_tsig_key(path);
  EXPECT_FALSE(k);
  EXPECT_NE(k.error.find(path.string()), std::string::npos) << k.error;
}

TEST_F(TsigKeyFile, AlgorithmsWeCannotSignWithAreRefusedSayingWhy) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"hmac-sha384", "misspells"},
      {"hmac-md5", "MUST NOT"},
      {"hmac-sha1", "NOT RECOMMENDED"},
      {"hmac-sha224", "only hmac-sha256"},
  };
  for (const auto& [algorithm, why] : cases) {
    const auto k = parse_tsig_key(key_text("pp1-key", algorithm), "pp1.key");
    EXPECT_FALSE(k) << algorithm;
    EXPECT_NE(k.error.find(why), std::string::npos) << k.error;
    EXPECT_NE(k.error.find("tsig-keygen -a hmac-sha256"), std::string::npos) << k.error;
  }
}

}  // namespace
}  // namespace p2psip::dns
