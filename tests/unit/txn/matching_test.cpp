// Matching requests to server transactions (RFC 3261 §17.2.3), by branch or,
// without the magic cookie, by the RFC 2543 fields.
#include <gtest/gtest.h>

#include "harness.hpp"

namespace p2psip::txn::test {
namespace {

using strings = std::vector<std::string>;
using times = std::vector<ms>;

transport::endpoint uac() {
  return udp_peer("192.0.2.10");
}

request_spec with_via(request_spec spec, std::string via) {
  spec.vias = {std::move(via)};
  return spec;
}

TEST(ServerMatching, RequestsMatchOnBranchSentByAndMethod) {
  harness h;
  const request_spec spec;  // branch z9hG4bK-uac-1, sent-by 192.0.2.10:5060
  h.receive(make_request(spec), uac());
  h.receive(make_request(with_via(spec, "SIP/2.0/UDP 192.0.2.11:5060;branch=z9hG4bK-uac-1")),
            uac());
  h.receive(make_request(with_via(spec, "SIP/2.0/UDP 192.0.2.10:5070;branch=z9hG4bK-uac-1")),
            uac());
  h.receive(make_request(with_via(spec, "SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK-uac-1")), uac());
  auto options = spec;
  options.method = "OPTIONS";
  h.receive(make_request(options), uac());
  EXPECT_EQ(h.layer.stats().absorbed_requests, 0u);

  // Fields §17.2.3 does not compare may change: still a retransmission.
  auto same =
      with_via(spec, "SIP/2.0/TCP 192.0.2.10:5060;branch=z9hG4bK-uac-1;received=192.0.2.99");
  same.uri = "sip:carol@p2psip.test";
  same.call_id = "another-call";
  same.from_tag = "zz";
  same.cseq = 9;
  h.receive(make_request(same), uac());

  EXPECT_EQ(h.tu.log, (strings{"request 1 INVITE at 0ms", "request 2 INVITE at 0ms",
                               "request 3 INVITE at 0ms", "request 4 INVITE at 0ms",
                               "request 5 OPTIONS at 0ms"}));
  EXPECT_EQ(h.layer.stats().absorbed_requests, 1u);
  EXPECT_EQ(h.layer.size(), 5u);
}

TEST(Rfc2543Matching, RequestsWithoutTheMagicCookieMatchOnTheirFields) {
  harness h;
  const auto spec = with_via({}, "SIP/2.0/UDP 192.0.2.10:5060");
  h.receive(make_request(spec), uac());
  h.receive(make_request(spec), uac());  // a retransmission

  // Request-URI, From tag, Call-ID, CSeq, top Via and To tag all count.
  auto uri = spec;
  uri.uri = "sip:carol@p2psip.test";
  auto from_tag = spec;
  from_tag.from_tag = "a2";
  auto call_id = spec;
  call_id.call_id = "call-2@192.0.2.10";
  auto cseq = spec;
  cseq.cseq = 2;
  auto via = with_via(spec, "SIP/2.0/UDP 192.0.2.10:5070");
  auto to_tag = spec;
  to_tag.to_tag = "b1";
  auto method = spec;
  method.method = "OPTIONS";
  for (const auto& other : {uri, from_tag, call_id, cseq, via, to_tag, method})
    h.receive(make_request(other), uac());

  EXPECT_EQ(h.tu.log.size(), 8u);
  EXPECT_EQ(h.tu.log.back(), "request 8 OPTIONS at 0ms");
  EXPECT_EQ(h.layer.stats().absorbed_requests, 1u);
}

TEST(Rfc2543Matching, TheMagicCookieAloneIsNoBranch) {
  harness h;
  const auto spec = with_via({}, "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK");
  h.receive(make_request(spec), uac());
  h.receive(make_request(spec), uac());
  auto other_call = spec;
  other_call.call_id = "call-2@192.0.2.10";
  h.receive(make_request(other_call), uac());  // same "branch", yet another transaction
  EXPECT_EQ(h.tu.log, (strings{"request 1 INVITE at 0ms", "request 2 INVITE at 0ms"}));
  EXPECT_EQ(h.layer.stats().absorbed_requests, 1u);
}

TEST(Rfc2543Matching, AckMatchesByTheToTagOfTheFinalResponse) {
  harness h;
  const auto spec = with_via({}, "SIP/2.0/UDP 192.0.2.10:5060");
  const auto invite = make_request(spec);
  h.receive(invite, uac());
  EXPECT_TRUE(h.send_response(1, response_to(invite, 486, "Busy Here", "s1")));
  h.run_until(1s);
  h.receive(ack_for(spec, "s9"), uac());  // another tag: not this transaction's
  h.run_until(1200ms);
  h.receive(ack_for(spec, "s1"), uac());
  h.run_until(10s);
  EXPECT_EQ(h.times_of("SIP/2.0 486 Busy Here"), (times{0ms, 500ms}));
  EXPECT_EQ(h.tu.log,
            (strings{"request 1 INVITE at 0ms", "ack - at 1000ms", "terminated 1 at 6200ms"}));
  EXPECT_EQ(h.layer.stats().absorbed_acks, 1u);
}

TEST(Rfc2543Matching, AckOfAReInviteCarriesTheTagTheInviteHad) {
  harness h;
  auto spec = with_via({}, "SIP/2.0/UDP 192.0.2.10:5060");
  spec.to_tag = "s1";
  const auto invite = make_request(spec);
  h.receive(invite, uac());
  EXPECT_TRUE(h.send_response(1, response_to(invite, 491, "Request Pending")));
  h.receive(ack_for(spec, "s1"), uac());
  EXPECT_EQ(h.layer.stats().absorbed_acks, 1u);
  EXPECT_EQ(h.next_deadline(), 5s);  // Timer I
}

TEST(Rfc2543Matching, CancelMatchesTheInviteByItsFields) {
  harness h;
  const auto spec = with_via({}, "SIP/2.0/UDP 192.0.2.10:5060");
  h.receive(make_request(spec), uac());
  auto cancel = spec;
  cancel.method = "CANCEL";
  h.receive(make_request(cancel), uac());
  cancel.cseq = 2;
  h.receive(make_request(cancel), uac());
  EXPECT_EQ(h.tu.log, (strings{"request 1 INVITE at 0ms", "cancel 2 of 1 at 0ms",
                               "request 3 CANCEL at 0ms"}));
}

}  // namespace
}  // namespace p2psip::txn::test
