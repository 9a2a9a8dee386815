#include "relay/turn_probe.hpp"

#include <gtest/gtest.h>

#include <asio/io_context.hpp>
#include <optional>

#include "message_builder.hpp"
#include "relay/error.hpp"
#include "relay/rest_credential.hpp"
#include "support/coturn_server.hpp"

namespace p2psip::relay {
namespace {

using namespace std::chrono_literals;

probe_target loopback(std::uint16_t port, turn_transport t = turn_transport::udp) {
  return {asio::ip::make_address("127.0.0.1"), port, t};
}

// Runs one probe to its end; the io_context runs nothing else but what the
// test adds.
probe_result probe(asio::io_context& io, const probe_target& target, const std::string& secret,
                   probe_settings settings = {}) {
  turn_probe p(io.get_executor(), std::move(settings));
  std::optional<probe_result> result;
  int calls = 0;
  p.run(target, secret, [&](probe_result r) {
    ++calls;
    result = std::move(r);
  });
  while (!result && io.run_one_for(10s) > 0) {
  }
  io.poll();  // anything late must not call again
  EXPECT_EQ(calls, 1);
  if (!result) ADD_FAILURE() << "the probe never finished";
  return result.value_or(probe_result{});
}

std::string describe(const probe_result& r) {
  return std::string(to_string(r.step)) + ": " + r.error.message() + " " +
         std::to_string(r.server_code) + " " + r.server_reason;
}

// A port nothing listens on, for as long as the test holds it: bound, never read.
class silent_port {
 public:
  explicit silent_port(asio::io_context& io)
      : socket_(io, {asio::ip::make_address("127.0.0.1"), 0}) {}
  std::uint16_t port() const { return socket_.local_endpoint().port(); }

 private:
  asio::ip::udp::socket socket_;
};

TEST(TurnProbe, HealthyServerOverUdp) {
  const test::coturn_server server;
  asio::io_context io;
  const auto r = probe(io, loopback(server.port()), server.secret());
  ASSERT_TRUE(r.ok) << describe(r) << "\n" << server.log();
  ASSERT_TRUE(r.mapped);
  EXPECT_EQ(r.mapped->address.to_string(), "127.0.0.1");
  ASSERT_TRUE(r.relayed);
  EXPECT_EQ(r.relayed->address.to_string(), "127.0.0.1");
  EXPECT_NE(r.relayed->port, 0);
  EXPECT_GE(r.rtt.count(), 0);
  EXPECT_LT(r.rtt, 3s);
  EXPECT_TRUE(r.released) << r.release_error.message();
  // The server saw the REST user allocate, then refresh to lifetime 0.
  // coturn says so in its log: the probe's user refreshed to lifetime 0.
  const auto log = server.log();
  const auto refreshed = log.find("refreshed, realm=<" + server.realm() + ">, username=<");
  ASSERT_NE(refreshed, std::string::npos) << log;
  EXPECT_NE(log.find(":p2psip-probe>, lifetime=0", refreshed), std::string::npos) << log;
  EXPECT_NE(log.find("REFRESH processed, success", refreshed), std::string::npos) << log;
}

TEST(TurnProbe, HealthyServerOverTcp) {
  const test::coturn_server server;
  asio::io_context io;
  const auto r = probe(io, loopback(server.port(), turn_transport::tcp), server.secret());
  ASSERT_TRUE(r.ok) << describe(r) << "\n" << server.log();
  ASSERT_TRUE(r.relayed);
  EXPECT_EQ(r.relayed->address.to_string(), "127.0.0.1");
  ASSERT_TRUE(r.mapped);
  EXPECT_TRUE(r.released) << r.release_error.message();
}

TEST(TurnProbe, WrongSecretFailsTheAuthenticatedAllocate) {
  const test::coturn_server server;
  asio::io_context io;
  const auto r = probe(io, loopback(server.port()), "not-the-secret");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.step, probe_step::allocate);
  EXPECT_EQ(r.error, error::server_error);
  EXPECT_EQ(r.server_code, 401) << describe(r);
  EXPECT_TRUE(r.mapped);  // the Binding went through
  EXPECT_FALSE(r.relayed);
}

TEST(TurnProbe, NothingListeningOverUdpTimesOut) {
  asio::io_context io;
  const silent_port silent(io);
  probe_settings settings;
  settings.timeout = 600ms;
  const auto started = std::chrono::steady_clock::now();
  const auto r = probe(io, loopback(silent.port()), "secret", settings);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.step, probe_step::binding);
  EXPECT_EQ(r.error, error::timeout) << describe(r);
  EXPECT_GE(std::chrono::steady_clock::now() - started, 600ms);
}

TEST(TurnProbe, NothingListeningOverTcpIsRefused) {
  asio::io_context io;
  asio::ip::tcp::acceptor closed(io, {asio::ip::make_address("127.0.0.1"), 0});
  const auto port = closed.local_endpoint().port();
  closed.close();
  const auto r = probe(io, loopback(port, turn_transport::tcp), "secret");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.step, probe_step::binding);
  EXPECT_EQ(r.error, asio::error::connection_refused) << describe(r);
}

// A server that answers every datagram with noise: the wait goes on to the
// end and says what it saw.
TEST(TurnProbe, OnlyNoiseIsMalformed) {
  asio::io_context io;
  asio::ip::udp::socket noisy(io, {asio::ip::make_address("127.0.0.1"), 0});
  std::array<std::uint8_t, 64> in{};
  asio::ip::udp::endpoint from;
  // A Binding success whose length is not a multiple of four.
  const std::array<std::uint8_t, 25> noise{0x01, 0x01, 0x00, 0x05, 0x21, 0x12, 0xa4, 0x42};
  std::function<void()> echo_noise = [&] {
    noisy.async_receive_from(asio::buffer(in), from, [&](std::error_code ec, std::size_t) {
      if (ec) return;
      noisy.send_to(asio::buffer(noise), from);
      echo_noise();
    });
  };
  echo_noise();
  probe_settings settings;
  settings.timeout = 500ms;
  const auto r = probe(io, loopback(noisy.local_endpoint().port()), "secret", settings);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, error::malformed_response) << describe(r);
}

TEST(TurnProbe, DestroyedProbeNeverCallsBack) {
  asio::io_context io;
  const silent_port silent(io);
  bool called = false;
  {
    turn_probe p(io.get_executor());
    p.run(loopback(silent.port()), "secret", [&](probe_result) { called = true; });
    io.run_for(50ms);
  }
  io.run_for(100ms);
  EXPECT_FALSE(called);
}

// A TURN server the test plays on a UDP socket, answering by script: what
// coturn will not readily do (a stale nonce at the right moment, a forged
// MESSAGE-INTEGRITY).
class scripted_server {
 public:
  using script = std::function<bytes(const stun_message& request)>;
  scripted_server(asio::io_context& io, script s)
      : socket_(io, {asio::ip::make_address("127.0.0.1"), 0}), script_(std::move(s)) {
    receive();
  }
  std::uint16_t port() const { return socket_.local_endpoint().port(); }
  std::vector<stun_message> requests;

 private:
  void receive() {
    socket_.async_receive_from(asio::buffer(in_), from_, [this](std::error_code ec, std::size_t n) {
      if (ec) return;
      const auto d = decode({in_.data(), n});
      if (!d.error) {
        requests.push_back(d.message);
        const auto answer = script_(d.message);
        if (!answer.empty()) socket_.send_to(asio::buffer(answer), from_);
      }
      receive();
    });
  }

  asio::ip::udp::socket socket_;
  script script_;
  std::array<std::uint8_t, 2048> in_{};
  asio::ip::udp::endpoint from_;
};

constexpr std::string_view script_secret = "scripted-secret";
constexpr std::string_view script_realm = "scripted.test";
// 192.0.2.1:32853 xored with the cookie (RFC 5769 §2.2): an IPv4 value
// does not depend on the transaction id.
const bytes xored_ipv4{0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43};

// As coturn makes it from the username: base64(HMAC-SHA1(secret, username)).
std::string rest_password(std::string_view secret, const std::string& username) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha1(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(username.data()), username.size(), mac, &size);
  std::string out(64, '\0');
  out.resize(static_cast<std::size_t>(
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), mac, static_cast<int>(size))));
  return out;
}

std::string key_of(const stun_message& request) {
  return long_term_key(*request.username, script_realm,
                       rest_password(script_secret, *request.username));
}

std::uint16_t response_type(const stun_message& request, bool success) {
  return static_cast<std::uint16_t>((success ? 0x0100 : 0x0110) | request.method);
}

bytes challenge(const stun_message& request, unsigned number, std::string_view reason,
                std::string_view nonce) {
  return message_builder(response_type(request, false), request.id)
      .attribute(0x0009, error_code(4, number, reason))
      .text(0x0014, script_realm)
      .text(0x0015, nonce)
      .build();
}

// Binding and the unauthenticated Allocate as a TURN server answers them.
std::optional<bytes> opening(const stun_message& request) {
  if (request.method == stun_method::binding)
    return message_builder(response_type(request, true), request.id)
        .attribute(0x0020, xored_ipv4)
        .build();
  if (!request.username) return challenge(request, 1, "Unauthorized", "nonce-1");
  return std::nullopt;
}

bytes success(const stun_message& request, std::string_view key) {
  return message_builder(response_type(request, true), request.id)
      .attribute(0x0016, xored_ipv4)
      .attribute(0x000D, {0, 0, 0x02, 0x58})
      .integrity(key)
      .build();
}

TEST(TurnProbe, StaleNonceIsRetriedOnceWithTheNewNonce) {
  asio::io_context io;
  bool stale_sent = false;
  scripted_server server(io, [&](const stun_message& r) {
    if (auto a = opening(r)) return *a;
    if (r.method == stun_method::allocate && !stale_sent) {
      stale_sent = true;
      return challenge(r, 38, "Stale Nonce", "nonce-2");
    }
    return success(r, key_of(r));
  });
  const auto r = probe(io, loopback(server.port()), std::string(script_secret));
  ASSERT_TRUE(r.ok) << describe(r);
  EXPECT_TRUE(r.released);
  ASSERT_TRUE(r.relayed);
  EXPECT_EQ(r.relayed->address.to_string(), "192.0.2.1");
  ASSERT_EQ(server.requests.size(), 5u);
  EXPECT_EQ(server.requests[2].nonce, "nonce-1");
  EXPECT_EQ(server.requests[3].nonce, "nonce-2");
  EXPECT_EQ(server.requests[4].method, stun_method::refresh);
  EXPECT_EQ(server.requests[4].nonce, "nonce-2");
  EXPECT_EQ(server.requests[4].lifetime, 0u);
  EXPECT_NE(server.requests[2].id, server.requests[3].id);
}

TEST(TurnProbe, SecondStaleNonceFails) {
  asio::io_context io;
  scripted_server server(io, [&](const stun_message& r) {
    if (auto a = opening(r)) return *a;
    return challenge(r, 38, "Stale Nonce", "nonce-again");
  });
  const auto r = probe(io, loopback(server.port()), std::string(script_secret));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.step, probe_step::allocate);
  EXPECT_EQ(r.server_code, 438);
  EXPECT_EQ(r.server_reason, "Stale Nonce");
}

TEST(TurnProbe, ForgedIntegrityFails) {
  asio::io_context io;
  scripted_server server(io, [&](const stun_message& r) {
    if (auto a = opening(r)) return *a;
    return success(r, "a key that is not the credential's");
  });
  const auto r = probe(io, loopback(server.port()), std::string(script_secret));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.step, probe_step::allocate);
  EXPECT_EQ(r.error, error::bad_integrity) << describe(r);
}

TEST(TurnProbe, FailedReleaseIsNotFatal) {
  asio::io_context io;
  scripted_server server(io, [&](const stun_message& r) {
    if (auto a = opening(r)) return *a;
    if (r.method == stun_method::refresh)
      return message_builder(response_type(r, false), r.id)
          .attribute(0x0009, error_code(5, 0, "Server Error"))
          .build();
    return success(r, key_of(r));
  });
  const auto r = probe(io, loopback(server.port()), std::string(script_secret));
  EXPECT_TRUE(r.ok) << describe(r);
  EXPECT_FALSE(r.released);
  EXPECT_EQ(r.release_error, error::server_error);
}

TEST(TurnProbe, OpenRelayIsRefused) {
  asio::io_context io;
  scripted_server server(io, [&](const stun_message& r) {
    if (r.method == stun_method::binding) return *opening(r);
    return success(r, "any");
  });
  const auto r = probe(io, loopback(server.port()), std::string(script_secret));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.step, probe_step::challenge);
  EXPECT_EQ(r.error, error::no_challenge);
}

TEST(TurnProbe, LiteralTargetsOnly) {
  const auto udp = literal_target(parse_turn_uri("turn:127.0.0.1:3479").uri);
  ASSERT_TRUE(udp);
  EXPECT_EQ(udp->port, 3479);
  EXPECT_EQ(udp->transport, turn_transport::udp);
  const auto tcp = literal_target(parse_turn_uri("turn:[::1]?transport=tcp").uri);
  ASSERT_TRUE(tcp);
  EXPECT_TRUE(tcp->address.is_v6());
  EXPECT_EQ(tcp->transport, turn_transport::tcp);
  EXPECT_FALSE(literal_target(parse_turn_uri("turn:relay.example.org").uri));
  EXPECT_FALSE(literal_target(parse_turn_uri("turns:127.0.0.1").uri));
}

}  // namespace
}  // namespace p2psip::relay
