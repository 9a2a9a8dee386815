// The transaction layer as a whole: its contract with the event loop and
// the transaction user.
#include <gtest/gtest.h>

#include <stdexcept>

#include "harness.hpp"

namespace p2psip::txn::test {
namespace {

using strings = std::vector<std::string>;
using times = std::vector<ms>;

transport::endpoint uac() {
  return udp_peer("192.0.2.10");
}

TEST(TransactionLayer, RefusesTimersThatWouldFireForever) {
  timer_config zero_t1;
  zero_t1.t1 = 0ms;
  EXPECT_THROW(harness{zero_t1}, std::invalid_argument);
  timer_config zero_t2;
  zero_t2.t2 = 0ms;
  EXPECT_THROW(harness{zero_t2}, std::invalid_argument);
}

TEST(TransactionLayer, DropsAndCountsMessagesMatchingCannotRead) {
  harness h;
  h.receive(
      "OPTIONS sip:bob@p2psip.test SIP/2.0\r\n"
      "From: <sip:alice@p2psip.test>;tag=a1\r\n"
      "To: <sip:bob@p2psip.test>\r\n"
      "Call-ID: c1\r\n"
      "CSeq: 1 OPTIONS\r\n"
      "Content-Length: 0\r\n\r\n",
      uac());
  h.receive(
      "SIP/2.0 200 OK\r\n"
      "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-ct-1\r\n"
      "From: <sip:alice@p2psip.test>;tag=a1\r\n"
      "To: <sip:bob@p2psip.test>;tag=b1\r\n"
      "Call-ID: c1\r\n"
      "Content-Length: 0\r\n\r\n",
      udp_peer());
  EXPECT_EQ(h.layer.stats().malformed, 2u);
  EXPECT_TRUE(h.tu.log.empty());
  EXPECT_TRUE(h.sent.empty());
  EXPECT_EQ(h.layer.size(), 0u);
}

// A proxy at 1,000 calls/s holds ~100,000 transactions that only absorb
// retransmissions (Timer L, J: 32 s); at the bound the one whose wait ends
// first gives way, and only a layer full of live work answers 503.
TEST(TransactionLayer, AtItsBoundALingeringTransactionGivesWayToANewRequest) {
  layer_limits limits;
  limits.max_server_transactions = 2;
  harness h({}, limits);
  auto options = [](int n) {
    request_spec spec;
    spec.method = "OPTIONS";
    spec.vias = {"SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-o" + std::to_string(n)};
    spec.call_id = "c" + std::to_string(n);
    return make_request(spec);
  };
  h.tu.answer_request = [&h](transaction_id id, const sip::message& request) {
    if (request.call_id() != "c3" && request.call_id() != "c4")
      h.send_response(id, response_to(request.raw(), 200, "OK", "t"));
  };

  h.receive(options(1), uac());  // answered: lingers until 32 s (Timer J)
  h.run_until(1s);
  h.receive(options(2), uac());  // answered: lingers until 33 s
  h.run_until(2s);
  h.receive(options(3), uac());  // the layer is full: 1 gives way
  EXPECT_EQ(h.tu.log, (strings{"request 1 OPTIONS at 0ms", "request 2 OPTIONS at 1000ms",
                               "request 3 OPTIONS at 2000ms", "terminated 1 at 2000ms"}));
  EXPECT_EQ(h.layer.stats().ended_early, 1u);

  h.receive(options(2), uac());  // 2 still absorbs its retransmissions
  EXPECT_EQ(first_line(h.sent.back().bytes), "SIP/2.0 200 OK");
  EXPECT_EQ(h.layer.stats().absorbed_requests, 1u);

  h.receive(options(4), uac());  // 2 gives way; 3 and 4 wait for answers
  h.receive(options(5), uac());  // nothing lingers: refused
  EXPECT_EQ(h.layer.stats().ended_early, 2u);
  EXPECT_EQ(h.layer.stats().overloaded, 1u);
  EXPECT_EQ(first_line(h.sent.back().bytes), "SIP/2.0 503 Service Unavailable");
  EXPECT_EQ(h.layer.size(), 2u);
}

TEST(TransactionLayer, ALingeringTransactionEndedByItsTimerNoLongerGivesWay) {
  layer_limits limits;
  limits.max_server_transactions = 1;
  harness h({}, limits);
  request_spec spec;
  spec.method = "OPTIONS";
  h.tu.answer_request = [&h](transaction_id id, const sip::message& request) {
    if (request.call_id() == "c1") h.send_response(id, response_to(request.raw(), 200, "OK", "t"));
  };
  spec.call_id = "c1";
  h.receive(make_request(spec), uac());
  h.run_until(33s);  // Timer J ended it
  spec.call_id = "c2";
  spec.vias = {"SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-o2"};
  h.receive(make_request(spec), uac());  // takes the only place, unanswered
  spec.call_id = "c3";
  spec.vias = {"SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-o3"};
  h.receive(make_request(spec), uac());
  EXPECT_EQ(h.layer.stats().ended_early, 0u);
  EXPECT_EQ(h.layer.stats().overloaded, 1u);
  EXPECT_EQ(first_line(h.sent.back().bytes), "SIP/2.0 503 Service Unavailable");
}

TEST(TransactionLayer, ALateAdvanceFiresEachTimerOnceAndRestartsItFromNow) {
  harness h;
  h.send_request(make_request({}), udp_peer());
  h.now = h.start + 10s;  // the event loop stalled
  h.layer.advance(h.now);
  EXPECT_EQ(h.sent.size(), 2u);
  EXPECT_EQ(h.next_deadline(), 11s);  // 2*T1 after the late retransmission
}

// A stateful proxy (§16) forwards from inside on_request and answers
// upstream from inside on_timeout: both re-enter the layer.
TEST(TransactionLayer, ATransactionUserMayCallBackFromItsCallbacks) {
  harness h;
  const request_spec spec;
  const auto invite = make_request(spec);
  transaction_id server = 0;
  transaction_id client = 0;
  h.tu.answer_request = [&](transaction_id id, const sip::message& request) {
    server = id;
    sip::message_editor forward(request);
    forward.push_via("SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-proxy-1");
    forward.decrement_max_forwards();
    client = h.send_request(forward.str(), udp_peer("192.0.2.40"));
  };
  h.tu.answer_timeout = [&](transaction_id id) {
    EXPECT_EQ(id, client);
    EXPECT_TRUE(h.send_response(server, response_to(invite, 408, "Request Timeout", "p1")));
  };
  h.receive(invite, uac());
  h.run_until(36s);
  h.receive(ack_for(spec, "p1"), uac());
  h.run_until(50s);

  EXPECT_EQ(h.tu.log, (strings{"request 1 INVITE at 0ms", "timeout 2 at 32000ms",
                               "terminated 2 at 32000ms", "terminated 1 at 41000ms"}));
  EXPECT_EQ(h.times_of("SIP/2.0 100 Trying"), (times{200ms}));
  EXPECT_EQ(h.times_of("INVITE sip:bob@p2psip.test SIP/2.0").size(), 7u);
  EXPECT_EQ(h.times_of("SIP/2.0 408 Request Timeout"), (times{32000ms, 32500ms, 33500ms, 35500ms}));
  for (const auto& s : h.sent)
    EXPECT_EQ(s.to, s.id == client ? udp_peer("192.0.2.40") : uac()) << s.bytes;
  EXPECT_EQ(h.layer.size(), 0u);
}

// A transaction the TU ends from inside one of its callbacks stays valid
// until the callback returns, and is reported terminated once.
TEST(TransactionLayer, ATransactionEndedInsideACallbackIsErasedAfterIt) {
  harness h;
  const auto invite = make_request({});
  h.tu.answer_response = [&h](transaction_id id, const sip::message&) {
    h.layer.transport_failed(id);
    EXPECT_EQ(h.layer.size(), 0u);
  };
  const auto id = h.send_request(invite, udp_peer());
  h.receive(response_to(invite, 486, "Busy Here", "b1"), udp_peer());
  EXPECT_EQ(h.tu.log, (strings{"response 1 486 tag=b1 at 0ms", "transport error 1 at 0ms",
                               "terminated 1 at 0ms"}));
  EXPECT_EQ(h.times_of("ACK sip:bob@p2psip.test SIP/2.0"), (times{0ms}));
  EXPECT_EQ(h.next_deadline(), std::nullopt);
  h.layer.transport_failed(id);
  EXPECT_EQ(h.layer.stats().transport_errors, 1u);
}

}  // namespace
}  // namespace p2psip::txn::test
