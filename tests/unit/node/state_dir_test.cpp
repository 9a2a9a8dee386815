// What a node keeps secret: its key, its user file, its flow-token and nonce
// keys are private files (mode 0600) made of random bytes, or nothing.
#include "node/state_dir.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <asio/io_context.hpp>
#include <filesystem>

#include "auth/digest.hpp"
#include "node/sip_server.hpp"
#include "secrets/random.hpp"
#include "support/failing_random.hpp"

namespace p2psip::node {
namespace {

namespace fs = std::filesystem;

class StateDir : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "p2psip-state-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir = pattern;
  }
  void TearDown() override { fs::remove_all(dir); }

  static unsigned mode_of(const fs::path& p) {
    struct stat st {};
    EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
    return st.st_mode & 0777;
  }
  static void open_to_others(const fs::path& p) {
    fs::permissions(p, fs::perms::group_read | fs::perms::others_read, fs::perm_options::add);
  }

  fs::path dir;
};

TEST_F(StateDir, DevelopmentStateIsPrivateAndLoads) {
  create_development_state(dir, "p2psip.test");
  EXPECT_EQ(mode_of(dir / "node.key"), 0600u);
  EXPECT_EQ(mode_of(dir / "users"), 0600u);
  EXPECT_EQ(mode_of(dir / "dev-ca" / "ca.key"), 0600u);
  const auto identity = load_peer_identity(dir);
  EXPECT_TRUE(std::holds_alternative<peer_identity>(identity)) << std::get<std::string>(identity);
  EXPECT_TRUE(std::holds_alternative<auth::user_file>(auth::user_file::load(dir / "users")));
}

TEST_F(StateDir, NodeKeyOthersMayReadIsRefusedNamingTheFix) {
  create_development_state(dir, "p2psip.test");
  open_to_others(dir / "node.key");
  const auto identity = load_peer_identity(dir);
  ASSERT_TRUE(std::holds_alternative<std::string>(identity));
  const auto& message = std::get<std::string>(identity);
  EXPECT_EQ(message.rfind((dir / "node.key").string() + ": group or others may access", 0), 0u)
      << message;
  EXPECT_NE(message.find("chmod 600 " + (dir / "node.key").string()), std::string::npos);
}

TEST_F(StateDir, FlowSecretOthersMayReadIsRefused) {
  const auto file = dir / "flow.secret";
  const auto made = load_or_create_secret(file);
  EXPECT_EQ(mode_of(file), 0600u);
  EXPECT_EQ(load_or_create_secret(file), made);
  open_to_others(file);
  try {
    (void)load_or_create_secret(file);
    FAIL() << "an exposed flow.secret was used";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("chmod 600 " + file.string()), std::string::npos)
        << e.what();
  }
}

TEST_F(StateDir, NoRandomBytesNoFlowSecret) {
  const test_support::failing_random broken;
  EXPECT_THROW((void)load_or_create_secret(dir / "flow.secret"), secrets::random_failure);
  EXPECT_FALSE(fs::exists(dir / "flow.secret"));
}

TEST_F(StateDir, NoRandomBytesNoDevelopmentPasswords) {
  create_development_state(dir, "p2psip.test");
  fs::remove(dir / "users");
  const test_support::failing_random broken;
  EXPECT_THROW(create_development_state(dir, "p2psip.test"), secrets::random_failure);
  EXPECT_FALSE(fs::exists(dir / "users"));
}

TEST(SipServer, NoRandomBytesNoNonceKey) {
  asio::io_context io;
  server_config config;
  config.transport.listen.push_back(
      {transport::protocol::udp, asio::ip::make_address("127.0.0.1"), 0});
  auth::user_file users;
  users.add("alice", "wonderland");
  sip_server server(io, config, &users);
  const test_support::failing_random broken;
  EXPECT_THROW((void)server.start(), secrets::random_failure);
}

}  // namespace
}  // namespace p2psip::node
