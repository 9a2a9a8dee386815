// UDP: datagrams in and out, the Via stamp, refusals and keep-alives.
#include <algorithm>
#include <asio/ip/address.hpp>
#include <asio/ip/udp.hpp>
#include <cstdint>
#include <fstream>

#include "relay/stun_message.hpp"
#include "sip/editor.hpp"
#include "transport_test_support.hpp"

namespace p2psip::transport::test {
namespace {

const auto v4 = asio::ip::make_address("127.0.0.1");
const auto v6 = asio::ip::make_address("::1");

class udp_test : public ::testing::Test {
 protected:
  event_loop loop;
};

TEST_F(udp_test, request_reaches_handler_with_its_source) {
  recording_layer server(loop, listening_on(protocol::udp, v4));
  udp_peer phone(loop, v4);
  const auto request = options_request("UDP", "127.0.0.1:" + std::to_string(phone.port()));

  phone.send(request, server.bound(protocol::udp));
  ASSERT_TRUE(loop.run_until([&] { return !server.messages.empty(); }));

  const auto& got = server.messages.front();
  EXPECT_EQ(got.bytes, request);  // sent-by is the source: handed up without a copy or edit
  EXPECT_EQ(got.source, (endpoint{protocol::udp, v4, phone.port(), 0}));
  EXPECT_EQ(got.local, server.bound(protocol::udp));
  EXPECT_EQ(server.layer.stats().of(protocol::udp).messages_received, 1u);
  EXPECT_EQ(server.layer.stats().of(protocol::udp).bytes_received, request.size());
}

std::uint64_t kernel_setting(const char* path) {
  std::ifstream file(path);
  std::uint64_t value = 0;
  file >> value;
  EXPECT_TRUE(file) << "cannot read " << path;
  return value;
}

// Linux keeps twice the size asked (the other half pays for its
// bookkeeping) and caps the ask at net.core.rmem_max; with no ask the
// socket has net.core.rmem_default. The layer reports what it was granted,
// so an operator can see when rmem_max holds the node below its setting.
TEST_F(udp_test, reports_the_receive_buffer_the_kernel_granted) {
  const auto rmem_max = kernel_setting("/proc/sys/net/core/rmem_max");
  const auto rmem_default = kernel_setting("/proc/sys/net/core/rmem_default");
  auto settings = listening_on(protocol::udp, v4);
  ASSERT_EQ(settings.udp_receive_buffer_bytes, 4u << 20);
  recording_layer asked(loop, settings);
  EXPECT_EQ(asked.layer.stats().udp_receive_buffer_bytes,
            2 * std::min<std::uint64_t>(settings.udp_receive_buffer_bytes, rmem_max));

  settings.udp_receive_buffer_bytes = 0;
  recording_layer kernel_default(loop, settings);
  EXPECT_EQ(kernel_default.layer.stats().udp_receive_buffer_bytes, rmem_default);
}

// `count` OPTIONS of 1,000-odd bytes each from one socket, sent at once
// while the loop does not run, so they wait in the server's socket.
void send_burst(recording_layer& server, std::uint64_t count) {
  asio::io_context blocking;
  asio::ip::udp::socket phone(blocking, asio::ip::udp::endpoint(v4, 0));
  const auto to = server.bound(protocol::udp);
  const asio::ip::udp::endpoint target(to.address, to.port);
  const std::string padding(800, 'x');
  for (std::uint64_t i = 0; i < count; ++i) {
    auto request =
        options_request("UDP", "127.0.0.1:" + std::to_string(phone.local_endpoint().port()));
    request.replace(request.find("z9hG4bK"), 7, "z9hG4bK" + std::to_string(i) + "x");
    request.insert(request.find("Content-Length"), "X-Padding: " + padding + "\r\n");
    ASSERT_LE(request.size(), 1400u);
    phone.send_to(asio::buffer(request), target);
  }
}

// A burst the event loop is too busy to read must wait in the socket, not
// be dropped: as many datagrams as the granted buffer holds arrive, all of
// them. On loopback a datagram of up to 1400 bytes takes 2304 bytes of the
// buffer (its sk_buff); 4096 leaves room. The kernel's default buffer
// (208 KiB) holds about 90 of these datagrams.
TEST_F(udp_test, burst_that_fits_the_granted_buffer_waits_in_the_socket) {
  auto settings = listening_on(protocol::udp, v4);
  settings.requests_per_second_per_source = 0;
  recording_layer server(loop, settings);
  const auto burst =
      std::min<std::uint64_t>(1000, server.layer.stats().udp_receive_buffer_bytes / 4096);
  send_burst(server, burst);
  ASSERT_TRUE(loop.run_until([&] { return server.messages.size() == burst; }))
      << server.messages.size() << " of " << burst << " arrived in a buffer of "
      << server.layer.stats().udp_receive_buffer_bytes << " bytes";
}

// A queue of requests the loop has not read yet is what overload looks like
// from inside: the layer says it is behind while more than about a hundred
// datagrams wait, and caught up once they are read. (The node answers new
// requests 503 meanwhile: tests/unit/node/server_core_test.)
TEST_F(udp_test, a_socket_with_a_long_queue_is_behind_until_it_is_read) {
  auto settings = listening_on(protocol::udp, v4);
  settings.requests_per_second_per_source = 0;
  recording_layer server(loop, settings);
  std::vector<bool> behind_at_each;
  server.react = [&](const received&) { behind_at_each.push_back(server.layer.behind()); };
  EXPECT_FALSE(server.layer.behind());

  // What the granted buffer holds, at 2304 bytes a datagram (see above):
  // past the threshold whatever the kernel's rmem_max.
  const auto burst =
      std::min<std::uint64_t>(1000, server.layer.stats().udp_receive_buffer_bytes / 2400);
  send_burst(server, burst);
  ASSERT_TRUE(loop.run_until([&] { return server.messages.size() == burst; }))
      << server.messages.size() << " of " << burst;
  ASSERT_EQ(behind_at_each.size(), burst);
  EXPECT_TRUE(behind_at_each[16]) << "a full queue: behind from the first check on";
  EXPECT_FALSE(behind_at_each.back()) << "an empty queue: caught up";
  EXPECT_FALSE(server.layer.behind());
  EXPECT_EQ(server.layer.stats().udp_behind, 1u) << "entered once, no flapping";
}

TEST_F(udp_test, reply_sent_to_the_source_reaches_the_sender) {
  recording_layer server(loop, listening_on(protocol::udp, v4));
  std::error_code sent = asio::error::would_block;
  server.react = [&](const received& r) {
    server.layer.send(sip::make_response(r.msg, 200, "OK"), r.source,
                      [&](std::error_code ec) { sent = ec; });
  };
  udp_peer phone(loop, v4);

  phone.send(options_request("UDP", "127.0.0.1:" + std::to_string(phone.port())),
             server.bound(protocol::udp));
  ASSERT_TRUE(loop.run_until([&] { return !phone.datagrams.empty(); }));

  EXPECT_TRUE(phone.datagrams.front().starts_with("SIP/2.0 200 OK\r\n"));
  EXPECT_NE(phone.datagrams.front().find("CSeq: 1 OPTIONS\r\n"), std::string::npos);
  ASSERT_TRUE(loop.run_until([&] { return sent != asio::error::would_block; }));
  EXPECT_FALSE(sent);
  EXPECT_EQ(server.layer.stats().of(protocol::udp).messages_sent, 1u);
}

TEST_F(udp_test, round_trip_over_ipv6) {
  if (!ipv6_loopback_available()) GTEST_SKIP() << "::1 cannot be bound here";
  recording_layer server(loop, listening_on(protocol::udp, v6));
  answer_200(server);
  udp_peer phone(loop, v6);

  phone.send(options_request("UDP", "[::1]:" + std::to_string(phone.port())),
             server.bound(protocol::udp));
  ASSERT_TRUE(loop.run_until([&] { return !phone.datagrams.empty(); }));

  ASSERT_EQ(server.messages.size(), 1u);
  EXPECT_EQ(server.messages[0].source, (endpoint{protocol::udp, v6, phone.port(), 0}));
  EXPECT_TRUE(phone.datagrams[0].starts_with("SIP/2.0 200 OK\r\n"));
  // [::1] is the source, so no received= was needed.
  EXPECT_EQ(parsed(server.messages[0].bytes).msg->top_via().received, "");
}

TEST_F(udp_test, top_via_gets_received_and_rport) {
  recording_layer server(loop, listening_on(protocol::udp, v4));
  udp_peer phone(loop, v4);

  phone.send(options_request("UDP", "192.0.2.1:5060", 1, ";rport"), server.bound(protocol::udp));
  ASSERT_TRUE(loop.run_until([&] { return !server.messages.empty(); }));

  const parsed got(server.messages.front().bytes);
  ASSERT_TRUE(got.result) << sip::describe(got.result.error);
  EXPECT_EQ(got.msg->top_via().host, "192.0.2.1");
  EXPECT_EQ(got.msg->top_via().received, "127.0.0.1");
  EXPECT_EQ(got.msg->top_via().rport, phone.port());
  EXPECT_EQ(got.msg->top_via().branch, "z9hG4bK-test-1");
}

TEST_F(udp_test, malformed_request_gets_400_with_the_reason) {
  recording_layer server(loop, listening_on(protocol::udp, v4));
  udp_peer phone(loop, v4);
  auto request = options_request("UDP", "127.0.0.1:" + std::to_string(phone.port()));
  request.replace(request.find("CSeq: 1 OPTIONS"), 15, "CSeq: one OPTIONS");

  phone.send(request, server.bound(protocol::udp));
  ASSERT_TRUE(loop.run_until([&] { return !phone.datagrams.empty(); }));

  EXPECT_TRUE(phone.datagrams[0].starts_with("SIP/2.0 400 Malformed CSeq\r\n"));
  EXPECT_NE(phone.datagrams[0].find("Call-ID: a84b4c76e66710@pc33.p2psip.test\r\n"),
            std::string::npos);
  EXPECT_TRUE(server.messages.empty());
  const auto stats = server.layer.stats();
  EXPECT_EQ(stats.rejected_for(sip::parse_error::bad_cseq), 1u);
  EXPECT_EQ(stats.replies_400, 1u);
}

// Datagrams from one socket arrive in order: once the answer to a valid
// request is back, everything sent before it has been dealt with.
TEST_F(udp_test, garbage_and_crlf_are_dropped_and_a_stun_keepalive_answered) {
  recording_layer server(loop, listening_on(protocol::udp, v4));
  answer_200(server);
  udp_peer phone(loop, v4);
  const auto to = server.bound(protocol::udp);
  // A STUN Binding request: type 0x0001, length 0, magic cookie, transaction id.
  const std::string stun(
      "\x00\x01\x00\x00\x21\x12\xa4\x42"
      "abcdefghijkl",
      20);

  phone.send("hello\r\n\r\n", to);
  phone.send(stun, to);
  phone.send("\r\n\r\n", to);
  phone.send(options_request("UDP", "127.0.0.1:" + std::to_string(phone.port())), to);
  ASSERT_TRUE(loop.run_until([&] { return phone.datagrams.size() >= 2; }));

  // The STUN keep-alive is answered (RFC 5626 §4.4.2), the rest dropped.
  ASSERT_EQ(phone.datagrams.size(), 2u);
  const auto& answer = phone.datagrams[0];
  const auto decoded =
      relay::decode({reinterpret_cast<const std::uint8_t*>(answer.data()), answer.size()});
  ASSERT_FALSE(decoded.error) << decoded.error.message();
  EXPECT_EQ(decoded.message.cls, relay::stun_class::success);
  EXPECT_EQ(decoded.message.method, relay::stun_method::binding);
  EXPECT_EQ(std::string(decoded.message.id.begin(), decoded.message.id.end()), "abcdefghijkl");
  ASSERT_TRUE(decoded.message.mapped);
  EXPECT_EQ(decoded.message.mapped->address, asio::ip::make_address("127.0.0.1"));
  EXPECT_EQ(decoded.message.mapped->port, phone.port());
  EXPECT_TRUE(decoded.message.fingerprint);
  EXPECT_TRUE(phone.datagrams[1].starts_with("SIP/2.0 200 OK\r\n"));
  EXPECT_EQ(server.messages.size(), 1u);
  const auto stats = server.layer.stats();
  EXPECT_EQ(stats.rejected_for(sip::parse_error::bad_start_line), 1u);
  EXPECT_EQ(stats.stun_keepalives_answered, 1u);
  EXPECT_EQ(stats.keepalives_ignored, 1u);
  EXPECT_EQ(stats.replies_400, 0u);
}

TEST_F(udp_test, oversize_datagram_is_refused_and_counted) {
  auto settings = listening_on(protocol::udp, v4);
  settings.message_limits.max_message_size = 1000;
  recording_layer server(loop, settings);
  answer_200(server);
  udp_peer phone(loop, v4);
  const auto sent_by = "127.0.0.1:" + std::to_string(phone.port());
  auto large = options_request("UDP", sent_by, 1);
  large.insert(large.find("Content-Length"), "Subject: " + std::string(1200, 'x') + "\r\n");

  phone.send(large, server.bound(protocol::udp));
  phone.send(options_request("UDP", sent_by, 2), server.bound(protocol::udp));
  ASSERT_TRUE(loop.run_until([&] { return !phone.datagrams.empty(); }));

  ASSERT_EQ(server.messages.size(), 1u);
  EXPECT_NE(server.messages[0].bytes.find("CSeq: 2 OPTIONS"), std::string::npos);
  EXPECT_EQ(server.layer.stats().rejected_for(sip::parse_error::message_too_large), 1u);
}

TEST_F(udp_test, requests_over_the_source_rate_get_503_with_retry_after) {
  auto settings = listening_on(protocol::udp, v4);
  settings.requests_per_second_per_source = 1;
  settings.burst = 2;
  settings.retry_after = std::chrono::seconds(7);
  recording_layer server(loop, settings);
  udp_peer phone(loop, v4);
  const auto sent_by = "127.0.0.1:" + std::to_string(phone.port());

  for (int cseq = 1; cseq <= 3; ++cseq)
    phone.send(options_request("UDP", sent_by, cseq), server.bound(protocol::udp));
  ASSERT_TRUE(loop.run_until([&] { return !phone.datagrams.empty(); }));

  EXPECT_EQ(server.messages.size(), 2u);
  const parsed answer(phone.datagrams[0]);
  ASSERT_TRUE(answer.result);
  EXPECT_EQ(answer.msg->status().code, 503);
  EXPECT_EQ(answer.msg->cseq().number, 3u);
  ASSERT_NE(answer.msg->find(sip::header_id::retry_after), nullptr);
  EXPECT_EQ(answer.msg->find(sip::header_id::retry_after)->value, "7");
  const auto stats = server.layer.stats();
  EXPECT_EQ(stats.requests_over_rate, 1u);
  EXPECT_EQ(stats.replies_503, 1u);
}

// A source over its rate loses new requests, not the ends of the calls it
// already had accepted: its BYE, ACK and CANCEL still reach the core.
TEST_F(udp_test, over_the_source_rate_requests_inside_a_dialog_still_pass) {
  auto settings = listening_on(protocol::udp, v4);
  settings.requests_per_second_per_source = 1;
  settings.burst = 2;
  recording_layer server(loop, settings);
  udp_peer phone(loop, v4);
  const auto sent_by = "127.0.0.1:" + std::to_string(phone.port());
  auto in_dialog = [&](std::string_view method, int cseq) {
    auto m = options_request("UDP", sent_by, cseq);
    const auto swap = [&m](std::string_view from, std::string_view to) {
      m.replace(m.find(from), from.size(), to);
    };
    swap("OPTIONS sip:", std::string(method) + " sip:");
    swap(" OPTIONS\r\n", " " + std::string(method) + "\r\n");
    swap("To: <sip:bob@p2psip.test>", "To: <sip:bob@p2psip.test>;tag=b0b");
    return m;
  };

  phone.send(options_request("UDP", sent_by, 1), server.bound(protocol::udp));
  phone.send(options_request("UDP", sent_by, 2), server.bound(protocol::udp));
  phone.send(options_request("UDP", sent_by, 3), server.bound(protocol::udp));  // refused
  phone.send(in_dialog("BYE", 4), server.bound(protocol::udp));
  phone.send(in_dialog("INFO", 5), server.bound(protocol::udp));
  ASSERT_TRUE(loop.run_until([&] { return server.messages.size() == 4; }));

  EXPECT_TRUE(server.messages[2].bytes.starts_with("BYE "));
  EXPECT_TRUE(server.messages[3].bytes.starts_with("INFO "));
  EXPECT_EQ(server.layer.stats().replies_503, 1u);
  // In debt now: the next new request is refused as well.
  phone.send(options_request("UDP", sent_by, 6), server.bound(protocol::udp));
  ASSERT_TRUE(loop.run_until([&] { return phone.datagrams.size() == 2; }));
  EXPECT_EQ(server.messages.size(), 4u);
  EXPECT_EQ(server.layer.stats().replies_503, 2u);
}

TEST_F(udp_test, responses_over_the_rate_are_delivered_and_counted) {
  auto settings = listening_on(protocol::udp, v4);
  settings.requests_per_second_per_source = 1;
  settings.burst = 1;
  recording_layer server(loop, settings);
  udp_peer phone(loop, v4);
  const auto request = options_request("UDP", "127.0.0.1:" + std::to_string(phone.port()));
  const parsed sent(request);

  phone.send(request, server.bound(protocol::udp));  // takes the only token
  phone.send(sip::make_response(*sent.msg, 200, "OK"), server.bound(protocol::udp));
  ASSERT_TRUE(loop.run_until([&] { return server.messages.size() == 2; }));

  EXPECT_TRUE(server.messages[1].bytes.starts_with("SIP/2.0 200 OK"));
  EXPECT_EQ(server.layer.stats().responses_over_rate, 1u);
  EXPECT_EQ(server.layer.stats().replies_503, 0u);
}

TEST_F(udp_test, sends_fail_before_start_and_without_a_socket_of_the_family) {
  transport_layer idle(loop.executor(), listening_on(protocol::udp, v4), [](const received&) {});
  std::error_code before_start;
  idle.send("x", {protocol::udp, v4, 5060, 0}, [&](std::error_code ec) { before_start = ec; });
  ASSERT_TRUE(loop.run_until([&] { return static_cast<bool>(before_start); }));
  EXPECT_EQ(before_start, error::stopped);

  ASSERT_FALSE(idle.start());
  std::error_code no_v6;
  idle.send("x", {protocol::udp, v6, 5060, 0}, [&](std::error_code ec) { no_v6 = ec; });
  ASSERT_TRUE(loop.run_until([&] { return static_cast<bool>(no_v6); }));
  EXPECT_EQ(no_v6, error::no_transport);
}

TEST_F(udp_test, start_names_the_address_that_failed) {
  recording_layer first(loop, listening_on(protocol::udp, v4));
  const auto taken = first.bound(protocol::udp);
  config settings;
  settings.listen = {{protocol::udp, v4, 0}, {protocol::udp, v4, taken.port}};
  transport_layer second(loop.executor(), settings, [](const received&) {});

  const auto failed = second.start();

  ASSERT_TRUE(failed);
  EXPECT_EQ(failed.code, asio::error::address_in_use);
  EXPECT_EQ(failed.operation, "bind udp:127.0.0.1:" + std::to_string(taken.port));
  EXPECT_TRUE(second.local_endpoints().empty());  // the first socket was released
}

}  // namespace
}  // namespace p2psip::transport::test
