// TLS: both roles of one layer, a peer verified against the CA, and a
// server whose certificate the client's CA did not sign.
#include <asio/ip/address.hpp>
#include <asio/ssl/error.hpp>
#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

#include "test_certificates.hpp"
#include "transport_test_support.hpp"

namespace p2psip::transport::test {
namespace {

const auto v4 = asio::ip::make_address("127.0.0.1");

class tls_test : public ::testing::Test {
 protected:
  static config tls_server(const test_pki& pki) {
    auto settings = listening_on(protocol::tls, v4);
    settings.tls = tls_files{pki.certificate(), pki.private_key(), pki.ca_certificate(), false};
    return settings;
  }
  static config tls_client(const std::string& ca) {
    config settings;
    settings.tls = tls_files{{}, {}, ca, true};
    return settings;
  }

  event_loop loop;
  test_pki pki{"overlay"};
};

TEST_F(tls_test, request_and_response_round_trip_with_a_verified_server) {
  recording_layer server(loop, tls_server(pki));
  answer_200(server);
  recording_layer client(loop, tls_client(pki.ca_certificate()));
  const auto to = server.bound(protocol::tls);
  const auto request = options_request("TLS", "client.p2psip.test");
  std::error_code sent = asio::error::would_block;

  client.layer.send(request, to, [&](std::error_code ec) { sent = ec; });
  ASSERT_TRUE(loop.run_until([&] { return !client.messages.empty(); }));

  EXPECT_FALSE(sent) << sent.message();
  ASSERT_EQ(server.messages.size(), 1u);
  EXPECT_EQ(server.messages[0].source.proto, protocol::tls);
  EXPECT_NE(server.messages[0].source.flow, 0u);
  EXPECT_NE(server.messages[0].bytes.find("CSeq: 1 OPTIONS\r\n"), std::string::npos);
  EXPECT_TRUE(client.messages[0].bytes.starts_with("SIP/2.0 200 OK\r\n"));
  EXPECT_EQ(client.messages[0].source.proto, protocol::tls);
  EXPECT_EQ(client.messages[0].source.port, to.port);
  EXPECT_EQ(server.layer.stats().of(protocol::tls).messages_received, 1u);
  EXPECT_EQ(client.layer.stats().tls_handshake_failures, 0u);
}

TEST_F(tls_test, client_refuses_a_server_its_ca_did_not_sign) {
  recording_layer server(loop, tls_server(pki));
  const test_pki stranger("stranger");
  recording_layer client(loop, tls_client(stranger.ca_certificate()));
  std::error_code sent;

  client.layer.send(options_request("TLS", "client.p2psip.test"), server.bound(protocol::tls),
                    [&](std::error_code ec) { sent = ec; });
  ASSERT_TRUE(loop.run_until([&] { return static_cast<bool>(sent); }));

  EXPECT_EQ(sent.category(), asio::error::get_ssl_category()) << sent.message();
  EXPECT_EQ(client.layer.stats().tls_handshake_failures, 1u);
  EXPECT_EQ(client.layer.stats().connections_open, 0u);
  ASSERT_TRUE(loop.run_until([&] { return server.layer.stats().tls_handshake_failures == 1; }));
  EXPECT_TRUE(server.messages.empty());
}

// A proxy peer's health check connects to another's TLS port and closes:
// that is no failed handshake, and must not be logged as one.
TEST_F(tls_test, a_connection_closed_before_any_byte_is_no_failed_handshake) {
  recording_layer server(loop, tls_server(pki));
  const auto at = server.bound(protocol::tls);
  const auto stats = [&server] { return server.layer.stats(); };
  asio::ip::tcp::socket probe(loop.context());
  probe.connect({at.address, at.port});
  ASSERT_TRUE(loop.run_until([&] { return stats().connections_accepted == 1; }));
  probe.close();
  ASSERT_TRUE(
      loop.run_until([&] { return stats().closed_by_peer + stats().tls_handshake_failures == 1; }));
  EXPECT_EQ(stats().tls_handshake_failures, 0u);
  EXPECT_EQ(stats().closed_by_peer, 1u);
}

// Mutual TLS: the server asks every client for a certificate. A client
// whose certificate chains to the CA and that the layer above accepts is
// authenticated; one without a certificate, or with one of another CA, is
// still served (a phone), only not authenticated.
class tls_authentication_test : public tls_test {
 protected:
  // A server verifying clients against `pki`, accepting a leaf only while
  // `accept_leaf` says so; it answers every request.
  config verifying_server() {
    auto settings = tls_server(pki);
    settings.tls->verify_peer = true;
    settings.tls->authenticate = [this](std::span<const std::uint8_t> der) {
      leaves_seen.emplace_back(der.begin(), der.end());
      return accept_leaf;
    };
    return settings;
  }
  static config client_presenting(const std::string& certificate, const std::string& key) {
    config settings;
    settings.tls = tls_files{certificate, key, {}, false};
    return settings;
  }
  // Sends one OPTIONS from `client` and returns the source the server saw.
  endpoint source_seen(recording_layer& server, recording_layer& client) {
    const auto before = server.messages.size();
    client.layer.send(options_request("TLS", "client.p2psip.test"), server.bound(protocol::tls));
    EXPECT_TRUE(loop.run_until([&] { return server.messages.size() > before; }));
    return server.messages.empty() ? endpoint{} : server.messages.back().source;
  }

  bool accept_leaf = true;
  std::vector<std::vector<std::uint8_t>> leaves_seen;
};

TEST_F(tls_authentication_test, a_client_certificate_of_the_ca_authenticates) {
  recording_layer server(loop, verifying_server());
  recording_layer client(loop, client_presenting(pki.certificate(), pki.private_key()));

  const auto source = source_seen(server, client);

  EXPECT_TRUE(server.layer.authenticated(source));
  ASSERT_EQ(leaves_seen.size(), 1u);
  EXPECT_FALSE(leaves_seen[0].empty());
  // The flow id names the connection: another flow, or TCP, is not it.
  auto other = source;
  other.flow += 1000;
  EXPECT_FALSE(server.layer.authenticated(other));
  other = source;
  other.proto = protocol::tcp;
  EXPECT_FALSE(server.layer.authenticated(other));
}

TEST_F(tls_authentication_test, a_certificate_of_another_ca_is_served_but_not_authenticated) {
  const test_pki stranger("stranger");
  recording_layer server(loop, verifying_server());
  recording_layer client(loop, client_presenting(stranger.certificate(), stranger.private_key()));

  const auto source = source_seen(server, client);

  EXPECT_EQ(source.proto, protocol::tls);
  EXPECT_FALSE(server.layer.authenticated(source));
  EXPECT_TRUE(leaves_seen.empty());  // never offered to the layer above
  EXPECT_EQ(server.layer.stats().tls_handshake_failures, 0u);
}

TEST_F(tls_authentication_test, a_client_without_a_certificate_is_a_phone) {
  recording_layer server(loop, verifying_server());
  recording_layer client(loop, client_presenting({}, {}));

  const auto source = source_seen(server, client);

  EXPECT_EQ(source.proto, protocol::tls);
  EXPECT_FALSE(server.layer.authenticated(source));
}

TEST_F(tls_authentication_test, a_leaf_the_layer_above_refuses_does_not_authenticate) {
  accept_leaf = false;
  recording_layer server(loop, verifying_server());
  recording_layer client(loop, client_presenting(pki.certificate(), pki.private_key()));

  const auto source = source_seen(server, client);

  EXPECT_EQ(leaves_seen.size(), 1u);
  EXPECT_FALSE(server.layer.authenticated(source));
}

TEST_F(tls_test, listener_without_certificate_does_not_start) {
  transport_layer server(loop.executor(), listening_on(protocol::tls, v4), [](const received&) {});

  const auto failed = server.start();

  EXPECT_EQ(failed.code, error::tls_not_configured);
  EXPECT_EQ(failed.operation, "listen tls:127.0.0.1:0");
}

TEST_F(tls_test, unreadable_key_file_is_named) {
  auto settings = tls_server(pki);
  settings.tls->private_key = pki.private_key() + ".missing";
  transport_layer server(loop.executor(), settings, [](const received&) {});

  const auto failed = server.start();

  ASSERT_TRUE(failed);
  EXPECT_EQ(failed.operation, "tls private key " + settings.tls->private_key);
}

// The other tests start with the key at 0600 (test_pki writes it so).
TEST_F(tls_test, key_file_others_may_read_is_refused_with_the_fix) {
  const auto settings = tls_server(pki);
  std::filesystem::permissions(
      pki.private_key(), std::filesystem::perms::group_read | std::filesystem::perms::others_read,
      std::filesystem::perm_options::add);
  transport_layer server(loop.executor(), settings, [](const received&) {});

  const auto failed = server.start();

  ASSERT_TRUE(failed);
  EXPECT_NE(failed.message().find(pki.private_key() + ": group or others may access"),
            std::string::npos)
      << failed.message();
  EXPECT_NE(failed.message().find("chmod 600 " + pki.private_key()), std::string::npos);
}

}  // namespace
}  // namespace p2psip::transport::test
