// Limits on connections: per source, in total, idle time, and a peer that
// does not read.
#include <algorithm>
#include <asio/ip/address.hpp>
#include <memory>
#include <vector>

#include "transport_test_support.hpp"

namespace p2psip::transport::test {
namespace {

const auto v4 = asio::ip::make_address("127.0.0.1");

class connection_limits_test : public ::testing::Test {
 protected:
  event_loop loop;
};

TEST_F(connection_limits_test, connections_per_source_are_limited_and_counted) {
  auto settings = listening_on(protocol::tcp, v4);
  settings.max_connections_per_source = 2;
  recording_layer server(loop, settings);
  const auto to = server.bound(protocol::tcp);

  tcp_peer first(loop, to);
  tcp_peer second(loop, to);
  ASSERT_TRUE(loop.run_until([&] { return server.layer.stats().connections_open == 2; }));
  tcp_peer third(loop, to);
  ASSERT_TRUE(loop.run_until([&] { return third.closed; }));

  const auto stats = server.layer.stats();
  EXPECT_EQ(stats.refused_source_limit, 1u);
  EXPECT_EQ(stats.refused_connection_limit, 0u);
  EXPECT_EQ(stats.connections_accepted, 2u);
  second.write(options_request("TCP", "127.0.0.1:" + std::to_string(second.port())));
  ASSERT_TRUE(loop.run_until([&] { return !server.messages.empty(); }));
  EXPECT_FALSE(first.closed);
}

// An office of phones behind one NAT address: 200 connections from one
// address are held, and the next one is still taken (the default once cut
// at 64, where Kamailio took them all).
TEST_F(connection_limits_test, default_limits_take_an_office_behind_one_address) {
  recording_layer server(loop, listening_on(protocol::tcp, v4));
  const auto to = server.bound(protocol::tcp);
  std::vector<std::unique_ptr<tcp_peer>> office;
  for (int i = 0; i < 200; ++i) office.push_back(std::make_unique<tcp_peer>(loop, to));
  ASSERT_TRUE(loop.run_until([&] { return server.layer.stats().connections_open == 200; }, 10s));

  tcp_peer next(loop, to);
  next.write(options_request("TCP", "127.0.0.1:" + std::to_string(next.port())));
  ASSERT_TRUE(loop.run_until([&] { return !server.messages.empty(); }));

  const auto stats = server.layer.stats();
  EXPECT_EQ(stats.connections_accepted, 201u);
  EXPECT_EQ(stats.refused_source_limit, 0u);
  EXPECT_FALSE(next.closed);
  EXPECT_TRUE(std::none_of(office.begin(), office.end(), [](const auto& p) { return p->closed; }));
}

TEST_F(connection_limits_test, total_connections_are_limited_and_counted) {
  auto settings = listening_on(protocol::tcp, v4);
  settings.max_connections = 1;
  recording_layer server(loop, settings);

  tcp_peer first(loop, server.bound(protocol::tcp));
  ASSERT_TRUE(loop.run_until([&] { return server.layer.stats().connections_open == 1; }));
  tcp_peer second(loop, server.bound(protocol::tcp));
  ASSERT_TRUE(loop.run_until([&] { return second.closed; }));

  EXPECT_EQ(server.layer.stats().refused_connection_limit, 1u);
  EXPECT_EQ(server.layer.stats().refused_source_limit, 0u);
  EXPECT_FALSE(first.closed);
}

TEST_F(connection_limits_test, idle_connection_is_closed) {
  auto settings = listening_on(protocol::tcp, v4);
  settings.idle_timeout = std::chrono::milliseconds(200);
  recording_layer server(loop, settings);
  tcp_peer phone(loop, server.bound(protocol::tcp));
  ASSERT_TRUE(loop.run_until([&] { return server.layer.stats().connections_open == 1; }));
  const auto opened = std::chrono::steady_clock::now();

  ASSERT_TRUE(loop.run_until([&] { return phone.closed; }, 3s));

  EXPECT_GE(std::chrono::steady_clock::now() - opened, 150ms);
  EXPECT_EQ(server.layer.stats().closed_idle, 1u);
  EXPECT_EQ(server.layer.stats().connections_open, 0u);
}

// The first message is still queued while it is written, so the second
// cannot fit behind it.
TEST_F(connection_limits_test, peer_that_does_not_read_is_disconnected) {
  auto settings = listening_on(protocol::tcp, v4);
  settings.max_write_queue_bytes = 1000;
  recording_layer server(loop, settings);
  std::vector<std::error_code> results;
  server.react = [&](const received& r) {
    for (int i = 0; i < 2; ++i)
      server.layer.send(std::string(600, 'x'), r.source,
                        [&](std::error_code ec) { results.push_back(ec); });
  };
  tcp_peer phone(loop, server.bound(protocol::tcp));

  phone.write(options_request("TCP", "127.0.0.1:" + std::to_string(phone.port())));
  ASSERT_TRUE(loop.run_until([&] { return results.size() == 2 && phone.closed; }));

  // The second is refused; the first, in flight, completes either way.
  EXPECT_EQ(std::count(results.begin(), results.end(), error::write_backlog), 1);
  EXPECT_EQ(server.layer.stats().closed_write_backlog, 1u);
}

}  // namespace
}  // namespace p2psip::transport::test
