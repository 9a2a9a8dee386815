// What a proxy peer puts in DNS, as its configuration and listeners say:
// interwork §3.1.1, a proxy peer publishes no address the zone's readers
// cannot reach.
#include "node/proxy_peer_role.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <random>

namespace p2psip::node {
namespace {

namespace fs = std::filesystem;

class ProxyPeerDns : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("p2psip-pp-" + std::to_string(std::random_device{}()));
    fs::create_directories(dir_);
    key_ = dir_ / "pp1.key";
    std::ofstream(key_) << "key \"pp1\" {\n\talgorithm hmac-sha256;\n"
                           "\tsecret \"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI=\";\n};\n";
    ::chmod(key_.c_str(), 0600);
  }
  void TearDown() override { fs::remove_all(dir_); }

  node_config config(std::string primary) const {
    node_config c;
    c.roles = {role::peer, role::registrar, role::proxy, role::proxy_peer};
    c.proxy_peer_name = "pp1.p2psip.test";
    c.dns_update_server = host_port{std::move(primary), 53};
    c.dns_tsig_key = key_;
    return c;
  }

  static transport::endpoint at(transport::protocol p, std::string ip, std::uint16_t port) {
    return {p, asio::ip::make_address(ip), port, 0};
  }

  std::optional<proxy_peer_dns> settings(const node_config& c,
                                         const std::vector<transport::endpoint>& local) {
    auto out = proxy_peer_dns_settings(c, local);
    if (const auto* error = std::get_if<std::string>(&out)) {
      ADD_FAILURE() << *error;
      return std::nullopt;
    }
    return std::get<std::optional<proxy_peer_dns>>(std::move(out));
  }

  fs::path dir_;
  fs::path key_;
};

TEST_F(ProxyPeerDns, ItsListenersBecomeItsAddressAndPortsInTheZone) {
  const auto s = settings(config("127.0.0.53"), {at(transport::protocol::udp, "127.0.0.11", 5060),
                                                 at(transport::protocol::tcp, "127.0.0.11", 5060),
                                                 at(transport::protocol::tls, "127.0.0.11", 5061)});
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->presence.overlay, "p2psip.test.");
  EXPECT_EQ(s->presence.zone, "p2psip.test.");
  EXPECT_EQ(s->presence.self.name, "pp1.p2psip.test.");
  EXPECT_EQ(s->presence.self.addresses,
            std::vector<asio::ip::address>{asio::ip::make_address("127.0.0.11")});
  EXPECT_EQ(s->presence.self.ports.udp, std::optional<std::uint16_t>(5060));
  EXPECT_EQ(s->presence.self.ports.tls, std::optional<std::uint16_t>(5061));
  EXPECT_EQ(s->key.name, "pp1.");
  EXPECT_EQ(s->zone.server.port(), 53);
}

TEST_F(ProxyPeerDns, AnAddressNarrowerThanThePrimarysIsNotPublished) {
  // A public primary: a private address beside a public one is left out,
  // and a proxy peer with only loopback stays out of DNS altogether.
  const auto mixed =
      settings(config("192.0.2.53"), {at(transport::protocol::udp, "10.1.2.3", 5060),
                                      at(transport::protocol::udp, "198.51.100.7", 5060)});
  ASSERT_TRUE(mixed.has_value());
  EXPECT_EQ(mixed->presence.self.addresses,
            std::vector<asio::ip::address>{asio::ip::make_address("198.51.100.7")});
  EXPECT_FALSE(settings(config("192.0.2.53"), {at(transport::protocol::udp, "127.0.0.1", 5060)})
                   .has_value());
  // A private primary: its readers are on the private network too.
  const auto site = settings(config("10.0.0.53"), {at(transport::protocol::udp, "10.1.2.3", 5060)});
  ASSERT_TRUE(site.has_value());
  EXPECT_EQ(site->presence.self.addresses.size(), 1u);
}

TEST_F(ProxyPeerDns, AKeyGroupOrOthersMayReadStopsTheNodeWithItsName) {
  ::chmod(key_.c_str(), 0644);
  const auto out = proxy_peer_dns_settings(config("127.0.0.53"),
                                           {at(transport::protocol::udp, "127.0.0.11", 5060)});
  const auto* error = std::get_if<std::string>(&out);
  ASSERT_NE(error, nullptr);
  EXPECT_NE(error->find("pp1.key"), std::string::npos) << *error;
}

TEST_F(ProxyPeerDns, WithoutAnUpdateServerTheRoleStaysOutOfDns) {
  auto c = config("127.0.0.53");
  c.dns_update_server.reset();
  EXPECT_FALSE(settings(c, {at(transport::protocol::udp, "127.0.0.11", 5060)}).has_value());
}

}  // namespace
}  // namespace p2psip::node
