// The gateway role as a node sees it: the [gateway] table (every refusal
// names its key and line), and which gateway peers a number goes to among
// those the overlay's "tel:<overlay>" records name.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "node/config.hpp"
#include "node/gateway_role.hpp"
#include "node/gateways.hpp"

namespace p2psip::node {
namespace {

namespace fs = std::filesystem;

class gateway_config : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device seed;
    dir_ = fs::temp_directory_path() / ("p2psip-gateway-" + std::to_string(seed()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::variant<node_config, config_error> load(const std::string& text) {
    const auto path = dir_ / "p2psipd.toml";
    std::ofstream(path) << text;
    return load_config(path);
  }
  node_config valid(const std::string& text) {
    auto r = load(text);
    if (const auto* e = std::get_if<config_error>(&r)) {
      ADD_FAILURE() << e->message();
      return {};
    }
    return std::get<node_config>(r);
  }
  config_error invalid(const std::string& text) {
    auto r = load(text);
    if (!std::holds_alternative<config_error>(r)) {
      ADD_FAILURE() << "accepted:\n" << text;
      return {};
    }
    return std::get<config_error>(r);
  }

  fs::path dir_;
};

// Lines 1-4; [gateway] starts at line 5.
const std::string gateway_toml =
    "[auth]\nenabled = false\n[node]\nroles = [\"peer\", \"registrar\", \"proxy\", \"gateway\"]\n";

TEST_F(gateway_config, a_gateway_peer_parses) {
  const auto c = valid(gateway_toml +
                       "[gateway]\ntrunk = \"sip:127.0.0.1:5090;transport=udp\"\n"
                       "numbers = [\"+1*\", \"00*\"]\nusername = \"p2psip\"\n"
                       "password_file = \"trunk.password\"\n");
  EXPECT_EQ(c.gateway_trunk, "sip:127.0.0.1:5090;transport=udp");
  EXPECT_EQ(c.gateway_numbers, (std::vector<std::string>{"+1*", "00*"}));
  EXPECT_EQ(c.gateway_username, "p2psip");
  EXPECT_EQ(c.gateway_password_file, dir_ / "trunk.password");
  const auto t = gateway_trunk(c);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->uri, c.gateway_trunk);
  EXPECT_EQ(t->numbers, c.gateway_numbers);
  EXPECT_EQ(role_name(role::gateway), "gateway");
}

TEST_F(gateway_config, a_node_without_the_role_has_no_trunk) {
  EXPECT_FALSE(gateway_trunk(valid("[auth]\nenabled = false\n")));
}

TEST_F(gateway_config, a_bad_pattern_is_named_with_its_line) {
  const auto e = invalid(gateway_toml + "[gateway]\ntrunk = \"sip:127.0.0.1:5090\"\n" +
                         "numbers = [\n  \"+1*\",\n  \"1*2\",\n]\n");
  EXPECT_EQ(e.key, "[gateway] numbers[1]");
  EXPECT_EQ(e.line, 9u);
  EXPECT_NE(e.message().find("p2psipd.toml:9: [gateway] numbers[1] = \"1*2\": expected digits"),
            std::string::npos)
      << e.message();
}

TEST_F(gateway_config, the_trunk_is_a_sip_uri_without_a_user) {
  for (const auto* bad : {"sip:pstn@127.0.0.1", "tel:+1555", "127.0.0.1:5090", ""}) {
    const auto e =
        invalid(gateway_toml + "[gateway]\ntrunk = \"" + bad + "\"\nnumbers = [\"*\"]\n");
    EXPECT_EQ(e.key, "[gateway] trunk") << bad;
    EXPECT_EQ(e.line, 6u) << bad;
  }
}

TEST_F(gateway_config, the_role_needs_a_trunk_and_numbers) {
  const auto no_table = invalid(gateway_toml);
  EXPECT_EQ(no_table.key, "[gateway] trunk");
  const auto no_numbers = invalid(gateway_toml + "[gateway]\ntrunk = \"sip:127.0.0.1:5090\"\n");
  EXPECT_EQ(no_numbers.key, "[gateway] numbers");
  EXPECT_GE(no_numbers.line, 5u);  // the [gateway] table's
  EXPECT_LE(no_numbers.line, 6u);
  const auto empty =
      invalid(gateway_toml + "[gateway]\ntrunk = \"sip:127.0.0.1:5090\"\nnumbers = []\n");
  EXPECT_EQ(empty.key, "[gateway] numbers");
  EXPECT_EQ(empty.line, 7u);
}

TEST_F(gateway_config, the_role_needs_the_peer_role) {
  const auto e = invalid(
      "[auth]\nenabled = false\n[node]\nroles = [\"registrar\", \"proxy\", \"gateway\"]\n"
      "[gateway]\ntrunk = \"sip:127.0.0.1:5090\"\nnumbers = [\"*\"]\n");
  EXPECT_EQ(e.key, "[node] roles");
  EXPECT_EQ(e.line, 4u);
  EXPECT_NE(e.expected.find("\"peer\" with \"gateway\""), std::string::npos) << e.message();
}

TEST_F(gateway_config, a_gateway_table_without_the_role_is_refused) {
  const auto e = invalid(
      "[auth]\nenabled = false\n[node]\nroles = [\"peer\"]\n"
      "[gateway]\ntrunk = \"sip:127.0.0.1:5090\"\nnumbers = [\"*\"]\n");
  EXPECT_EQ(e.key, "[node] roles");
  EXPECT_GE(e.line, 5u);
  EXPECT_LE(e.line, 6u);
}

TEST_F(gateway_config, username_and_password_file_come_together) {
  const auto base = gateway_toml + "[gateway]\ntrunk = \"sip:127.0.0.1:5090\"\nnumbers = [\"*\"]\n";
  EXPECT_EQ(invalid(base + "username = \"u\"\n").key, "[gateway] password_file");
  EXPECT_EQ(invalid(base + "password_file = \"p\"\n").key, "[gateway] username");
  EXPECT_EQ(invalid(base + "username = \"\"\npassword_file = \"p\"\n").key, "[gateway] username");
}

// The password file is a secret like the others: refused when others may read it.
TEST_F(gateway_config, the_password_file_is_checked_like_other_secrets) {
  const auto path = dir_ / "trunk.password";
  std::ofstream(path) << "secret\n";
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  auto c = valid(gateway_toml +
                 "[gateway]\ntrunk = \"sip:127.0.0.1:5090\"\nnumbers = [\"*\"]\n"
                 "username = \"u\"\npassword_file = \"trunk.password\"\n");
  const auto exposed = check_trunk_credentials(c);
  EXPECT_NE(exposed.find("trunk.password"), std::string::npos) << exposed;
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(check_trunk_credentials(c), "");
  c.gateway_password_file = dir_ / "missing";
  EXPECT_NE(check_trunk_credentials(c), "");
}

// ------------------------------------------------------------- gateway peers

overlay::service_record record(std::string node_id, std::string uri,
                               std::vector<std::string> numbers) {
  overlay::service_record r;
  r.service = "tel:p2psip.test";
  r.node_id = std::move(node_id);
  r.uris = {std::move(uri)};
  r.numbers = std::move(numbers);
  return r;
}

transport::endpoint tls(std::string_view ip) {
  return {transport::protocol::tls, asio::ip::make_address(std::string(ip)), 5061, 0};
}

TEST(gateway_peers, this_node_and_unusable_records_are_left_out) {
  const auto peers =
      gateway_peers_of({record("self", "sip:127.0.0.1:5061;transport=tls", {"*"}),
                        record("gw1", "sip:127.0.0.2:5061;transport=tls", {"+1*"}),
                        record("named", "sip:gw.example.net:5061;transport=tls", {"*"}),
                        record("gw2", "sip:127.0.0.3:5061;transport=tls", {"00*", "+49*"})},
                       "self");
  ASSERT_EQ(peers.size(), 2u);
  EXPECT_EQ(peers[0].node_id, "gw1");
  EXPECT_EQ(peers[0].link, tls("127.0.0.2"));
  EXPECT_EQ(peers[1].numbers, (std::vector<std::string>{"00*", "+49*"}));
}

TEST(gateway_peers, a_number_goes_to_the_most_specific_gateways_first) {
  const std::vector<gateway_peer> peers{{"any", tls("127.0.0.2"), {"*"}},
                                        {"us", tls("127.0.0.3"), {"+1*"}},
                                        {"nyc", tls("127.0.0.4"), {"00*", "+1212*"}},
                                        {"de", tls("127.0.0.5"), {"+49*"}}};
  std::mt19937 random(7);
  EXPECT_EQ(
      gateways_for(peers, "+12125551234", random),
      (std::vector<transport::endpoint>{tls("127.0.0.4"), tls("127.0.0.3"), tls("127.0.0.2")}));
  EXPECT_EQ(gateways_for(peers, "+4930123", random),
            (std::vector<transport::endpoint>{tls("127.0.0.5"), tls("127.0.0.2")}));
  EXPECT_TRUE(gateways_for({{"de", tls("127.0.0.5"), {"+49*"}}}, "+1555", random).empty());
}

TEST(gateway_peers, equally_specific_gateways_share_the_calls) {
  const std::vector<gateway_peer> peers{{"a", tls("127.0.0.2"), {"+1*"}},
                                        {"b", tls("127.0.0.3"), {"+1*"}}};
  std::mt19937 random(1);
  std::size_t a_first = 0;
  for (int i = 0; i < 200; ++i) {
    const auto order = gateways_for(peers, "+15551234", random);
    ASSERT_EQ(order.size(), 2u);
    if (order.front() == tls("127.0.0.2")) ++a_first;
  }
  EXPECT_GT(a_first, 50u);
  EXPECT_LT(a_first, 150u);
}

}  // namespace
}  // namespace p2psip::node
