// The server transactions in virtual time: INVITE (RFC 3261 §17.2.1 with
// RFC 6026 §8.7) and non-INVITE (§17.2.2), and CANCEL matching (§9.2).
#include <gtest/gtest.h>

#include "harness.hpp"

namespace p2psip::txn::test {
namespace {

using strings = std::vector<std::string>;
using times = std::vector<ms>;

transport::endpoint uac() {
  return udp_peer("192.0.2.10");
}

std::string answer(const std::string& request, std::uint16_t code, std::string_view reason) {
  return response_to(request, code, reason, "s1");
}

request_spec options_spec() {
  request_spec spec;
  spec.method = "OPTIONS";
  return spec;
}

// ---------------------------------------------------------------------------
// INVITE server transaction: Proceeding and the 100 Trying

TEST(InviteServer, Sends100TryingWhenTheTuIsSilentFor200ms) {
  harness h;
  request_spec spec;
  spec.extra_headers = {"Timestamp: 54.2"};
  const auto invite = make_request(spec);
  h.receive(invite, uac());
  EXPECT_EQ(h.tu.log, (strings{"request 1 INVITE at 0ms"}));
  EXPECT_EQ(h.next_deadline(), 200ms);
  h.run_until(199ms);
  EXPECT_TRUE(h.sent.empty());

  h.run_until(600ms);
  h.receive(invite, uac());  // answered with the 100
  ASSERT_EQ(h.sent.size(), 2u);
  // §8.2.6.1: no To tag is added, and the Timestamp is copied.
  EXPECT_EQ(h.sent[0].bytes,
            "SIP/2.0 100 Trying\r\n"
            "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-uac-1\r\n"
            "From: \"Alice\" <sip:alice@p2psip.test>;tag=a1\r\n"
            "To: <sip:bob@p2psip.test>\r\n"
            "Call-ID: call-1@192.0.2.10\r\n"
            "CSeq: 1 INVITE\r\n"
            "Timestamp: 54.2\r\n"
            "Content-Length: 0\r\n\r\n");
  EXPECT_EQ(h.sent[0].to, uac());
  EXPECT_EQ(h.sent[0].id, 1u);
  EXPECT_EQ(h.sent[0].at, 200ms);
  EXPECT_EQ(h.sent[1].bytes, h.sent[0].bytes);
  EXPECT_EQ(h.sent[1].at, 600ms);
  EXPECT_EQ(h.tu.log.size(), 1u);
  EXPECT_EQ(h.layer.stats().trying_sent, 1u);
  EXPECT_EQ(h.layer.stats().absorbed_requests, 1u);
}

TEST(InviteServer, TuAnsweringWithin200msSuppressesTheTrying) {
  harness h;
  h.tu.answer_request = [&h](transaction_id id, const sip::message& request) {
    EXPECT_TRUE(h.send_response(id, sip::make_response(request, 180, "Ringing", "s1")));
  };
  const auto invite = make_request({});
  h.receive(invite, uac());
  EXPECT_EQ(h.next_deadline(), std::nullopt);
  h.run_until(500ms);
  h.receive(invite, uac());  // answered with the 180
  h.run_until(10s);
  EXPECT_EQ(h.times_of("SIP/2.0 180 Ringing"), (times{0ms, 500ms}));
  EXPECT_EQ(h.sent.size(), 2u);
  EXPECT_EQ(h.layer.stats().trying_sent, 0u);
}

TEST(InviteServer, TryingCanBeSwitchedOff) {
  timer_config config;
  config.trying = std::nullopt;
  harness h(config);
  const auto invite = make_request({});
  h.receive(invite, uac());
  EXPECT_EQ(h.next_deadline(), std::nullopt);
  h.run_until(500ms);
  h.receive(invite, uac());  // nothing to answer with yet
  EXPECT_TRUE(h.sent.empty());
  EXPECT_EQ(h.layer.stats().absorbed_requests, 1u);
  EXPECT_TRUE(h.send_response(1, answer(invite, 180, "Ringing")));
  EXPECT_EQ(h.times_of("SIP/2.0 180 Ringing"), (times{500ms}));
}

// ---------------------------------------------------------------------------
// INVITE server transaction: Completed and Confirmed

TEST(InviteServer, NonSuccessFinalRepeatsWithTimerGUntilTimerH) {
  harness h;
  const auto invite = make_request({});
  h.receive(invite, uac());
  h.run_until(100ms);
  EXPECT_TRUE(h.send_response(1, answer(invite, 180, "Ringing")));
  h.run_until(1s);
  EXPECT_TRUE(h.send_response(1, answer(invite, 486, "Busy Here")));
  EXPECT_FALSE(h.send_response(1, answer(invite, 603, "Decline")));  // one final only
  h.run_until(40s);
  // Timer G: T1, 2*T1, then T2, until Timer H (64*T1) gives up on the ACK.
  EXPECT_EQ(h.times_of("SIP/2.0 486 Busy Here"),
            (times{1000ms, 1500ms, 2500ms, 4500ms, 8500ms, 12500ms, 16500ms, 20500ms, 24500ms,
                   28500ms, 32500ms}));
  EXPECT_EQ(h.times_of("SIP/2.0 180 Ringing"), (times{100ms}));
  EXPECT_EQ(h.tu.log, (strings{"request 1 INVITE at 0ms", "ack timeout 1 at 33000ms",
                               "terminated 1 at 33000ms"}));
  EXPECT_EQ(h.layer.stats().retransmissions, 10u);
  EXPECT_EQ(h.layer.stats().timeouts, 1u);
  EXPECT_EQ(h.layer.stats().refused_responses, 1u);
}

TEST(InviteServer, AckEndsRetransmissionsAndConfirmedAbsorbsAcksUntilTimerI) {
  harness h;
  request_spec spec;
  const auto invite = make_request(spec);
  h.receive(invite, uac());
  EXPECT_TRUE(h.send_response(1, answer(invite, 486, "Busy Here")));
  h.run_until(2s);
  h.receive(invite, uac());  // Completed: answered with the final response
  h.run_until(2200ms);
  h.receive(ack_for(spec, "s1"), uac());
  EXPECT_EQ(h.next_deadline(), 7200ms);  // Timer I: T4
  h.run_until(3s);
  h.receive(ack_for(spec, "s1"), uac());
  h.receive(invite, uac());  // Confirmed: absorbed
  h.run_until(8s);
  h.receive(ack_for(spec, "s1"), uac());  // no transaction left: the TU's

  EXPECT_EQ(h.times_of("SIP/2.0 486 Busy Here"), (times{0ms, 500ms, 1500ms, 2000ms}));
  EXPECT_EQ(h.tu.log, (strings{"request 1 INVITE at 0ms", "terminated 1 at 7200ms",
                               "ack z9hG4bK-uac-1 at 8000ms"}));
  EXPECT_EQ(h.layer.stats().absorbed_acks, 2u);
  EXPECT_EQ(h.layer.stats().absorbed_requests, 2u);
  EXPECT_EQ(h.layer.stats().retransmissions, 3u);
}

TEST(InviteServer, ReliableTransportHasNoTimerGAndNoTimerI) {
  harness h;
  request_spec spec;
  const auto invite = make_request(spec);
  h.receive(invite, tcp_peer());
  EXPECT_TRUE(h.send_response(1, answer(invite, 486, "Busy Here")));
  EXPECT_EQ(h.next_deadline(), 32s);  // Timer H only
  h.run_until(5s);
  h.receive(ack_for(spec, "s1"), tcp_peer());
  EXPECT_EQ(h.sent.size(), 1u);
  EXPECT_EQ(h.sent[0].to, tcp_peer());
  EXPECT_EQ(h.tu.log, (strings{"request 1 INVITE at 0ms", "terminated 1 at 5000ms"}));
  EXPECT_EQ(h.layer.size(), 0u);
}

TEST(InviteServer, TransportErrorLeavesItAbsorbingRetransmissions) {
  harness h;
  const auto invite = make_request({});
  h.receive(invite, uac());
  EXPECT_TRUE(h.send_response(1, answer(invite, 500, "Server Internal Error")));
  h.run_until(200ms);
  h.layer.transport_failed(1);
  EXPECT_EQ(h.layer.size(), 1u);  // RFC 6026 §8.7: the state does not change
  h.run_until(300ms);
  h.receive(invite, uac());
  h.run_until(40s);
  EXPECT_EQ(h.tu.log, (strings{"request 1 INVITE at 0ms", "transport error 1 at 200ms",
                               "ack timeout 1 at 32000ms", "terminated 1 at 32000ms"}));
  EXPECT_EQ(h.times_of("SIP/2.0 500 Server Internal Error").size(), 12u);
}

// ---------------------------------------------------------------------------
// INVITE server transaction: Accepted (RFC 6026)

TEST(InviteServer, AcceptedLeaves2xxRetransmissionsToTheTuUntilTimerL) {
  harness h;
  request_spec spec;
  const auto invite = make_request(spec);
  h.receive(invite, uac());
  h.run_until(1s);
  EXPECT_TRUE(h.send_response(1, answer(invite, 200, "OK")));
  EXPECT_EQ(h.next_deadline(), 33s);  // Timer L: 64*T1
  h.run_until(1500ms);
  EXPECT_TRUE(h.send_response(1, answer(invite, 200, "OK")));  // the TU's retransmission
  EXPECT_FALSE(h.send_response(1, answer(invite, 486, "Busy Here")));
  EXPECT_FALSE(h.send_response(1, answer(invite, 180, "Ringing")));
  h.run_until(2s);
  h.receive(invite, uac());  // absorbed, not taken for a new request
  h.run_until(2500ms);
  auto ack_of_2xx = spec;
  ack_of_2xx.vias = {"SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-uac-ack"};
  h.receive(ack_for(ack_of_2xx, "s1"), uac());
  h.receive(ack_for(spec, "s1"), uac());  // on the INVITE's branch: also the TU's
  h.run_until(34s);
  h.receive(invite, uac());  // Timer L has fired: now a new request

  EXPECT_EQ(h.times_of("SIP/2.0 200 OK"), (times{1000ms, 1500ms}));
  EXPECT_EQ(h.times_of("SIP/2.0 100 Trying"), (times{200ms}));
  EXPECT_EQ(h.sent.size(), 3u);
  EXPECT_EQ(h.tu.log, (strings{"request 1 INVITE at 0ms", "ack z9hG4bK-uac-ack at 2500ms",
                               "ack z9hG4bK-uac-1 at 2500ms", "terminated 1 at 33000ms",
                               "request 2 INVITE at 34000ms"}));
  EXPECT_EQ(h.layer.stats().absorbed_requests, 1u);
  EXPECT_EQ(h.layer.stats().refused_responses, 2u);
}

TEST(InviteServer, AcceptedLastsTimerLOverReliableTransportsToo) {
  harness h;
  const auto invite = make_request({});
  h.receive(invite, tcp_peer());
  EXPECT_TRUE(h.send_response(1, answer(invite, 200, "OK")));
  EXPECT_EQ(h.next_deadline(), 32s);
  h.run_until(32s);
  EXPECT_EQ(h.tu.log, (strings{"request 1 INVITE at 0ms", "terminated 1 at 32000ms"}));
}

// ---------------------------------------------------------------------------
// Non-INVITE server transaction

TEST(NonInviteServer, TryingAbsorbsThenProceedingAndCompletedAnswerUntilTimerJ) {
  harness h;
  const auto options = make_request(options_spec());
  h.receive(options, uac());
  EXPECT_EQ(h.next_deadline(), std::nullopt);  // no 100 Trying for a non-INVITE
  h.run_until(500ms);
  h.receive(options, uac());  // Trying: absorbed
  h.run_until(600ms);
  EXPECT_TRUE(h.send_response(1, answer(options, 100, "Trying")));
  h.run_until(1000ms);
  h.receive(options, uac());  // Proceeding: the last provisional response
  h.run_until(1200ms);
  EXPECT_TRUE(h.send_response(1, answer(options, 200, "OK")));
  EXPECT_EQ(h.next_deadline(), 33200ms);  // Timer J: 64*T1
  h.run_until(2000ms);
  h.receive(options, uac());  // Completed: the final response
  EXPECT_FALSE(h.send_response(1, answer(options, 500, "Server Internal Error")));
  h.run_until(40s);
  h.receive(options, uac());  // after Timer J: a new request

  EXPECT_EQ(h.times_of("SIP/2.0 100 Trying"), (times{600ms, 1000ms}));
  EXPECT_EQ(h.times_of("SIP/2.0 200 OK"), (times{1200ms, 2000ms}));
  EXPECT_EQ(h.sent.size(), 4u);
  EXPECT_EQ(h.tu.log, (strings{"request 1 OPTIONS at 0ms", "terminated 1 at 33200ms",
                               "request 2 OPTIONS at 40000ms"}));
  EXPECT_EQ(h.layer.stats().absorbed_requests, 3u);
  EXPECT_EQ(h.layer.stats().retransmissions, 2u);
}

TEST(NonInviteServer, ReliableTransportEndsOnTheFinalResponse) {
  harness h;
  const auto options = make_request(options_spec());
  h.receive(options, tcp_peer());
  EXPECT_TRUE(h.send_response(1, answer(options, 200, "OK")));
  EXPECT_EQ(h.tu.log, (strings{"request 1 OPTIONS at 0ms", "terminated 1 at 0ms"}));
  EXPECT_EQ(h.layer.size(), 0u);
  EXPECT_EQ(h.next_deadline(), std::nullopt);
}

TEST(NonInviteServer, TransportErrorEndsIt) {
  harness h;
  const auto options = make_request(options_spec());
  h.receive(options, uac());
  EXPECT_TRUE(h.send_response(1, answer(options, 200, "OK")));
  h.layer.transport_failed(1);
  EXPECT_FALSE(h.send_response(1, answer(options, 200, "OK")));
  EXPECT_EQ(h.tu.log, (strings{"request 1 OPTIONS at 0ms", "transport error 1 at 0ms",
                               "terminated 1 at 0ms"}));
}

// ---------------------------------------------------------------------------
// CANCEL (§9.2)

TEST(Cancel, MatchesTheInviteServerTransactionAndIsOneItself) {
  harness h;
  request_spec spec;
  const auto invite = make_request(spec);
  auto cancel_spec = spec;
  cancel_spec.method = "CANCEL";
  const auto cancel = make_request(cancel_spec);
  h.receive(invite, uac());
  h.run_until(1s);
  h.receive(cancel, uac());
  h.run_until(1500ms);
  h.receive(cancel, uac());  // Trying: absorbed
  EXPECT_TRUE(h.send_response(2, answer(cancel, 200, "OK")));
  EXPECT_TRUE(h.send_response(1, answer(invite, 487, "Request Terminated")));
  h.run_until(1600ms);
  h.receive(cancel, uac());  // Completed: the 200 again

  EXPECT_EQ(h.tu.log, (strings{"request 1 INVITE at 0ms", "cancel 2 of 1 at 1000ms"}));
  EXPECT_EQ(h.times_of("SIP/2.0 200 OK"), (times{1500ms, 1600ms}));
  EXPECT_EQ(h.times_of("SIP/2.0 487 Request Terminated"), (times{1500ms}));
}

TEST(Cancel, MatchingNoInviteIsAnOrdinaryRequest) {
  harness h;
  request_spec spec;
  h.receive(make_request(spec), uac());
  auto cancel_spec = spec;
  cancel_spec.method = "CANCEL";
  cancel_spec.vias = {"SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-uac-2"};
  h.receive(make_request(cancel_spec), uac());
  EXPECT_EQ(h.tu.log, (strings{"request 1 INVITE at 0ms", "request 2 CANCEL at 0ms"}));
}

// ---------------------------------------------------------------------------

TEST(ServerTransactions, SendResponseRefusesWhatNoServerTransactionTakes) {
  harness h;
  const auto options = make_request(options_spec());
  h.receive(options, uac());
  auto outgoing = options_spec();
  outgoing.vias = {"SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-ct-9"};
  const auto client = h.send_request(make_request(outgoing), udp_peer());
  ASSERT_NE(client, 0u);
  EXPECT_FALSE(h.send_response(99, answer(options, 200, "OK")));      // unknown
  EXPECT_FALSE(h.send_response(client, answer(options, 200, "OK")));  // a client transaction
  EXPECT_FALSE(h.send_response(1, "SIP/2.0 200"));                    // unparseable
  EXPECT_FALSE(h.send_response(1, options));                          // a request
  EXPECT_EQ(h.layer.stats().refused_responses, 4u);
  EXPECT_EQ(h.sent.size(), 1u);  // the client's OPTIONS
}

}  // namespace
}  // namespace p2psip::txn::test
