#include "secrets/private_file.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

namespace p2psip::secrets {
namespace {

namespace fs = std::filesystem;

class PrivateFile : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "p2psip-secrets-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir = pattern;
  }
  void TearDown() override { fs::remove_all(dir); }

  fs::path write(const std::string& name, fs::perms mode) {
    const auto path = dir / name;
    std::ofstream(path) << "secret text\n";
    fs::permissions(path, mode);
    return path;
  }

  fs::path dir;
};

constexpr auto owner_only = fs::perms::owner_read | fs::perms::owner_write;

TEST_F(PrivateFile, OwnerOnlyFileIsRead) {
  const auto r = read_private_file(write("key", owner_only));
  ASSERT_TRUE(r) << r.error;
  EXPECT_EQ(r.text, "secret text\n");
  const auto read_only = read_private_file(write("key2", fs::perms::owner_read));
  EXPECT_TRUE(read_only) << read_only.error;
}

TEST_F(PrivateFile, FileOthersMayAccessIsRefusedNamingTheFileAndTheFix) {
  for (const auto mode : {owner_only | fs::perms::group_read | fs::perms::others_read,
                          owner_only | fs::perms::group_read, owner_only | fs::perms::others_read,
                          owner_only | fs::perms::group_write}) {
    const auto path = write("users", mode);
    const auto r = read_private_file(path);
    EXPECT_FALSE(r);
    EXPECT_TRUE(r.exposed);
    EXPECT_TRUE(r.text.empty());
    EXPECT_EQ(r.error.rfind(path.string() + ": group or others may access", 0), 0u) << r.error;
    EXPECT_NE(r.error.find("chmod 600 " + path.string()), std::string::npos) << r.error;
  }
  const auto r = read_private_file(write("world", owner_only | fs::perms::others_read));
  EXPECT_NE(r.error.find("(mode 0604;"), std::string::npos) << r.error;
}

TEST_F(PrivateFile, MissingFileIsNamed) {
  const auto r = read_private_file(dir / "absent");
  EXPECT_FALSE(r);
  EXPECT_FALSE(r.exposed);
  EXPECT_EQ(r.code, std::errc::no_such_file_or_directory);
  EXPECT_NE(r.error.find((dir / "absent").string()), std::string::npos) << r.error;
}

TEST_F(PrivateFile, ExposureOfAnOpenFile) {
  const auto path = write("users", owner_only);
  const int fd = ::open(path.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(exposure(fd, path), "");
  fs::permissions(path, owner_only | fs::perms::group_read);
  EXPECT_NE(exposure(fd, path).find("chmod 600 " + path.string()), std::string::npos);
  ::close(fd);
}

}  // namespace
}  // namespace p2psip::secrets
