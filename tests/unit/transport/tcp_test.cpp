// TCP: framing a byte stream, answering on the connection a request came
// on, connection reuse, keep-alive pings and framing errors.
#include <asio/ip/address.hpp>

#include "sip/editor.hpp"
#include "transport_test_support.hpp"

namespace p2psip::transport::test {
namespace {

const auto v4 = asio::ip::make_address("127.0.0.1");
const auto v6 = asio::ip::make_address("::1");

class tcp_test : public ::testing::Test {
 protected:
  event_loop loop;
};

std::string sent_by(const tcp_peer& phone) {
  return "127.0.0.1:" + std::to_string(phone.port());
}

TEST_F(tcp_test, message_split_across_writes_is_delivered_whole) {
  recording_layer server(loop, listening_on(protocol::tcp, v4));
  tcp_peer phone(loop, server.bound(protocol::tcp));
  const auto request = options_request("TCP", sent_by(phone));

  phone.write(request.substr(0, 40));
  ASSERT_TRUE(
      loop.run_until([&] { return server.layer.stats().of(protocol::tcp).bytes_received == 40; }));
  EXPECT_TRUE(server.messages.empty());
  phone.write(request.substr(40));
  ASSERT_TRUE(loop.run_until([&] { return !server.messages.empty(); }));

  EXPECT_EQ(server.messages[0].bytes, request);
  EXPECT_EQ(server.messages[0].source.proto, protocol::tcp);
  EXPECT_EQ(server.messages[0].source.port, phone.port());
  EXPECT_NE(server.messages[0].source.flow, 0u);
}

TEST_F(tcp_test, two_messages_in_one_write_are_both_delivered) {
  recording_layer server(loop, listening_on(protocol::tcp, v4));
  tcp_peer phone(loop, server.bound(protocol::tcp));
  const auto first = options_request("TCP", sent_by(phone), 1);
  const auto second = options_request("TCP", sent_by(phone), 2);

  phone.write(first + "\r\n" + second);  // a CRLF between messages is skipped (§7.5)
  ASSERT_TRUE(loop.run_until([&] { return server.messages.size() == 2; }));

  EXPECT_EQ(server.messages[0].bytes, first);
  EXPECT_EQ(server.messages[1].bytes, second);
  EXPECT_EQ(server.messages[0].source, server.messages[1].source);
}

TEST_F(tcp_test, response_goes_back_on_the_connection_the_request_came_on) {
  recording_layer server(loop, listening_on(protocol::tcp, v4));
  answer_200(server);
  tcp_peer phone(loop, server.bound(protocol::tcp));

  phone.write(options_request("TCP", sent_by(phone)));
  ASSERT_TRUE(loop.run_until([&] { return phone.received.find("\r\n\r\n") != std::string::npos; }));

  EXPECT_TRUE(phone.received.starts_with("SIP/2.0 200 OK\r\n"));
  const auto stats = server.layer.stats();
  EXPECT_EQ(stats.connections_accepted, 1u);
  EXPECT_EQ(stats.connections_opened, 0u);  // no new connection for the response
  EXPECT_EQ(stats.of(protocol::tcp).messages_sent, 1u);
}

TEST_F(tcp_test, send_to_a_closed_flow_fails) {
  recording_layer server(loop, listening_on(protocol::tcp, v4));
  endpoint flow;
  {
    tcp_peer phone(loop, server.bound(protocol::tcp));
    phone.write(options_request("TCP", sent_by(phone)));
    ASSERT_TRUE(loop.run_until([&] { return !server.messages.empty(); }));
    flow = server.messages[0].source;
  }
  ASSERT_TRUE(loop.run_until([&] { return server.layer.stats().connections_open == 0; }));

  std::error_code result;
  server.layer.send("SIP/2.0 200 OK\r\n\r\n", flow, [&](std::error_code ec) { result = ec; });
  ASSERT_TRUE(loop.run_until([&] { return static_cast<bool>(result); }));

  EXPECT_EQ(result, error::flow_gone);
  EXPECT_EQ(server.layer.stats().closed_by_peer, 1u);
}

TEST_F(tcp_test, client_send_opens_one_connection_and_reuses_it) {
  recording_layer server(loop, listening_on(protocol::tcp, v4));
  answer_200(server);
  recording_layer client(loop, config{});
  auto to = server.bound(protocol::tcp);
  std::vector<std::error_code> results;

  client.layer.send(options_request("TCP", "client.p2psip.test", 1), to,
                    [&](std::error_code ec) { results.push_back(ec); });
  client.layer.send(options_request("TCP", "client.p2psip.test", 2), to,
                    [&](std::error_code ec) { results.push_back(ec); });
  ASSERT_TRUE(loop.run_until([&] { return client.messages.size() == 2; }));

  EXPECT_EQ(results, (std::vector<std::error_code>{{}, {}}));
  ASSERT_EQ(server.messages.size(), 2u);
  EXPECT_EQ(server.messages[0].source, server.messages[1].source);
  EXPECT_EQ(server.layer.stats().connections_accepted, 1u);
  EXPECT_EQ(client.layer.stats().connections_opened, 1u);
  // The responses came back on the client's connection: its flow, the
  // server's address and listening port.
  EXPECT_EQ(client.messages[0].source.address, to.address);
  EXPECT_EQ(client.messages[0].source.port, to.port);
  EXPECT_NE(client.messages[0].source.flow, 0u);
  EXPECT_EQ(client.messages[0].source, client.messages[1].source);
  // A domain sent-by gets received= from the server.
  EXPECT_EQ(parsed(server.messages[0].bytes).msg->top_via().received, "127.0.0.1");
}

TEST_F(tcp_test, crlf_ping_is_answered_with_crlf) {
  recording_layer server(loop, listening_on(protocol::tcp, v4));
  tcp_peer phone(loop, server.bound(protocol::tcp));

  phone.write("\r\n\r\n");
  ASSERT_TRUE(loop.run_until([&] { return !phone.received.empty(); }));
  EXPECT_EQ(phone.received, "\r\n");
  EXPECT_EQ(server.layer.stats().keepalive_pings, 1u);

  phone.write(options_request("TCP", sent_by(phone)));  // the flow is still open
  ASSERT_TRUE(loop.run_until([&] { return !server.messages.empty(); }));
}

TEST_F(tcp_test, malformed_request_gets_400_and_the_connection_stays_open) {
  recording_layer server(loop, listening_on(protocol::tcp, v4));
  tcp_peer phone(loop, server.bound(protocol::tcp));
  auto bad = options_request("TCP", sent_by(phone), 1);
  bad.replace(bad.find("Max-Forwards: 70"), 16, "Max-Forwards: xx");

  phone.write(bad + options_request("TCP", sent_by(phone), 2));
  ASSERT_TRUE(loop.run_until([&] { return !server.messages.empty(); }));
  ASSERT_TRUE(loop.run_until([&] { return phone.received.find("\r\n\r\n") != std::string::npos; }));

  EXPECT_TRUE(phone.received.starts_with("SIP/2.0 400 Malformed Max-Forwards\r\n"));
  EXPECT_NE(server.messages[0].bytes.find("CSeq: 2 OPTIONS"), std::string::npos);
  EXPECT_FALSE(phone.closed);
  EXPECT_EQ(server.layer.stats().rejected_for(sip::parse_error::bad_max_forwards), 1u);
}

TEST_F(tcp_test, missing_content_length_is_answered_then_the_connection_closed) {
  recording_layer server(loop, listening_on(protocol::tcp, v4));
  tcp_peer phone(loop, server.bound(protocol::tcp));
  auto request = options_request("TCP", sent_by(phone));
  request.erase(request.find("Content-Length: 0\r\n"), 19);

  phone.write(request);
  ASSERT_TRUE(loop.run_until([&] { return phone.closed; }));

  EXPECT_TRUE(
      phone.received.starts_with("SIP/2.0 400 Content-Length Required On Stream Transports\r\n"));
  const auto stats = server.layer.stats();
  EXPECT_EQ(stats.rejected_for(sip::parse_error::stream_missing_content_length), 1u);
  EXPECT_EQ(stats.closed_framing_error, 1u);
  EXPECT_EQ(stats.connections_open, 0u);
  EXPECT_TRUE(server.messages.empty());
}

TEST_F(tcp_test, oversize_header_section_is_refused_and_the_connection_closed) {
  auto settings = listening_on(protocol::tcp, v4);
  settings.message_limits.max_header_section = 512;
  recording_layer server(loop, settings);
  tcp_peer phone(loop, server.bound(protocol::tcp));

  // No empty line within the limit: the framer gives up at 513 bytes.
  phone.write("OPTIONS sip:bob@p2psip.test SIP/2.0\r\nSubject: " + std::string(600, 'x'));
  ASSERT_TRUE(loop.run_until([&] { return phone.closed; }));

  const auto stats = server.layer.stats();
  EXPECT_EQ(stats.rejected_for(sip::parse_error::header_section_too_large), 1u);
  EXPECT_EQ(stats.closed_framing_error, 1u);
  EXPECT_EQ(stats.replies_400, 0u);  // nothing to build a response from
  EXPECT_TRUE(phone.received.empty());
}

TEST_F(tcp_test, round_trip_over_ipv6) {
  if (!ipv6_loopback_available()) GTEST_SKIP() << "::1 cannot be bound here";
  recording_layer server(loop, listening_on(protocol::tcp, v6));
  answer_200(server);
  recording_layer client(loop, config{});

  client.layer.send(options_request("TCP", "[::1]:5060"), server.bound(protocol::tcp));
  ASSERT_TRUE(loop.run_until([&] { return !client.messages.empty(); }));

  EXPECT_TRUE(client.messages[0].bytes.starts_with("SIP/2.0 200 OK\r\n"));
  EXPECT_EQ(server.messages[0].source.address, v6);
  EXPECT_EQ(client.messages[0].local.address, v6);
}

TEST_F(tcp_test, stop_completes_queued_sends_and_silences_the_handler) {
  recording_layer server(loop, listening_on(protocol::tcp, v4));
  recording_layer client(loop, config{});
  std::error_code result;
  // The connect cannot finish before the loop runs: the send is queued.
  client.layer.send(options_request("TCP", "client.p2psip.test"), server.bound(protocol::tcp),
                    [&](std::error_code ec) { result = ec; });
  client.layer.stop();
  ASSERT_TRUE(loop.run_until([&] { return static_cast<bool>(result); }));

  EXPECT_EQ(result, asio::error::operation_aborted);
  EXPECT_EQ(client.layer.stats().connections_open, 0u);
}

}  // namespace
}  // namespace p2psip::transport::test
