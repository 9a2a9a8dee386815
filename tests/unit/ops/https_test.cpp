// The operations server with use_tls(): HTTPS with a node certificate the
// overlay CA issued (identity layer), checked by an asio TLS client that
// trusts that CA, on the same io_context as the server.
#include <gtest/gtest.h>

#include <asio/connect.hpp>
#include <asio/read.hpp>
#include <asio/ssl/stream.hpp>
#include <asio/write.hpp>
#include <memory>
#include <optional>

#include "identity/authority.hpp"
#include "loopback.hpp"
#include "ops/http_server.hpp"

namespace p2psip::ops {
namespace {

using namespace std::chrono_literals;
using test::run_until;

constexpr const char* request = "GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

// The overlay's CA and a node's certificate from it, once per program.
struct pki {
  identity::certificate_authority ca = identity::certificate_authority::create("p2psip.test");
  identity::issued node = ca.issue_node("node-a", /*domain_authority=*/false);
  identity::certificate_authority other_ca = identity::certificate_authority::create("p2psip.test");

  static const pki& get() {
    static const pki instance;
    return instance;
  }
};

std::shared_ptr<asio::ssl::context> server_context(const identity::issued& node) {
  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  const auto cert = node.cert.to_pem();
  const auto key = node.key.to_pem();
  context->use_certificate(asio::buffer(cert), asio::ssl::context::pem);
  context->use_private_key(asio::buffer(key), asio::ssl::context::pem);
  return context;
}

// A client that verifies the server's certificate against `ca`. Node
// certificates name the node (urn:p2psip:node:…), not 127.0.0.1, so the
// chain is what is checked.
asio::ssl::context client_context(const identity::certificate& ca) {
  asio::ssl::context context(asio::ssl::context::tls_client);
  const auto pem = ca.to_pem();
  context.add_certificate_authority(asio::buffer(pem));
  context.set_verify_mode(asio::ssl::verify_peer);
  return context;
}

struct tls_exchange {
  asio::ssl::stream<asio::ip::tcp::socket> stream;
  std::string answer;
  std::error_code handshake_error;
  std::error_code read_error;  // asio::error::eof after the server's close_notify
  bool finished = false;

  tls_exchange(asio::io_context& io, asio::ssl::context& context) : stream(io, context) {}
};

std::shared_ptr<tls_exchange> start_tls_exchange(asio::io_context& io, asio::ssl::context& context,
                                                 unsigned short port) {
  auto x = std::make_shared<tls_exchange>(io, context);
  const asio::ip::tcp::endpoint server(asio::ip::address_v4::loopback(), port);
  x->stream.next_layer().async_connect(server, [x](std::error_code ec) {
    if (ec) {
      x->handshake_error = ec;
      x->finished = true;
      return;
    }
    x->stream.async_handshake(asio::ssl::stream_base::client, [x](std::error_code hs) {
      if (hs) {
        x->handshake_error = hs;
        x->finished = true;
        return;
      }
      asio::async_write(x->stream, asio::buffer(std::string_view(request)),
                        [x](std::error_code, std::size_t) {
                          asio::async_read(x->stream, asio::dynamic_buffer(x->answer),
                                           [x](std::error_code read_ec, std::size_t) {
                                             x->read_error = read_ec;
                                             x->finished = true;
                                           });
                        });
    });
  });
  return x;
}

class Https : public ::testing::Test {
 protected:
  void start(http_limits limits = {}) {
    server.emplace(io, asio::ip::tcp::endpoint(asio::ip::address_v4::loopback(), 0), limits);
    server->route("/status", [](const http_request&, reply_fn reply) {
      reply({200, {{"node", "node-a"}, {"secure", true}}});
    });
    server->use_tls(server_context(pki::get().node));
    server->start();
    port = server->local_endpoint().port();
  }

  asio::io_context io;
  std::optional<http_server> server;
  unsigned short port = 0;
};

TEST_F(Https, AClientTrustingTheOverlayCaGetsTheJsonAndAClosingNotify) {
  start();
  auto client = client_context(pki::get().ca.cert());
  const auto x = start_tls_exchange(io, client, port);
  ASSERT_TRUE(run_until(io, [&] { return x->finished; }));
  ASSERT_FALSE(x->handshake_error) << x->handshake_error.message();
  // eof, not stream_truncated: the server said close_notify before closing.
  EXPECT_EQ(x->read_error, asio::error::eof) << x->read_error.message();
  const auto answer = test::parse_answer(x->answer);
  EXPECT_EQ(answer.status, 200) << x->answer;
  EXPECT_EQ(answer.body, (nlohmann::json{{"node", "node-a"}, {"secure", true}}));
  EXPECT_EQ(server->counters().requests, 1u);
  EXPECT_EQ(server->counters().tls_failures, 0u);
  EXPECT_TRUE(run_until(io, [&] { return server->open_connections() == 0; }));
  // Waiting for the client's close_notify that never came is no timeout
  // (those are 408, 504 and stalled writes).
  EXPECT_EQ(server->counters().timeouts, 0u);
}

TEST_F(Https, PlainHttpToTheTlsServerIsAFailedHandshakeAndGetsNoHttpAnswer) {
  start();
  const auto x = test::start_exchange(io, port, request);
  ASSERT_TRUE(run_until(io, [&] { return x->finished; }));
  EXPECT_TRUE(x->connected);
  EXPECT_EQ(x->answer.find("HTTP/1.1"), std::string::npos) << x->answer;
  EXPECT_EQ(server->counters().tls_failures, 1u);
  EXPECT_EQ(server->counters().requests, 0u);
  EXPECT_TRUE(run_until(io, [&] { return server->open_connections() == 0; }));

  // The server goes on serving HTTPS.
  auto client = client_context(pki::get().ca.cert());
  const auto good = start_tls_exchange(io, client, port);
  ASSERT_TRUE(run_until(io, [&] { return good->finished; }));
  EXPECT_EQ(test::parse_answer(good->answer).status, 200) << good->handshake_error.message();
}

TEST_F(Https, AClientThatRefusesTheCertificateIsCountedAsATlsFailure) {
  start();
  auto client = client_context(pki::get().other_ca.cert());
  const auto x = start_tls_exchange(io, client, port);
  ASSERT_TRUE(run_until(io, [&] { return x->finished; }));
  EXPECT_TRUE(x->handshake_error) << "a certificate of another CA was accepted";
  EXPECT_TRUE(run_until(io, [&] { return server->counters().tls_failures == 1; }))
      << server->counters().tls_failures;
  EXPECT_EQ(server->counters().requests, 0u);
}

TEST_F(Https, AClientThatNeverHandshakesIsClosedAfterTheHeadTimeout) {
  http_limits limits;
  limits.head_timeout = 300ms;
  start(limits);
  const auto began = std::chrono::steady_clock::now();
  const auto x = test::start_exchange(io, port, "");  // connects, says nothing
  ASSERT_TRUE(run_until(
      io, [&] { return x->finished; }, 5s))
      << "still open after 5 s";
  const auto took = std::chrono::steady_clock::now() - began;
  EXPECT_TRUE(x->connected);
  EXPECT_GE(took, 250ms);  // not before the timeout (steady clock granularity aside)
  EXPECT_LT(took, 2s);
  EXPECT_TRUE(x->answer.empty()) << "nothing can be said before the handshake: " << x->answer;
  EXPECT_EQ(server->counters().timeouts, 1u);
  EXPECT_EQ(server->counters().requests, 0u);
  EXPECT_EQ(server->open_connections(), 0u);
}

}  // namespace
}  // namespace p2psip::ops
