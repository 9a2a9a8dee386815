// The client transactions in virtual time: INVITE (RFC 3261 §17.1.1 with
// RFC 6026 §8.4) and non-INVITE (§17.1.2).
#include <gtest/gtest.h>

#include "harness.hpp"

namespace p2psip::txn::test {
namespace {

using strings = std::vector<std::string>;
using times = std::vector<ms>;

// What this element sends: its own Via on top of the one it received.
request_spec outgoing(std::string method = "INVITE", std::string branch = "z9hG4bK-ct-1") {
  request_spec spec;
  spec.method = std::move(method);
  spec.vias = {"SIP/2.0/UDP 192.0.2.1:5060;branch=" + branch,
               "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-uac-1"};
  return spec;
}

// ---------------------------------------------------------------------------
// INVITE client transaction

TEST(InviteClient, CallingRetransmitsWithDoublingIntervalsUntilTimerB) {
  harness h;
  const auto id = h.send_request(make_request(outgoing()), udp_peer());
  ASSERT_NE(id, 0u);
  EXPECT_EQ(h.next_deadline(), 500ms);

  h.run_until(40s);
  // Timer A: T1, 2*T1, 4*T1, ... with no cap (Timer B ends Calling first).
  EXPECT_EQ(h.times_of("INVITE sip:bob@p2psip.test SIP/2.0"),
            (times{0ms, 500ms, 1500ms, 3500ms, 7500ms, 15500ms, 31500ms}));
  for (const auto& s : h.sent) {
    EXPECT_EQ(s.to, udp_peer());
    EXPECT_EQ(s.id, id);
    EXPECT_EQ(s.bytes, h.sent.front().bytes);
  }
  EXPECT_EQ(h.tu.log, (strings{"timeout 1 at 32000ms", "terminated 1 at 32000ms"}));
  EXPECT_EQ(h.layer.stats().retransmissions, 6u);
  EXPECT_EQ(h.layer.stats().timeouts, 1u);
  EXPECT_EQ(h.layer.size(), 0u);
  EXPECT_EQ(h.layer.next_deadline(), std::nullopt);
}

// §9.1: the TU gives up an INVITE in Proceeding whose CANCEL went
// unanswered; the transaction ends and a late final response is stray.
TEST(InviteClient, AbandonedInProceedingEndsAndLateResponsesAreStray) {
  harness h;
  const auto invite = make_request(outgoing());
  const auto id = h.send_request(invite, udp_peer());
  h.receive(response_to(invite, 180, "Ringing", "b1"), udp_peer());
  h.layer.abandon(id);
  EXPECT_EQ(h.layer.size(), 0u);
  h.receive(response_to(invite, 487, "Request Terminated", "b1"), udp_peer());
  EXPECT_EQ(h.layer.stats().stray_responses, 1u);
  EXPECT_EQ(h.tu.log, (strings{"response 1 180 tag=b1 at 0ms", "terminated 1 at 0ms"}));
  h.layer.abandon(id);  // a second time changes nothing
  EXPECT_EQ(h.tu.log.size(), 2u);
}

TEST(InviteClient, TimersFollowTheConfiguredT1) {
  timer_config config;
  config.t1 = 100ms;
  harness h(config);
  h.send_request(make_request(outgoing()), udp_peer());
  h.run_until(10s);
  EXPECT_EQ(h.times_of("INVITE sip:bob@p2psip.test SIP/2.0"),
            (times{0ms, 100ms, 300ms, 700ms, 1500ms, 3100ms, 6300ms}));
  EXPECT_EQ(h.tu.log, (strings{"timeout 1 at 6400ms", "terminated 1 at 6400ms"}));
}

TEST(InviteClient, ReliableTransportSendsOnceAndStillTimesOut) {
  harness h;
  h.send_request(make_request(outgoing()), tcp_peer());
  EXPECT_EQ(h.next_deadline(), 32s);  // Timer B only: no Timer A over TCP
  h.run_until(40s);
  ASSERT_EQ(h.sent.size(), 1u);
  EXPECT_EQ(h.sent[0].to, tcp_peer());
  EXPECT_EQ(h.tu.log, (strings{"timeout 1 at 32000ms", "terminated 1 at 32000ms"}));
}

TEST(InviteClient, ProvisionalResponseStopsTimersAAndB) {
  harness h;
  const auto invite = make_request(outgoing());
  h.send_request(invite, udp_peer());
  h.run_until(700ms);
  h.receive(response_to(invite, 180, "Ringing", "b1"), udp_peer());
  EXPECT_EQ(h.next_deadline(), std::nullopt);  // Proceeding waits for the TU's Timer C

  h.run_until(600s);
  EXPECT_EQ(h.sent.size(), 2u);  // the INVITE and its one retransmission at 500 ms
  h.receive(response_to(invite, 183, "Session Progress", "b1"), udp_peer());
  EXPECT_EQ(h.tu.log,
            (strings{"response 1 180 tag=b1 at 700ms", "response 1 183 tag=b1 at 600000ms"}));
  EXPECT_EQ(h.layer.size(), 1u);
}

TEST(InviteClient, NonSuccessFinalIsAcknowledgedWithTheRfcHeaders) {
  harness h;
  auto spec = outgoing();
  spec.extra_headers = {"Route: <sip:p1.p2psip.test;lr>", "Route: <sip:p2.p2psip.test;lr>",
                        "Contact: <sip:alice@192.0.2.10>"};
  spec.cseq = 7;
  spec.max_forwards = 69;
  const auto invite = make_request(spec);
  const auto id = h.send_request(invite, udp_peer());
  h.run_until(2s);  // in Calling: two retransmissions so far
  h.receive(response_to(invite, 486, "Busy Here", "b1"), udp_peer());

  ASSERT_EQ(h.sent.size(), 4u);
  const auto& ack = h.sent.back();
  // §17.1.1.3: Request-URI, Call-ID, From and CSeq number of the INVITE;
  // To of the response; the INVITE's top Via only; its Route header fields.
  EXPECT_EQ(ack.bytes,
            "ACK sip:bob@p2psip.test SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-ct-1\r\n"
            "Route: <sip:p1.p2psip.test;lr>\r\n"
            "Route: <sip:p2.p2psip.test;lr>\r\n"
            "Max-Forwards: 69\r\n"
            "From: \"Alice\" <sip:alice@p2psip.test>;tag=a1\r\n"
            "To: <sip:bob@p2psip.test>;tag=b1\r\n"
            "Call-ID: call-1@192.0.2.10\r\n"
            "CSeq: 7 ACK\r\n"
            "Content-Length: 0\r\n\r\n");
  EXPECT_EQ(ack.to, udp_peer());
  EXPECT_EQ(ack.id, id);
  EXPECT_EQ(ack.at, 2s);
  EXPECT_EQ(h.tu.log, (strings{"response 1 486 tag=b1 at 2000ms"}));
  EXPECT_EQ(h.next_deadline(), 34s);  // Timer D: 32 s
}

TEST(InviteClient, CompletedAnswersEachRepeatedFinalWithTheAckUntilTimerD) {
  harness h;
  const auto invite = make_request(outgoing());
  h.send_request(invite, udp_peer());
  h.receive(response_to(invite, 180, "Ringing", "b1"), udp_peer());
  h.run_until(1s);
  const auto busy = response_to(invite, 486, "Busy Here", "b1");
  h.receive(busy, udp_peer());
  h.run_until(3s);
  h.receive(busy, udp_peer());
  h.run_until(5s);
  h.receive(busy, udp_peer());
  h.receive(response_to(invite, 180, "Ringing", "b1"), udp_peer());

  EXPECT_EQ(h.times_of("ACK sip:bob@p2psip.test SIP/2.0"), (times{1s, 3s, 5s}));
  EXPECT_EQ(h.sent[1].bytes, h.sent[3].bytes);
  EXPECT_EQ(h.layer.stats().absorbed_responses, 3u);
  EXPECT_EQ(h.layer.stats().retransmissions, 2u);

  h.run_until(40s);
  h.receive(busy, udp_peer());  // after Timer D: nobody to match
  EXPECT_EQ(h.tu.log, (strings{"response 1 180 tag=b1 at 0ms", "response 1 486 tag=b1 at 1000ms",
                               "terminated 1 at 33000ms"}));
  EXPECT_EQ(h.sent.size(), 4u);
  EXPECT_EQ(h.layer.stats().stray_responses, 1u);
}

TEST(InviteClient, ReliableTransportEndsRightAfterTheAck) {
  harness h;
  const auto invite = make_request(outgoing());
  h.send_request(invite, tcp_peer());
  h.run_until(1s);
  h.receive(response_to(invite, 603, "Decline", "b1"), tcp_peer());
  EXPECT_EQ(h.times_of("ACK sip:bob@p2psip.test SIP/2.0"), (times{1s}));
  EXPECT_EQ(h.sent.back().to, tcp_peer());
  EXPECT_EQ(h.tu.log, (strings{"response 1 603 tag=b1 at 1000ms", "terminated 1 at 1000ms"}));
  EXPECT_EQ(h.layer.size(), 0u);
}

TEST(InviteClient, AcceptedPassesEvery2xxToTheTuUntilTimerM) {
  harness h;
  const auto invite = make_request(outgoing());
  h.send_request(invite, udp_peer());
  h.run_until(1s);
  const auto ok = response_to(invite, 200, "OK", "b1");
  h.receive(ok, udp_peer());
  EXPECT_EQ(h.next_deadline(), 33s);  // Timer M: 64*T1

  h.run_until(2s);
  h.receive(ok, udp_peer());                                         // a retransmission
  h.receive(response_to(invite, 200, "OK", "b2"), udp_peer());       // another fork
  h.receive(response_to(invite, 180, "Ringing", "b3"), udp_peer());  // too late to matter
  h.run_until(40s);
  h.receive(ok, udp_peer());

  // No ACK and no retransmission after the 2xx: the ACK of a 2xx is the TU's.
  EXPECT_EQ(h.times_of("INVITE sip:bob@p2psip.test SIP/2.0"), (times{0ms, 500ms}));
  EXPECT_EQ(h.sent.size(), 2u);
  EXPECT_EQ(h.tu.log, (strings{"response 1 200 tag=b1 at 1000ms", "response 1 200 tag=b1 at 2000ms",
                               "response 1 200 tag=b2 at 2000ms", "terminated 1 at 33000ms"}));
  EXPECT_EQ(h.layer.stats().absorbed_responses, 1u);
  EXPECT_EQ(h.layer.stats().stray_responses, 1u);
}

TEST(InviteClient, AcceptedFromProceedingLastsTimerMOverReliableTransportsToo) {
  harness h;
  const auto invite = make_request(outgoing());
  h.send_request(invite, tcp_peer());
  h.receive(response_to(invite, 180, "Ringing", "b1"), tcp_peer());
  h.receive(response_to(invite, 200, "OK", "b1"), tcp_peer());
  EXPECT_EQ(h.next_deadline(), 32s);
  h.run_until(31s);
  h.receive(response_to(invite, 200, "OK", "b1"), tcp_peer());
  h.run_until(32s);
  EXPECT_EQ(h.tu.log, (strings{"response 1 180 tag=b1 at 0ms", "response 1 200 tag=b1 at 0ms",
                               "response 1 200 tag=b1 at 31000ms", "terminated 1 at 32000ms"}));
}

TEST(InviteClient, TransportErrorEndsTheTransaction) {
  harness h;
  const auto id = h.send_request(make_request(outgoing()), udp_peer());
  h.run_until(600ms);
  h.layer.transport_failed(id);
  h.run_until(60s);
  EXPECT_EQ(h.times_of("INVITE sip:bob@p2psip.test SIP/2.0"), (times{0ms, 500ms}));
  EXPECT_EQ(h.tu.log, (strings{"transport error 1 at 600ms", "terminated 1 at 600ms"}));
  EXPECT_EQ(h.layer.stats().transport_errors, 1u);
  h.layer.transport_failed(id);  // a late report for a transaction already gone
  EXPECT_EQ(h.layer.stats().transport_errors, 1u);
}

TEST(InviteClient, TransportErrorInCompletedEndsIt) {
  harness h;
  const auto invite = make_request(outgoing());
  const auto id = h.send_request(invite, udp_peer());
  h.receive(response_to(invite, 404, "Not Found", "b1"), udp_peer());
  h.run_until(1s);
  h.layer.transport_failed(id);
  EXPECT_EQ(h.tu.log, (strings{"response 1 404 tag=b1 at 0ms", "transport error 1 at 1000ms",
                               "terminated 1 at 1000ms"}));
  EXPECT_EQ(h.next_deadline(), std::nullopt);
}

// ---------------------------------------------------------------------------
// Non-INVITE client transaction

TEST(NonInviteClient, TryingRetransmitsCappedAtT2UntilTimerF) {
  harness h;
  h.send_request(make_request(outgoing("OPTIONS")), udp_peer());
  h.run_until(40s);
  // Timer E: T1, 2*T1, then T2 (4 s) from 3.5 s on.
  EXPECT_EQ(h.times_of("OPTIONS sip:bob@p2psip.test SIP/2.0"),
            (times{0ms, 500ms, 1500ms, 3500ms, 7500ms, 11500ms, 15500ms, 19500ms, 23500ms, 27500ms,
                   31500ms}));
  EXPECT_EQ(h.tu.log, (strings{"timeout 1 at 32000ms", "terminated 1 at 32000ms"}));
  EXPECT_EQ(h.layer.stats().retransmissions, 10u);
}

TEST(NonInviteClient, ProceedingRetransmitsEveryT2) {
  harness h;
  const auto options = make_request(outgoing("OPTIONS"));
  h.send_request(options, udp_peer());
  h.run_until(600ms);
  h.receive(response_to(options, 100, "Trying"), udp_peer());
  h.run_until(40s);
  // The pending Timer E (due at 1.5 s) fires in Proceeding and is reset to T2.
  EXPECT_EQ(
      h.times_of("OPTIONS sip:bob@p2psip.test SIP/2.0"),
      (times{0ms, 500ms, 1500ms, 5500ms, 9500ms, 13500ms, 17500ms, 21500ms, 25500ms, 29500ms}));
  EXPECT_EQ(h.tu.log, (strings{"response 1 100 at 600ms", "timeout 1 at 32000ms",
                               "terminated 1 at 32000ms"}));
}

TEST(NonInviteClient, FinalResponseInProceedingCompletesAndTimerKAbsorbsRetransmissions) {
  harness h;
  const auto options = make_request(outgoing("OPTIONS"));
  h.send_request(options, udp_peer());
  h.run_until(1s);
  h.receive(response_to(options, 100, "Trying"), udp_peer());
  h.run_until(2s);
  const auto ok = response_to(options, 200, "OK", "b1");
  h.receive(ok, udp_peer());
  EXPECT_EQ(h.next_deadline(), 7s);  // Timer K: T4
  h.run_until(3s);
  h.receive(ok, udp_peer());
  h.run_until(10s);
  h.receive(ok, udp_peer());

  EXPECT_EQ(h.times_of("OPTIONS sip:bob@p2psip.test SIP/2.0"), (times{0ms, 500ms, 1500ms}));
  EXPECT_EQ(h.tu.log, (strings{"response 1 100 at 1000ms", "response 1 200 tag=b1 at 2000ms",
                               "terminated 1 at 7000ms"}));
  EXPECT_EQ(h.layer.stats().absorbed_responses, 1u);
  EXPECT_EQ(h.layer.stats().stray_responses, 1u);
}

TEST(NonInviteClient, ReliableTransportHasNoTimerEAndNoTimerK) {
  harness h;
  const auto options = make_request(outgoing("OPTIONS"));
  h.send_request(options, tcp_peer());
  EXPECT_EQ(h.next_deadline(), 32s);  // Timer F only
  h.run_until(10s);
  h.receive(response_to(options, 404, "Not Found", "b1"), tcp_peer());
  EXPECT_EQ(h.sent.size(), 1u);
  EXPECT_EQ(h.tu.log, (strings{"response 1 404 tag=b1 at 10000ms", "terminated 1 at 10000ms"}));
  EXPECT_EQ(h.layer.size(), 0u);
}

TEST(NonInviteClient, TransportErrorEndsTheTransaction) {
  harness h;
  const auto id = h.send_request(make_request(outgoing("REGISTER")), tcp_peer());
  h.layer.transport_failed(id);
  EXPECT_EQ(h.tu.log, (strings{"transport error 1 at 0ms", "terminated 1 at 0ms"}));
  EXPECT_EQ(h.layer.size(), 0u);
}

// ---------------------------------------------------------------------------
// Both

TEST(ClientTransactions, CancelIsATransactionOfItsOwnOnTheInvitesBranch) {
  harness h;
  const auto invite = make_request(outgoing());
  const auto cancel = make_request(outgoing("CANCEL"));
  const auto invite_id = h.send_request(invite, udp_peer());
  h.receive(response_to(invite, 180, "Ringing", "b1"), udp_peer());
  const auto cancel_id = h.send_request(cancel, udp_peer());
  ASSERT_NE(cancel_id, 0u);
  ASSERT_NE(cancel_id, invite_id);
  // §17.1.3: the CSeq method tells the two apart.
  h.receive(response_to(cancel, 200, "OK", "b1"), udp_peer());
  h.receive(response_to(invite, 487, "Request Terminated", "b1"), udp_peer());
  EXPECT_EQ(h.tu.log, (strings{"response 1 180 tag=b1 at 0ms", "response 2 200 tag=b1 at 0ms",
                               "response 1 487 tag=b1 at 0ms"}));
  EXPECT_EQ(h.times_of("ACK sip:bob@p2psip.test SIP/2.0"), (times{0ms}));
}

TEST(ClientTransactions, ResponseMatchesOnBranchAndCSeqMethodOnly) {
  harness h;
  const auto invite = make_request(outgoing());
  h.send_request(invite, udp_peer());
  auto other_branch = outgoing("INVITE", "z9hG4bK-ct-2");
  h.receive(response_to(make_request(other_branch), 180, "Ringing"), udp_peer());
  auto other_method = outgoing();
  other_method.cseq_method = "BYE";
  h.receive(response_to(make_request(other_method), 200, "OK"), udp_peer());
  EXPECT_TRUE(h.tu.log.empty());
  EXPECT_EQ(h.layer.stats().stray_responses, 2u);
}

TEST(ClientTransactions, SendRequestRefusesWhatCannotStartATransaction) {
  harness h;
  EXPECT_EQ(h.send_request("not a SIP message", udp_peer()), 0u);
  EXPECT_EQ(h.send_request(response_to(make_request(outgoing()), 200, "OK"), udp_peer()), 0u);
  // The ACK of a 2xx is sent by the TU, without a transaction.
  EXPECT_EQ(h.send_request(make_request(outgoing("ACK")), udp_peer()), 0u);
  // Without the magic cookie, responses could not be matched to it.
  auto legacy = outgoing();
  legacy.vias = {"SIP/2.0/UDP 192.0.2.1:5060;branch=1234"};
  EXPECT_EQ(h.send_request(make_request(legacy), udp_peer()), 0u);
  EXPECT_EQ(h.send_request(make_request(outgoing()), udp_peer()), 1u);
  EXPECT_EQ(h.send_request(make_request(outgoing()), udp_peer()), 0u);  // branch in use

  EXPECT_EQ(h.sent.size(), 1u);
  EXPECT_EQ(h.layer.stats().refused_requests, 5u);
  EXPECT_EQ(h.layer.size(), 1u);
}

}  // namespace
}  // namespace p2psip::txn::test
