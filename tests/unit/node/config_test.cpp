// node::load_config: a full file, every kind of rejection with its key and
// line, and paths resolved against the file's directory.
#include "node/config.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

namespace {

namespace fs = std::filesystem;
using p2psip::node::config_error;
using p2psip::node::host_port;
using p2psip::node::load_config;
using p2psip::node::node_config;
using p2psip::node::role;

class config_test : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device seed;
    dir_ = fs::temp_directory_path() / ("p2psip-config-" + std::to_string(seed()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write(const std::string& name, const std::string& text) {
    const auto path = dir_ / name;
    std::ofstream(path) << text;
    return path;
  }

  node_config valid(const std::string& text) {
    auto result = load_config(write("p2psipd.toml", text));
    if (const auto* e = std::get_if<config_error>(&result)) {
      ADD_FAILURE() << e->message();
      return {};
    }
    return std::get<node_config>(result);
  }

  config_error invalid(const std::string& text) {
    auto result = load_config(write("p2psipd.toml", text));
    if (!std::holds_alternative<config_error>(result)) {
      ADD_FAILURE() << "accepted:\n" << text;
      return {};
    }
    return std::get<config_error>(result);
  }

  fs::path dir_;
};

// A valid [auth] so that tests of other sections need not repeat it.
constexpr const char* no_auth = "[auth]\nenabled = false\n";

TEST_F(config_test, full_file_parses_to_the_expected_struct) {
  const auto c = valid(R"(# a complete node
[node]
overlay = "example.org"
state_dir = "/var/lib/p2psip"
roles = ["peer", "registrar", "redirect"]

[sip]
listen = ["udp:127.0.0.1:5070", "tcp:[::1]:5071", "tls:0.0.0.0:5061"]
advertise = "203.0.113.5"
tls_cert = "/etc/p2psip/node.crt"
tls_key = "/etc/p2psip/node.key"
tls_ca = "/etc/p2psip/ca.crt"

[auth]
enabled = true
users = "/etc/p2psip/users.txt"
digest = "MD5"
local_requests = true

[overlay]
listen = "127.0.0.1:4222"
bootstrap = ["127.0.0.1:4223", "boot.example.org:4222", "[::1]:4224"]

[limits]
rate = 50.5

[log]
level = "debug"
)");
  using p2psip::node::role;
  using p2psip::transport::protocol;
  EXPECT_EQ(c.overlay, "example.org");
  EXPECT_EQ(c.state_dir, fs::path("/var/lib/p2psip"));
  EXPECT_EQ(c.roles, (std::vector<role>{role::peer, role::registrar, role::redirect}));
  ASSERT_EQ(c.sip_listen.size(), 3u);
  EXPECT_EQ(c.sip_listen[0].proto, protocol::udp);
  EXPECT_EQ(c.sip_listen[0].address.to_string(), "127.0.0.1");
  EXPECT_EQ(c.sip_listen[0].port, 5070);
  EXPECT_EQ(c.sip_listen[1].proto, protocol::tcp);
  EXPECT_EQ(c.sip_listen[1].address.to_string(), "::1");
  EXPECT_EQ(c.sip_listen[1].port, 5071);
  EXPECT_EQ(c.sip_listen[2].proto, protocol::tls);
  EXPECT_EQ(c.sip_listen[2].port, 5061);
  EXPECT_EQ(c.sip_advertise, "203.0.113.5");
  EXPECT_TRUE(c.extra_domains.empty());
  ASSERT_TRUE(c.tls.has_value());
  EXPECT_EQ(c.tls->certificate, "/etc/p2psip/node.crt");
  EXPECT_EQ(c.tls->private_key, "/etc/p2psip/node.key");
  EXPECT_EQ(c.tls->ca, "/etc/p2psip/ca.crt");
  EXPECT_TRUE(c.tls->verify_peer);
  EXPECT_TRUE(c.auth_enabled);
  EXPECT_EQ(c.users, fs::path("/etc/p2psip/users.txt"));
  EXPECT_EQ(c.digest, std::vector<p2psip::auth::algorithm>{p2psip::auth::algorithm::md5});
  EXPECT_TRUE(c.auth_local_requests);
  ASSERT_TRUE(c.overlay_listen.has_value());
  EXPECT_EQ(*c.overlay_listen, (p2psip::node::host_port{"127.0.0.1", 4222}));
  EXPECT_EQ(c.bootstrap, (std::vector<p2psip::node::host_port>{
                             {"127.0.0.1", 4223}, {"boot.example.org", 4222}, {"::1", 4224}}));
  EXPECT_DOUBLE_EQ(c.limits.rate, 50.5);
  EXPECT_EQ(c.log, p2psip::node::log_level::debug);
}

TEST_F(config_test, extra_domains_are_for_nodes_that_are_not_peers) {
  const auto single = valid(std::string(no_auth) +
                            "[node]\nroles = [\"registrar\", \"proxy\"]\n"
                            "[sip]\ndomains = [\"other.example\"]\n");
  EXPECT_EQ(single.extra_domains, std::vector<std::string>{"other.example"});

  const auto e = invalid(std::string(no_auth) + "[sip]\ndomains = [\"other.example\"]\n");
  EXPECT_EQ(e.key, "[sip] domains");
  EXPECT_EQ(e.line, 4u);
  EXPECT_NE(e.message().find("p2psip.test only"), std::string::npos) << e.message();
}

TEST_F(config_test, absent_keys_keep_the_command_line_defaults) {
  const auto c = valid("[node]\nroles = [\"registrar\", \"proxy\"]\n" + std::string(no_auth));
  const node_config defaults;
  EXPECT_EQ(c.overlay, "p2psip.test");
  EXPECT_EQ(c.sip_listen.size(), defaults.sip_listen.size());
  EXPECT_EQ(c.digest, defaults.digest);
  EXPECT_DOUBLE_EQ(c.limits.rate, 200);
  EXPECT_FALSE(c.tls.has_value());
  EXPECT_FALSE(c.auth_enabled);
  EXPECT_FALSE(c.plain_links);
}

// A peer links to other nodes over TLS, with its node certificate, and
// authenticates them against the overlay CA.
TEST_F(config_test, a_peer_gets_tls_links_from_its_state_directory) {
  const auto c = valid(no_auth);
  ASSERT_EQ(c.sip_listen.size(), 3u);
  EXPECT_EQ(c.sip_listen[2].proto, p2psip::transport::protocol::tls);
  EXPECT_EQ(c.sip_listen[2].address.to_string(), "127.0.0.1");
  EXPECT_EQ(c.sip_listen[2].port, 5061);
  ASSERT_TRUE(c.tls.has_value());
  EXPECT_EQ(c.tls->certificate, (c.state_dir / "node.crt").string());
  EXPECT_EQ(c.tls->private_key, (c.state_dir / "node.key").string());
  EXPECT_EQ(c.tls->ca, (c.state_dir / "ca.crt").string());
  EXPECT_TRUE(c.tls->verify_peer);
  EXPECT_TRUE(c.tls->authenticate);

  // Its own certificate files are still checked against the overlay CA.
  const auto own =
      valid(std::string(no_auth) + "[sip]\ntls_cert = \"/etc/n.crt\"\ntls_key = \"/etc/n.key\"\n");
  ASSERT_TRUE(own.tls.has_value());
  EXPECT_EQ(own.tls->certificate, "/etc/n.crt");
  EXPECT_EQ(own.tls->ca, (own.state_dir / "ca.crt").string());
  EXPECT_TRUE(own.tls->verify_peer);
  EXPECT_TRUE(own.tls->authenticate);
}

TEST_F(config_test, a_peer_listing_no_tls_listener_needs_plain_links) {
  const std::string no_tls = std::string(no_auth) + "[sip]\nlisten = [\"udp:127.0.0.1:5060\"]\n";
  const auto e = invalid(no_tls);
  EXPECT_EQ(e.what, config_error::kind::bad_value);
  EXPECT_EQ(e.key, "[sip] listen");
  EXPECT_EQ(e.line, 4u);
  EXPECT_NE(e.expected.find("plain_links"), std::string::npos) << e.message();

  const auto plain = valid(no_tls + "[overlay]\nplain_links = true\n");
  EXPECT_TRUE(plain.plain_links);
  EXPECT_EQ(plain.sip_listen.size(), 1u);
  EXPECT_EQ(invalid(no_tls + "[overlay]\nplain_links = \"yes\"\n").key, "[overlay] plain_links");
  // Not a peer: no links to other nodes.
  EXPECT_EQ(valid("[node]\nroles = [\"registrar\"]\n" + no_tls).sip_listen.size(), 1u);
}

TEST_F(config_test, digest_both_offers_sha256_first) {
  const auto c = valid("[auth]\nenabled = false\ndigest = \"both\"\n");
  using p2psip::auth::algorithm;
  EXPECT_EQ(c.digest, (std::vector<algorithm>{algorithm::sha256, algorithm::md5}));
}

TEST_F(config_test, integer_rate_is_accepted) {
  EXPECT_DOUBLE_EQ(valid(std::string(no_auth) + "[limits]\nrate = 0\n").limits.rate, 0);
}

TEST_F(config_test, every_transport_limit_is_read) {
  const auto c = valid(std::string(no_auth) + R"([limits]
rate = 0
burst = 50
retry_after = 10
max_connections = 50000
max_connections_per_source = 5000
idle_timeout = 120
max_write_queue_bytes = 4194304
udp_receive_buffer_bytes = 0
max_message_size = 131072
max_header_section = 32768
max_line_length = 4096
max_headers = 128
max_body_size = 65536
)");
  p2psip::transport::config t;
  p2psip::node::apply_limits(c.limits, t);
  EXPECT_DOUBLE_EQ(t.requests_per_second_per_source, 0);
  EXPECT_DOUBLE_EQ(t.burst, 50);
  EXPECT_EQ(t.retry_after, std::chrono::seconds(10));
  EXPECT_EQ(t.max_connections, 50000u);
  EXPECT_EQ(t.max_connections_per_source, 5000u);
  EXPECT_EQ(t.idle_timeout, std::chrono::seconds(120));
  EXPECT_EQ(t.max_write_queue_bytes, 4194304u);
  EXPECT_EQ(t.udp_receive_buffer_bytes, 0u);
  EXPECT_EQ(t.message_limits.max_message_size, 131072u);
  EXPECT_EQ(t.message_limits.max_header_section, 32768u);
  EXPECT_EQ(t.message_limits.max_line_length, 4096u);
  EXPECT_EQ(t.message_limits.max_headers, 128u);
  EXPECT_EQ(t.message_limits.max_body_size, 65536u);
}

// Absent keys keep the transport's own defaults, which suit a deployment:
// an office of phones behind one NAT address is not cut at 64 connections.
TEST_F(config_test, absent_limits_are_the_transport_defaults) {
  p2psip::transport::config t;
  p2psip::node::apply_limits(valid(no_auth).limits, t);
  const p2psip::transport::config defaults;
  EXPECT_EQ(t.max_connections, defaults.max_connections);
  EXPECT_EQ(t.max_connections_per_source, 1024u);
  EXPECT_EQ(t.idle_timeout, defaults.idle_timeout);
  EXPECT_EQ(t.max_write_queue_bytes, defaults.max_write_queue_bytes);
  EXPECT_EQ(t.udp_receive_buffer_bytes, defaults.udp_receive_buffer_bytes);
  EXPECT_DOUBLE_EQ(t.burst, defaults.burst);
  EXPECT_EQ(t.retry_after, defaults.retry_after);
  EXPECT_EQ(t.message_limits.max_message_size, defaults.message_limits.max_message_size);
  EXPECT_EQ(t.message_limits.max_headers, defaults.message_limits.max_headers);
}

TEST_F(config_test, a_limit_out_of_range_names_key_and_line) {
  const auto zero = invalid(std::string(no_auth) + "[limits]\nmax_connections_per_source = 0\n");
  EXPECT_EQ(zero.what, config_error::kind::bad_value);
  EXPECT_EQ(zero.key, "[limits] max_connections_per_source");
  EXPECT_EQ(zero.line, 4u);
  EXPECT_NE(zero.message().find("expected an integer 1-1000000 (connections)"), std::string::npos)
      << zero.message();

  const auto headers = invalid(std::string(no_auth) + "[limits]\nmax_headers = 500\n");
  EXPECT_EQ(headers.key, "[limits] max_headers");
  EXPECT_NE(headers.expected.find("10-128"), std::string::npos) << headers.message();

  const auto fraction = invalid(std::string(no_auth) + "[limits]\nidle_timeout = 2.5\n");
  EXPECT_EQ(fraction.what, config_error::kind::wrong_type);
  EXPECT_EQ(fraction.key, "[limits] idle_timeout");

  const auto burst = invalid(std::string(no_auth) + "[limits]\nburst = 0\n");
  EXPECT_EQ(burst.key, "[limits] burst");
}

TEST_F(config_test, message_parts_fit_in_the_message) {
  const auto body = invalid(std::string(no_auth) + "[limits]\nmax_body_size = 70000\n");
  EXPECT_EQ(body.key, "[limits] max_body_size");
  EXPECT_EQ(body.line, 4u);
  EXPECT_NE(body.expected.find("at most max_message_size (65535)"), std::string::npos)
      << body.message();

  // The default header section (16384) no longer fits a smaller message:
  // the key written is the one named.
  const auto section = invalid(std::string(no_auth) + "[limits]\nmax_message_size = 8192\n");
  EXPECT_EQ(section.key, "[limits] max_message_size");
  EXPECT_EQ(section.line, 4u);
  EXPECT_NE(section.message().find("max_message_size = 8192: expected at least "
                                   "max_header_section (16384)"),
            std::string::npos)
      << section.message();

  const auto queue = invalid(std::string(no_auth) +
                             "[limits]\nmax_write_queue_bytes = 65536\nmax_message_size = 131072\n"
                             "max_header_section = 16384\n");
  EXPECT_EQ(queue.key, "[limits] max_write_queue_bytes");
}

TEST_F(config_test, unknown_top_level_table) {
  const auto e = invalid(std::string(no_auth) + "\n[sipp]\nlisten = []\n");
  EXPECT_EQ(e.what, config_error::kind::unknown_key);
  EXPECT_EQ(e.key, "[sipp]");
  EXPECT_EQ(e.line, 4u);
  EXPECT_NE(e.expected.find("[sip]"), std::string::npos) << e.message();
}

TEST_F(config_test, unknown_key_in_sip) {
  const auto e =
      invalid(std::string(no_auth) + "[sip]\nlisten = [\"udp:127.0.0.1:5060\"]\nlsten = []\n");
  EXPECT_EQ(e.what, config_error::kind::unknown_key);
  EXPECT_EQ(e.key, "[sip] lsten");
  EXPECT_EQ(e.line, 5u);
  EXPECT_NE(e.message().find("p2psipd.toml:5: [sip] lsten: unknown key, expected one of listen"),
            std::string::npos)
      << e.message();
}

TEST_F(config_test, wrong_type) {
  const auto e = invalid(std::string(no_auth) + "[limits]\nrate = \"fast\"\n");
  EXPECT_EQ(e.what, config_error::kind::wrong_type);
  EXPECT_EQ(e.key, "[limits] rate");
  EXPECT_EQ(e.line, 4u);
  EXPECT_EQ(e.value, "\"fast\"");
  EXPECT_NE(e.message().find("p2psipd.toml:4: [limits] rate = \"fast\": expected a number"),
            std::string::npos)
      << e.message();
}

TEST_F(config_test, bad_listen_spec) {
  const auto e =
      invalid(std::string(no_auth) +
              "[sip]\nlisten = [\n  \"udp:127.0.0.1:5060\",\n  \"ucp:1.2.3.4:5060\",\n]\n");
  EXPECT_EQ(e.what, config_error::kind::bad_value);
  EXPECT_EQ(e.key, "[sip] listen[1]");
  EXPECT_EQ(e.line, 6u);
  const auto text = e.message();
  EXPECT_EQ(text.substr(text.find("p2psipd.toml")),
            "p2psipd.toml:6: [sip] listen[1] = \"ucp:1.2.3.4:5060\": expected "
            "\"udp|tcp|tls:ADDRESS:PORT\"");
}

TEST_F(config_test, advertise_is_a_uri_host) {
  const auto v4 = valid(std::string(no_auth) + "[sip]\nadvertise = \"203.0.113.5\"\n");
  EXPECT_EQ(v4.sip_advertise, "203.0.113.5");
  const auto v6 = valid(std::string(no_auth) + "[sip]\nadvertise = \"2001:db8::5\"\n");
  EXPECT_EQ(v6.sip_advertise, "[2001:db8::5]");
  const auto bracketed = valid(std::string(no_auth) + "[sip]\nadvertise = \"[2001:db8::5]\"\n");
  EXPECT_EQ(bracketed.sip_advertise, "[2001:db8::5]");
  EXPECT_TRUE(valid(no_auth).sip_advertise.empty());

  // A name would need resolving (RFC 3263) by every node that routes here.
  const auto e = invalid(std::string(no_auth) + "[sip]\nadvertise = \"sip1.example.org\"\n");
  EXPECT_EQ(e.key, "[sip] advertise");
  EXPECT_EQ(e.line, 4u);
  EXPECT_EQ(invalid(std::string(no_auth) + "[sip]\nadvertise = \"0.0.0.0\"\n").key,
            "[sip] advertise");
}

TEST_F(config_test, a_wildcard_listener_needs_an_advertised_host) {
  const std::string wildcard =
      std::string(no_auth) + "[sip]\nlisten = [\"tcp:127.0.0.1:5060\", \"udp:0.0.0.0:5060\"]\n";
  const auto e = invalid(wildcard);
  EXPECT_EQ(e.what, config_error::kind::bad_value);
  EXPECT_EQ(e.key, "[sip] listen[1]");
  EXPECT_NE(e.message().find("advertise"), std::string::npos) << e.message();

  const auto c = valid(wildcard + "advertise = \"203.0.113.5\"\n[overlay]\nplain_links = true\n");
  ASSERT_EQ(c.sip_listen.size(), 2u);
  EXPECT_TRUE(c.sip_listen[1].address.is_unspecified());
}

TEST_F(config_test, unknown_role) {
  const auto e = invalid("[node]\nroles = [\"peer\", \"bouncer\"]\n" + std::string(no_auth));
  EXPECT_EQ(e.what, config_error::kind::bad_value);
  EXPECT_EQ(e.key, "[node] roles[1]");
  EXPECT_EQ(e.line, 2u);
  EXPECT_NE(e.expected.find("registrar"), std::string::npos);
}

TEST_F(config_test, proxy_and_redirect_exclude_each_other) {
  const auto e =
      invalid("[node]\nroles = [\"peer\", \"proxy\", \"redirect\"]\n" + std::string(no_auth));
  EXPECT_EQ(e.what, config_error::kind::bad_value);
  EXPECT_EQ(e.key, "[node] roles");
  EXPECT_EQ(e.line, 2u);
  EXPECT_NE(e.expected.find("not both"), std::string::npos);
}

TEST_F(config_test, api_listen_needs_an_ip_address) {
  EXPECT_EQ(valid(std::string(no_auth) + "[api]\nlisten = \"127.0.0.1:8060\"\n").api_listen,
            (p2psip::node::host_port{"127.0.0.1", 8060}));
  const auto e = invalid(std::string(no_auth) + "[api]\nlisten = \"localhost:8060\"\n");
  EXPECT_EQ(e.what, config_error::kind::bad_value);
  EXPECT_EQ(e.key, "[api] listen");
}

TEST_F(config_test, api_off_loopback_needs_a_token) {
  const auto e = invalid(std::string(no_auth) + "[api]\nlisten = \"192.0.2.7:8060\"\n");
  EXPECT_EQ(e.what, config_error::kind::bad_value);
  EXPECT_EQ(e.key, "[api] listen");
  EXPECT_EQ(e.line, 4u);
  EXPECT_NE(e.expected.find("[api] token"), std::string::npos) << e.message();
  EXPECT_EQ(invalid(std::string(no_auth) + "[api]\nlisten = \"0.0.0.0:8060\"\n").key,
            "[api] listen");

  const std::string token = "k2Vx9-3QpL_0a8Zr7tYw";
  const auto c =
      valid(std::string(no_auth) + "[api]\nlisten = \"0.0.0.0:8060\"\ntoken = \"" + token + "\"\n");
  EXPECT_EQ(c.api_token, token);
  EXPECT_TRUE(valid(std::string(no_auth) + "[api]\nlisten = \"[::1]:8060\"\n").api_token.empty());
}

TEST_F(config_test, a_bad_api_token_is_named_but_not_shown) {
  const auto short_token = invalid(std::string(no_auth) + "[api]\ntoken = \"secret\"\n");
  EXPECT_EQ(short_token.key, "[api] token");
  EXPECT_EQ(short_token.line, 4u);
  EXPECT_EQ(short_token.message().find("secret"), std::string::npos) << short_token.message();
  EXPECT_EQ(invalid(std::string(no_auth) + "[api]\ntoken = \"with spaces in this token\"\n").key,
            "[api] token");
}

TEST_F(config_test, api_lookup_rate) {
  const auto defaults = valid(no_auth);
  EXPECT_DOUBLE_EQ(defaults.api_lookup_rate, 10);
  EXPECT_DOUBLE_EQ(defaults.api_lookup_burst, 20);
  const auto c = valid(std::string(no_auth) + "[api]\nlookup_rate = 2.5\nlookup_burst = 5\n");
  EXPECT_DOUBLE_EQ(c.api_lookup_rate, 2.5);
  EXPECT_DOUBLE_EQ(c.api_lookup_burst, 5);
  EXPECT_EQ(invalid(std::string(no_auth) + "[api]\nlookup_rate = 0\n").key, "[api] lookup_rate");
  EXPECT_EQ(invalid(std::string(no_auth) + "[api]\nlookup_burst = 0.5\n").key,
            "[api] lookup_burst");
}

TEST_F(config_test, unknown_digest) {
  const auto e = invalid("[auth]\nenabled = false\ndigest = \"SHA-512\"\n");
  EXPECT_EQ(e.what, config_error::kind::bad_value);
  EXPECT_EQ(e.key, "[auth] digest");
  EXPECT_EQ(e.line, 3u);
  EXPECT_NE(e.expected.find("SHA-256"), std::string::npos);
}

TEST_F(config_test, port_out_of_range) {
  const auto sip = invalid(std::string(no_auth) + "[sip]\nlisten = [\"udp:127.0.0.1:70000\"]\n");
  EXPECT_EQ(sip.key, "[sip] listen[0]");
  EXPECT_EQ(sip.line, 4u);
  const auto overlay =
      invalid(std::string(no_auth) + "\n[overlay]\nlisten = \"127.0.0.1:70000\"\n");
  EXPECT_EQ(overlay.what, config_error::kind::bad_value);
  EXPECT_EQ(overlay.key, "[overlay] listen");
  EXPECT_EQ(overlay.line, 5u);
  EXPECT_NE(overlay.expected.find("0-65535"), std::string::npos);
}

TEST_F(config_test, first_error_in_file_order_is_reported) {
  const auto e = invalid("[log]\nlevel = \"loud\"\n[limits]\nrate = -1\n[auth]\nenabled = false\n");
  EXPECT_EQ(e.key, "[log] level");
  EXPECT_EQ(e.line, 2u);
}

TEST_F(config_test, enabled_auth_needs_users_unless_the_overlay_knows_them) {
  const auto e = invalid(
      "[node]\nroles = [\"registrar\", \"proxy\"]\n[sip]\nlisten = "
      "[\"udp:127.0.0.1:5060\"]\n[auth]\ndigest = \"MD5\"\n");
  EXPECT_EQ(e.key, "[auth] users");
  EXPECT_EQ(e.line, 5u);
  // A peer may have enrolled users only: its users.key is checked at start.
  const auto peer = valid("[auth]\ndigest = \"MD5\"\nrefresh = 5\n");
  EXPECT_TRUE(peer.users.empty());
  EXPECT_EQ(peer.users_refresh, std::chrono::seconds{5});
  EXPECT_EQ(invalid("[auth]\nrefresh = 0\n").key, "[auth] refresh");
}

TEST_F(config_test, tls_listener_needs_certificate_and_key) {
  // A peer has its node certificate; another node must be given one.
  const auto e = invalid("[node]\nroles = [\"registrar\", \"proxy\"]\n" + std::string(no_auth) +
                         "[sip]\nlisten = [\"tls:127.0.0.1:5061\"]\n");
  EXPECT_EQ(e.key, "[sip] listen[0]");
  EXPECT_EQ(e.line, 6u);
  const auto half = invalid(std::string(no_auth) + "[sip]\ntls_cert = \"a.crt\"\n");
  EXPECT_EQ(half.key, "[sip] tls_key");
}

TEST_F(config_test, syntax_error_has_a_line) {
  const auto e = invalid("[node]\noverlay = \"p2psip.test\"\nroles = = []\n");
  EXPECT_EQ(e.what, config_error::kind::syntax);
  EXPECT_EQ(e.line, 3u);
  EXPECT_NE(e.message().find("p2psipd.toml:3:"), std::string::npos) << e.message();
}

TEST_F(config_test, missing_file_is_an_error_not_an_exception) {
  auto result = load_config(dir_ / "absent.toml");
  ASSERT_TRUE(std::holds_alternative<config_error>(result));
  EXPECT_EQ(std::get<config_error>(result).what, config_error::kind::unreadable);
}

TEST_F(config_test, relative_paths_resolve_against_the_file_directory) {
  fs::create_directories(dir_ / "etc");
  const auto path = write("etc/node.toml", R"([node]
state_dir = "state"
roles = ["registrar", "proxy"]
[sip]
tls_cert = "certs/node.crt"
tls_key = "../keys/node.key"
[auth]
users = "users.txt"
)");
  auto result = load_config(path);
  ASSERT_TRUE(std::holds_alternative<node_config>(result))
      << std::get<config_error>(result).message();
  const auto& c = std::get<node_config>(result);
  const auto base = fs::absolute(dir_);
  EXPECT_EQ(c.state_dir, base / "etc" / "state");
  EXPECT_EQ(c.users, base / "etc" / "users.txt");
  ASSERT_TRUE(c.tls.has_value());
  EXPECT_EQ(c.tls->certificate, (base / "etc" / "certs" / "node.crt").string());
  EXPECT_EQ(c.tls->private_key, (base / "keys" / "node.key").string());
  EXPECT_FALSE(c.tls->verify_peer);
}

TEST(listen_spec, parses_like_the_command_line) {
  using p2psip::node::parse_listen_spec;
  EXPECT_TRUE(parse_listen_spec("udp:127.0.0.1:5060"));
  EXPECT_TRUE(parse_listen_spec("tcp:[::1]:0"));
  EXPECT_TRUE(parse_listen_spec("tls:::1:5061"));
  EXPECT_FALSE(parse_listen_spec("udp:127.0.0.1"));
  EXPECT_FALSE(parse_listen_spec("sctp:127.0.0.1:5060"));
  EXPECT_FALSE(parse_listen_spec("udp:localhost:5060"));
  EXPECT_FALSE(parse_listen_spec("udp:127.0.0.1:65536"));
  EXPECT_FALSE(parse_listen_spec("udp:127.0.0.1:50x"));
}

TEST(host_port, names_and_addresses) {
  using p2psip::node::parse_host_port;
  EXPECT_TRUE(parse_host_port("boot.p2psip.test:4222"));
  EXPECT_TRUE(parse_host_port("[2001:db8::1]:4222"));
  EXPECT_FALSE(parse_host_port("2001:db8::1:4222"));
  EXPECT_FALSE(parse_host_port("bad_name:4222"));
  EXPECT_FALSE(parse_host_port("host"));
  EXPECT_FALSE(parse_host_port("host:-1"));
}

TEST_F(config_test, the_overlay_is_a_fully_qualified_name) {
  const auto e = invalid(std::string(no_auth) + "[node]\noverlay = \"p2psip\"\n");
  EXPECT_EQ(e.key, "[node] overlay");
  EXPECT_NE(e.expected.find("fully qualified"), std::string::npos);
  EXPECT_EQ(valid(std::string(no_auth) + "[node]\noverlay = \"p2p.example.org\"\n").overlay,
            "p2p.example.org");
}

TEST_F(config_test, a_proxy_peer_with_dns_parses_and_its_mistakes_are_named) {
  const std::string peer = std::string(no_auth) +
                           "[node]\nroles = [\"peer\", \"registrar\", \"proxy\", "
                           "\"proxy-peer\"]\n[overlay]\nplain_links = true\n";
  const auto c = valid(peer +
                       "[proxy_peer]\nname = \"pp1.p2psip.test\"\ndensity = 8\n"
                       "steward_after = 30\n[dns]\nservers = [\"127.0.0.53:53\"]\n"
                       "update_server = \"127.0.0.53:53\"\ntsig_key = \"pp1.key\"\nttl = 20\n");
  EXPECT_NE(std::find(c.roles.begin(), c.roles.end(), role::proxy_peer), c.roles.end());
  EXPECT_EQ(c.proxy_peer_name, "pp1.p2psip.test");
  EXPECT_EQ(c.proxy_peer_density, 8u);
  EXPECT_EQ(c.steward_after, std::chrono::seconds(30));
  EXPECT_EQ(c.dns_servers, (std::vector<host_port>{{"127.0.0.53", 53}}));
  EXPECT_EQ(c.dns_update_server, (host_port{"127.0.0.53", 53}));
  EXPECT_EQ(c.dns_tsig_key, dir_ / "pp1.key");
  EXPECT_EQ(c.dns_ttl, std::chrono::seconds(20));

  // Each mistake names its key.
  EXPECT_EQ(invalid(std::string(no_auth) + "[node]\nroles = [\"peer\", \"proxy-peer\"]\n").key,
            "[node] roles");
  EXPECT_EQ(invalid(peer + "[proxy_peer]\nname = \"pp1.p2psip.test\"\n"
                           "[dns]\nupdate_server = \"127.0.0.53:53\"\n")
                .key,
            "[dns] tsig_key");
  EXPECT_EQ(invalid(peer + "[proxy_peer]\nname = \"pp1.example.org\"\n[dns]\n"
                           "update_server = \"127.0.0.53:53\"\ntsig_key = \"k\"\n")
                .key,
            "[proxy_peer] name");
  EXPECT_EQ(invalid(peer + "[dns]\nupdate_server = \"127.0.0.53:53\"\ntsig_key = \"k\"\n").key,
            "[proxy_peer] name");
  EXPECT_EQ(invalid(std::string(no_auth) + "[dns]\nupdate_server = \"127.0.0.53:53\"\n"
                                           "tsig_key = \"k\"\n")
                .key,
            "[dns] update_server");
  EXPECT_EQ(invalid(peer + "[dns]\nservers = [\"resolver.example:53\"]\n").key, "[dns] servers[0]");
  EXPECT_EQ(invalid(peer + "[proxy_peer]\ndensity = 0\n").key, "[proxy_peer] density");
}

// A peer with the relay role: [node] is lines 3-4, so [relay] starts at 5.
const std::string relay_peer = std::string(no_auth) + "[node]\nroles = [\"peer\", \"relay\"]\n";
// Users who may ask Get Relay: [auth] is lines 1-3.
const std::string with_users = "[auth]\nenabled = true\nusers = \"users.txt\"\n";

TEST_F(config_test, a_relay_peer_and_get_relay_parse) {
  const auto c = valid(relay_peer +
                       "[relay]\n"
                       "servers = [\"turn:203.0.113.21:3478?transport=udp\", "
                       "\"turn:[2001:db8::21]?transport=tcp\"]\n"
                       "realm = \"relay.example.org\"\ncheck_every = 5\n"
                       "[relays]\nsecret = \"turn.secret\"\ndensity = 8\n"
                       "credential_ttl = 3600\nper_user = 2\n");
  EXPECT_NE(std::find(c.roles.begin(), c.roles.end(), role::relay), c.roles.end());
  EXPECT_EQ(c.relay_servers, (std::vector<std::string>{"turn:203.0.113.21:3478?transport=udp",
                                                       "turn:[2001:db8::21]?transport=tcp"}));
  EXPECT_EQ(c.relay_realm, "relay.example.org");
  EXPECT_EQ(c.relay_check_every, std::chrono::seconds(5));
  EXPECT_EQ(c.turn_secret, dir_ / "turn.secret");  // relative to the file, like other paths
  EXPECT_EQ(c.relay_density, 8u);
  EXPECT_EQ(c.credential_ttl, std::chrono::seconds(3600));
  EXPECT_EQ(c.relays_per_user, 2u);
  EXPECT_FALSE(c.relays_listen);

  // Get Relay on a node that is not a relay itself.
  const auto g =
      valid(with_users +
            "[node]\nroles = [\"peer\", \"registrar\"]\n"
            "[relays]\nsecret = \"/etc/p2psip/turn.secret\"\nlisten = \"127.0.0.1:8443\"\n");
  EXPECT_EQ(g.relays_listen, (host_port{"127.0.0.1", 8443}));
  EXPECT_EQ(g.turn_secret, "/etc/p2psip/turn.secret");
  EXPECT_TRUE(g.relay_servers.empty());
  const node_config defaults;
  EXPECT_EQ(g.relay_density, defaults.relay_density);
  EXPECT_EQ(g.relays_per_user, defaults.relays_per_user);
  EXPECT_EQ(g.credential_ttl, defaults.credential_ttl);
}

TEST_F(config_test, the_relay_role_needs_the_peer_role) {
  const auto e = invalid(std::string(no_auth) + "[node]\nroles = [\"registrar\", \"relay\"]\n" +
                         "[relay]\nservers = [\"turn:192.0.2.1\"]\n[relays]\nsecret = \"s\"\n");
  EXPECT_EQ(e.key, "[node] roles");
  EXPECT_EQ(e.line, 4u);
  EXPECT_NE(e.expected.find("\"peer\" with \"relay\""), std::string::npos) << e.message();
}

TEST_F(config_test, the_relay_role_needs_servers) {
  // No [relay] table at all: no line to point at.
  const auto none = invalid(relay_peer + "[relays]\nsecret = \"s\"\n");
  EXPECT_EQ(none.key, "[relay] servers");
  EXPECT_EQ(none.what, config_error::kind::bad_value);
  EXPECT_NE(none.message().find("[relay] servers"), std::string::npos) << none.message();

  // A [relay] table without servers: its line.
  const auto empty = invalid(relay_peer + "[relay]\nrealm = \"r\"\n[relays]\nsecret = \"s\"\n");
  EXPECT_EQ(empty.key, "[relay] servers");
  EXPECT_GE(empty.line, 5u);
  EXPECT_LE(empty.line, 6u);
  EXPECT_NE(
      empty.message().find("p2psipd.toml:" + std::to_string(empty.line) + ": [relay] servers"),
      std::string::npos)
      << empty.message();
  EXPECT_EQ(invalid(relay_peer + "[relay]\nservers = []\n[relays]\nsecret = \"s\"\n").key,
            "[relay] servers");
}

TEST_F(config_test, a_relay_table_without_the_relay_role_is_refused) {
  const auto e = invalid(std::string(no_auth) + "[node]\nroles = [\"peer\"]\n" +
                         "[relay]\nservers = [\"turn:192.0.2.1\"]\n");
  EXPECT_EQ(e.key, "[node] roles");
  EXPECT_GE(e.line, 5u);  // the [relay] table's
  EXPECT_LE(e.line, 6u);
  EXPECT_NE(e.expected.find("\"relay\""), std::string::npos) << e.message();
}

// The relay peer probes each server itself, over UDP or TCP, at an address.
TEST_F(config_test, relay_servers_are_turn_uris_with_an_ip_address) {
  const auto e = invalid(relay_peer + "[relay]\nservers = [\n  \"turn:192.0.2.1\",\n" +
                         "  \"turns:1.2.3.4\",\n]\n[relays]\nsecret = \"s\"\n");
  EXPECT_EQ(e.what, config_error::kind::bad_value);
  EXPECT_EQ(e.key, "[relay] servers[1]");
  EXPECT_EQ(e.line, 8u);
  const auto text = e.message();
  EXPECT_NE(text.find("p2psipd.toml:8: [relay] servers[1] = \"turns:1.2.3.4\": expected "),
            std::string::npos)
      << text;

  for (const auto* bad : {"turn:relay.example.org", "stun:192.0.2.1", "turn:", "192.0.2.1:3478",
                          "sip:192.0.2.1", "turn:192.0.2.1:99999"}) {
    const auto b =
        invalid(relay_peer + "[relay]\nservers = [\"" + bad + "\"]\n[relays]\nsecret = \"s\"\n");
    EXPECT_EQ(b.key, "[relay] servers[0]") << bad << ": " << b.message();
    EXPECT_EQ(b.line, 6u) << bad;
  }
  const auto not_a_list = invalid(relay_peer + "[relay]\nservers = \"turn:192.0.2.1\"\n");
  EXPECT_EQ(not_a_list.key, "[relay] servers");
  EXPECT_EQ(not_a_list.line, 6u);
}

TEST_F(config_test, the_relay_role_and_get_relay_need_the_turn_secret) {
  const auto relay = invalid(relay_peer + "[relay]\nservers = [\"turn:192.0.2.1\"]\n");
  EXPECT_EQ(relay.key, "[relays] secret");
  EXPECT_NE(relay.message().find("[relays] secret"), std::string::npos) << relay.message();

  const auto listen = invalid(with_users + "[relays]\nlisten = \"127.0.0.1:8443\"\n");
  EXPECT_EQ(listen.key, "[relays] secret");
  EXPECT_EQ(listen.line, 4u);  // the [relays] table's
}

TEST_F(config_test, get_relay_needs_the_peer_role_and_authentication) {
  const auto no_peer = invalid(with_users + "[node]\nroles = [\"registrar\"]\n" +
                               "[relays]\nsecret = \"s\"\nlisten = \"127.0.0.1:8443\"\n");
  EXPECT_EQ(no_peer.key, "[relays] listen");
  EXPECT_EQ(no_peer.line, 8u);
  EXPECT_NE(no_peer.expected.find("\"peer\""), std::string::npos) << no_peer.message();

  const auto no_users =
      invalid(std::string(no_auth) + "[relays]\nsecret = \"s\"\nlisten = \"127.0.0.1:8443\"\n");
  EXPECT_EQ(no_users.key, "[relays] listen");
  EXPECT_EQ(no_users.line, 5u);
  EXPECT_NE(no_users.expected.find("[auth] enabled"), std::string::npos) << no_users.message();
}

TEST_F(config_test, relay_numbers_out_of_range_name_their_key) {
  const std::string relay = relay_peer + "[relay]\nservers = [\"turn:192.0.2.1\"]\n";
  EXPECT_EQ(invalid(relay + "check_every = 0\n[relays]\nsecret = \"s\"\n").key,
            "[relay] check_every");
  EXPECT_EQ(invalid(relay + "[relays]\nsecret = \"s\"\ndensity = 0\n").key, "[relays] density");
  EXPECT_EQ(invalid(relay + "[relays]\nsecret = \"s\"\ndensity = 65\n").key, "[relays] density");
  EXPECT_EQ(invalid(relay + "[relays]\nsecret = \"s\"\nper_user = 0\n").key, "[relays] per_user");
  EXPECT_EQ(invalid(relay + "[relays]\nsecret = \"s\"\nper_user = 17\n").key, "[relays] per_user");
  const auto ttl = invalid(relay + "[relays]\nsecret = \"s\"\ncredential_ttl = 59\n");
  EXPECT_EQ(ttl.key, "[relays] credential_ttl");
  EXPECT_EQ(ttl.line, 9u);
  const auto typed = invalid(relay + "[relays]\nsecret = \"s\"\nper_user = \"3\"\n");
  EXPECT_EQ(typed.what, config_error::kind::wrong_type);
  EXPECT_EQ(typed.key, "[relays] per_user");
  EXPECT_EQ(invalid(relay + "[relays]\nsecret = \"s\"\nsecrets = \"s\"\n").key, "[relays] secrets");
}
}  // namespace
