// The relay role against real coturn servers (support/coturn_server): what
// it advertises under turn:p2psip.test is read by another node of an
// in-memory overlay, as a node answering Get Relay would read it.
#include "node/relay_role.hpp"

#include <gtest/gtest.h>

#include <asio/ip/udp.hpp>
#include <map>
#include <optional>
#include <stdexcept>

#include "service_overlay.hpp"
#include "support/coturn_server.hpp"

namespace p2psip::node {
namespace {

using namespace std::chrono_literals;
using ops::test::run_until;
using p2psip::test::coturn_server;

std::string uri_of(std::uint16_t port) {
  return "turn:127.0.0.1:" + std::to_string(port);
}

// A UDP port that passes datagrams on to wherever `point_at` says, and the
// answers back; pointed nowhere it drops them. A coturn that goes away and
// one started later (on a port of its own) are then one server to the role.
class udp_forwarder {
 public:
  explicit udp_forwarder(asio::io_context& io)
      : io_(io), front_(io, {asio::ip::make_address("127.0.0.1"), 0}) {
    receive_front();
  }
  std::uint16_t port() const { return front_.local_endpoint().port(); }
  void point_at(std::optional<std::uint16_t> port) {
    if (port)
      target_ = asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), *port);
    else
      target_.reset();
  }

 private:
  struct upstream {
    asio::ip::udp::socket socket;
    asio::ip::udp::endpoint client;
    asio::ip::udp::endpoint from;
    std::array<char, 2048> buffer{};
  };

  void receive_front() {
    front_.async_receive_from(
        asio::buffer(buffer_), sender_, [this](std::error_code ec, std::size_t n) {
          if (ec == asio::error::operation_aborted) return;
          if (!ec && target_) {
            auto& up = upstream_for(sender_);
            up.socket.send_to(asio::buffer(buffer_.data(), n), *target_, 0, ec);
          }
          receive_front();
        });
  }

  upstream& upstream_for(const asio::ip::udp::endpoint& client) {
    auto& slot = upstreams_[client];
    if (!slot) {
      slot = std::make_unique<upstream>(upstream{
          asio::ip::udp::socket(io_, {asio::ip::make_address("127.0.0.1"), 0}), client, {}, {}});
      receive_upstream(*slot);
    }
    return *slot;
  }

  void receive_upstream(upstream& up) {
    up.socket.async_receive_from(
        asio::buffer(up.buffer), up.from, [this, &up](std::error_code ec, std::size_t n) {
          if (ec == asio::error::operation_aborted) return;
          if (!ec) front_.send_to(asio::buffer(up.buffer.data(), n), up.client, 0, ec);
          receive_upstream(up);
        });
  }

  asio::io_context& io_;
  asio::ip::udp::socket front_;
  std::array<char, 2048> buffer_{};
  asio::ip::udp::endpoint sender_;
  std::optional<asio::ip::udp::endpoint> target_;
  std::map<asio::ip::udp::endpoint, std::unique_ptr<upstream>> upstreams_;
};

class RelayRole : public ::testing::Test {
 protected:
  RelayRole() {
    overlay.add("relay-a", test::turn_directory(0s));
    overlay.add("node-c", test::turn_directory(0s));  // reads the overlay every time
  }

  ~RelayRole() override {
    if (!role) return;
    bool stopped = false;
    role->stop([&] { stopped = true; });
    run_until(
        overlay.io, [&] { return stopped; }, 5s);
  }

  relay_role_settings settings(std::vector<std::string> servers, const std::string& secret) {
    relay_role_settings s;
    s.servers = std::move(servers);
    s.realm = "relay.p2psip.test";
    s.secret = secret;
    s.check_every = check_every;
    s.probe.timeout = probe_timeout;
    s.probe.first_resend = 100ms;
    return s;
  }

  // Kept until the io_context goes, which drops their handlers unrun.
  udp_forwarder& forwarder() {
    return *forwarders.emplace_back(std::make_unique<udp_forwarder>(overlay.io));
  }

  service_directory& relay_a() { return *overlay.directories.at(0); }

  void start(relay_role_settings s) {
    role.emplace(overlay.io, relay_a(), std::move(s));
    role->start();
  }

  // relay-a's record as node-c reads it now; nullopt when there is none.
  std::optional<overlay::service_record> read_from_node_c() {
    return overlay.record_of(*overlay.directories.at(1), "relay-a");
  }

  // Runs until node-c reads `uris` from relay-a (empty: no record).
  bool reads(const std::vector<std::string>& uris, std::chrono::milliseconds limit) {
    return run_until(
        overlay.io,
        [&] {
          const auto r = read_from_node_c();
          return uris.empty() ? !r : r && r->uris == uris;
        },
        limit);
  }

  const std::chrono::seconds check_every{1};
  const std::chrono::milliseconds probe_timeout{500};
  // What the bound allows beyond check_every + one probe: the put of the
  // withdrawal and node-c's read, in memory, and a loaded machine.
  const std::chrono::milliseconds slack{1000};

  test::service_overlay overlay;
  std::vector<std::unique_ptr<udp_forwarder>> forwarders;
  std::optional<relay_role> role;
};

TEST_F(RelayRole, AHealthyServerIsOfferedAndReadByAnotherNode) {
  const coturn_server coturn;
  const auto uri = uri_of(coturn.port());
  start(settings({uri}, coturn.secret()));
  ASSERT_TRUE(reads({uri}, 10s)) << coturn.log();
  const auto record = read_from_node_c();
  ASSERT_TRUE(record);
  EXPECT_EQ(record->realm, "relay.p2psip.test");
  EXPECT_EQ(record->auth_scheme, "turn-rest");
  EXPECT_EQ(record->service, "turn:p2psip.test");

  ASSERT_EQ(role->servers().size(), 1u);
  const auto& health = role->servers()[0];
  EXPECT_TRUE(health.healthy);
  EXPECT_GE(health.checks, 1u);
  EXPECT_EQ(health.failures, 0u);
  EXPECT_TRUE(health.last_failure.empty()) << health.last_failure;
  EXPECT_TRUE(health.relayed.starts_with("127.0.0.1:")) << health.relayed;
  EXPECT_EQ(role->stats().publications, 1u);
  EXPECT_EQ(role->stats().withdrawals, 0u);

  // Checks go on; a server that stays healthy is not put again for each.
  ASSERT_TRUE(run_until(
      overlay.io, [&] { return role->servers()[0].checks >= 3; }, 10s));
  EXPECT_EQ(role->stats().publications, 1u);
  EXPECT_GE(role->stats().rounds, 3u);
}

TEST_F(RelayRole, AServerThatDiesIsWithdrawnWithinCheckEveryPlusAProbe) {
  std::optional<coturn_server> coturn(std::in_place);
  const auto uri = uri_of(coturn->port());
  start(settings({uri}, coturn->secret()));
  ASSERT_TRUE(reads({uri}, 10s)) << coturn->log();

  coturn.reset();  // killed, its directory removed
  const auto killed = std::chrono::steady_clock::now();
  ASSERT_TRUE(reads({}, 10s)) << "still advertised 10 s after the server died";
  const auto took = std::chrono::steady_clock::now() - killed;
  EXPECT_LT(took, check_every + probe_timeout + slack)
      << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms";
  const auto& health = role->servers()[0];
  EXPECT_FALSE(health.healthy);
  EXPECT_GE(health.failures, 1u);
  EXPECT_TRUE(health.last_failure.starts_with("binding: ")) << health.last_failure;
  EXPECT_EQ(role->stats().withdrawals, 1u);
}

TEST_F(RelayRole, AServerThatComesBackIsOfferedAgain) {
  auto& front = forwarder();  // the address the role checks; coturn sits behind it
  const auto uri = uri_of(front.port());
  std::optional<coturn_server> coturn(std::in_place);
  front.point_at(coturn->port());
  start(settings({uri}, coturn->secret()));
  ASSERT_TRUE(reads({uri}, 10s)) << coturn->log();

  coturn.reset();
  ASSERT_TRUE(reads({}, check_every + probe_timeout + slack));

  coturn.emplace();  // a new turnserver, with the same secret
  front.point_at(coturn->port());
  const auto restarted = std::chrono::steady_clock::now();
  ASSERT_TRUE(reads({uri}, 10s)) << coturn->log();
  // The next round finds it: within check_every (and a good probe).
  EXPECT_LT(std::chrono::steady_clock::now() - restarted, check_every + probe_timeout + slack);
  EXPECT_TRUE(role->servers()[0].healthy);
  EXPECT_EQ(role->stats().publications, 2u);
  EXPECT_EQ(role->stats().withdrawals, 1u);
}

TEST_F(RelayRole, OnlyTheHealthyOfTwoServersIsAdvertised) {
  const coturn_server coturn;
  auto& nowhere = forwarder();  // drops everything: a server that never answers
  const auto good = uri_of(coturn.port());
  const auto dead = uri_of(nowhere.port());
  start(settings({dead, good}, coturn.secret()));
  ASSERT_TRUE(reads({good}, 10s)) << coturn.log();
  EXPECT_FALSE(role->servers()[0].healthy);
  EXPECT_TRUE(role->servers()[0].last_failure.starts_with("binding: "))
      << role->servers()[0].last_failure;
  EXPECT_TRUE(role->servers()[1].healthy);
}

TEST_F(RelayRole, AServerWithAnotherSecretIsNeverOffered) {
  const coturn_server coturn;
  start(settings({uri_of(coturn.port())}, "not-" + coturn.secret()));
  ASSERT_TRUE(run_until(
      overlay.io, [&] { return role->servers()[0].checks >= 2; }, 10s));
  const auto& health = role->servers()[0];
  EXPECT_FALSE(health.healthy);
  EXPECT_EQ(health.failures, health.checks);
  EXPECT_TRUE(health.last_failure.starts_with("allocate: ")) << health.last_failure;
  EXPECT_NE(health.last_failure.find("401"), std::string::npos) << health.last_failure;
  EXPECT_FALSE(read_from_node_c());
  EXPECT_EQ(role->stats().publications, 0u);
  EXPECT_EQ(role->stats().withdrawals, 0u);  // nothing was ever put to withdraw
}

TEST_F(RelayRole, StoppingWithdrawsTheRecord) {
  const coturn_server coturn;
  const auto uri = uri_of(coturn.port());
  start(settings({uri}, coturn.secret()));
  ASSERT_TRUE(reads({uri}, 10s)) << coturn.log();
  bool stopped = false;
  role->stop([&] { stopped = true; });
  ASSERT_TRUE(run_until(overlay.io, [&] { return stopped; }));
  EXPECT_FALSE(read_from_node_c());
  const auto checks = role->servers()[0].checks;
  run_until(
      overlay.io, [] { return false; }, check_every + probe_timeout);
  EXPECT_EQ(role->servers()[0].checks, checks) << "checked after stop()";
  EXPECT_FALSE(read_from_node_c());
}

TEST_F(RelayRole, ServersItCannotCheckAreRefused) {
  for (const auto* uri : {"turn:relay.example.org", "turns:127.0.0.1:5349", "stun:127.0.0.1",
                          "turn:", "http://127.0.0.1"})
    EXPECT_THROW((relay_role{overlay.io, relay_a(), settings({uri}, "s")}), std::invalid_argument)
        << uri;
  EXPECT_NO_THROW((relay_role{overlay.io, relay_a(),
                              settings({"turn:127.0.0.1:3478?transport=tcp", "turn:[::1]"}, "s")}));
}

}  // namespace
}  // namespace p2psip::node
