// The client role and SRV bootstrap in node::load_config: what a client
// may be combined with, and each refusal naming its key and line.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "node/config.hpp"
#include "node/srv_bootstrap.hpp"

namespace {

namespace fs = std::filesystem;
using p2psip::node::config_error;
using p2psip::node::load_config;
using p2psip::node::node_config;
using p2psip::node::role;

class client_config_test : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device seed;
    dir_ = fs::temp_directory_path() / ("p2psip-client-config-" + std::to_string(seed()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::variant<node_config, config_error> load(const std::string& text) {
    const auto path = dir_ / "p2psipd.toml";
    std::ofstream(path) << "[auth]\nenabled = false\n" << text;
    return load_config(path);
  }
  node_config valid(const std::string& text) {
    auto result = load(text);
    if (const auto* e = std::get_if<config_error>(&result)) {
      ADD_FAILURE() << e->message();
      return {};
    }
    return std::get<node_config>(result);
  }
  config_error invalid(const std::string& text) {
    auto result = load(text);
    if (!std::holds_alternative<config_error>(result)) {
      ADD_FAILURE() << "accepted:\n" << text;
      return {};
    }
    return std::get<config_error>(result);
  }

  fs::path dir_;
};

bool has(const node_config& c, role r) {
  return std::find(c.roles.begin(), c.roles.end(), r) != c.roles.end();
}

TEST_F(client_config_test, a_client_registrar_and_proxy_is_in_the_overlay_like_a_peer) {
  const auto c = valid("[node]\nroles = [\"client\", \"registrar\", \"proxy\"]\n");
  EXPECT_TRUE(has(c, role::client));
  EXPECT_FALSE(has(c, role::peer));
  EXPECT_TRUE(p2psip::node::in_overlay(c));
  EXPECT_EQ(p2psip::node::role_name(role::client), "client");
  // Other nodes reach its phones over TLS links, as a peer's.
  ASSERT_TRUE(c.tls.has_value());
  EXPECT_TRUE(c.tls->authenticate);
  EXPECT_EQ(c.sip_listen.back().proto, p2psip::transport::protocol::tls);
  // Its bindings live in the overlay: no other domains.
  EXPECT_EQ(invalid("[node]\nroles = [\"client\", \"registrar\"]\n[sip]\n"
                    "domains = [\"example.org\"]\n")
                .key,
            "[sip] domains");
}

TEST_F(client_config_test, a_client_is_no_peer) {
  const auto e = invalid("[node]\nroles = [\"peer\", \"client\", \"registrar\"]\n");
  EXPECT_EQ(e.what, config_error::kind::bad_value);
  EXPECT_EQ(e.key, "[node] roles");
  EXPECT_EQ(e.line, 4u);
  EXPECT_NE(e.expected.find("not both"), std::string::npos) << e.message();
}

TEST_F(client_config_test, roles_that_are_peers_of_the_overlay_refuse_a_client) {
  for (const std::string roles :
       {"\"client\", \"proxy\", \"proxy-peer\"", "\"client\", \"relay\""}) {
    const auto e = invalid("[node]\nroles = [" + roles + "]\n");
    EXPECT_EQ(e.key, "[node] roles") << roles;
    EXPECT_EQ(e.line, 4u) << roles;
    EXPECT_NE(e.expected.find("\"peer\" instead of \"client\""), std::string::npos) << e.message();
  }
}

TEST_F(client_config_test, bootstrap_srv_is_off_unless_asked_for) {
  EXPECT_FALSE(valid("").bootstrap_srv);
  const auto c = valid("[node]\nroles = [\"client\"]\n[overlay]\nbootstrap_srv = true\n");
  EXPECT_TRUE(c.bootstrap_srv);
  EXPECT_TRUE(c.bootstrap.empty());
  const auto e = invalid("[overlay]\nbootstrap_srv = \"yes\"\n");
  EXPECT_EQ(e.what, config_error::kind::wrong_type);
  EXPECT_EQ(e.key, "[overlay] bootstrap_srv");
  EXPECT_EQ(e.line, 4u);
  EXPECT_EQ(p2psip::node::srv_bootstrap_name("p2psip.test"), "_p2psip._udp.p2psip.test");
}

}  // namespace
