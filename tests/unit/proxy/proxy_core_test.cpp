// The proxy core in isolation: a fake transaction layer records what the
// core sends, and each test plays the network's part by handing requests
// and responses in. No sockets, no clock but the injected one.
#include <gtest/gtest.h>

#include <memory>

#include "proxy/core.hpp"
#include "proxy/processors.hpp"
#include "proxy/routing.hpp"
#include "proxy_test_support.hpp"
#include "sip/editor.hpp"
#include "sip/parser.hpp"

namespace p2psip::proxy {
namespace {

using namespace std::chrono_literals;
using namespace test_support;

class ProxyCore : public ::testing::Test {
 protected:
  void SetUp() override {
    users.add("alice", "wonderland");
    users.add("bob", "builder");
    users.add("carol", "singer");
    auto chain = standard_chain(store, authenticator, users, now);
    chain.auth_failed = [this](const auth_failure& f) {
      auth_failures.push_back(std::string(f.reason) + " " + std::string(f.claimed));
    };
    install_standard_chain(core, chain);
  }

  // Registers `user` directly in the store, as if a REGISTER had succeeded.
  void registered(std::string_view user, std::string contact, transport::endpoint flow) {
    binding b;
    b.contact = std::move(contact);
    b.expires = now + 3600s;
    b.flow = flow;
    std::vector<binding> set;
    store.fetch("sip:" + std::string(user) + "@p2psip.test", now,
                [&](std::vector<binding> v, std::error_code) { set = std::move(v); });
    set.push_back(b);
    store.store("sip:" + std::string(user) + "@p2psip.test", set, [](std::error_code) {});
  }

  std::string invite(std::string_view to_user, std::string_view extra = "",
                     std::string_view call_id = "call-1") {
    return "INVITE sip:" + std::string(to_user) +
           "@p2psip.test SIP/2.0\r\n"
           "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKcaller1\r\n"
           "Max-Forwards: 70\r\n"
           "To: <sip:" +
           std::string(to_user) +
           "@p2psip.test>\r\n"
           "From: <sip:alice@p2psip.test>;tag=a1\r\n"
           "Call-ID: " +
           std::string(call_id) +
           "\r\n"
           "CSeq: 1 INVITE\r\n"
           "Contact: <sip:alice@192.0.2.10:5060>\r\n" +
           std::string(extra) + "Content-Length: 0\r\n\r\n";
  }

  void deliver_request(transaction_id server, const std::string& text,
                       transport::endpoint from = udp("192.0.2.10", 5060)) {
    parsed p(text);
    core.on_request(server, p.msg, from);
  }

  // A downstream response to the forwarded request `r`.
  void answer(const sent_request& r, std::uint16_t code, std::string_view reason,
              std::string_view extra = "") {
    parsed forwarded(r.bytes);
    const auto response = sip::make_response(forwarded.msg, code, reason, "callee", extra);
    parsed p(response);
    core.on_response(r.id, p.msg);
  }

  const std::vector<std::string>& responses_to(transaction_id server) {
    return txn.responses[server];
  }

  wall_clock::time_point now = wall_clock::time_point{} + 1'700'000'000s;
  fake_txn txn;
  std::vector<std::string> auth_failures;  // what the operator's log would say
  memory_location store;
  auth::user_file users;
  auth::authenticator authenticator{{"p2psip.test", "secret", 300s, {auth::algorithm::sha256}},
                                    users};
  steady_clock::time_point steady_now{};
  proxy_core core{{{"p2psip.test"}, {udp("203.0.113.1", 5060)}, {}, true, false}, txn, [this] {
                    return steady_now;
                  }};

  void pass(std::chrono::milliseconds d) {
    steady_now += d;
    core.advance(steady_now);
  }
};

TEST_F(ProxyCore, InviteToARegisteredUserIsForwardedToItsFlow) {
  registered("bob", "sip:bob@10.0.0.7:5062", udp("198.51.100.9", 40000));
  deliver_request(1, invite("bob"));
  ASSERT_EQ(responses_to(1).size(), 1u);
  EXPECT_EQ(status_of(responses_to(1)[0]), 100);
  ASSERT_EQ(txn.requests.size(), 1u);
  const auto& out = txn.requests[0];
  // NAT-friendly: sent to where the REGISTER came from, not to the Contact.
  EXPECT_EQ(out.hop, udp("198.51.100.9", 40000));
  parsed fwd(out.bytes);
  EXPECT_EQ(fwd.msg.request().uri_text, "sip:bob@10.0.0.7:5062");
  EXPECT_EQ(fwd.msg.max_forwards(), 69u);
  EXPECT_EQ(fwd.msg.top_via().host, "203.0.113.1");
  EXPECT_TRUE(fwd.msg.top_via().rfc3261_branch());
  EXPECT_EQ(*fwd.msg.values(sip::header_id::record_route).front(), "<sip:203.0.113.1:5060;lr>");
  EXPECT_EQ(core.active_requests(), 1u);
}

TEST_F(ProxyCore, ProvisionalAndFinalResponsesGoUpstreamWithoutOurVia) {
  registered("bob", "sip:bob@10.0.0.7:5062", udp("198.51.100.9", 40000));
  deliver_request(1, invite("bob"));
  answer(txn.requests[0], 180, "Ringing");
  answer(txn.requests[0], 200, "OK");
  ASSERT_EQ(responses_to(1).size(), 3u);
  parsed ringing(responses_to(1)[1]);
  EXPECT_EQ(ringing.msg.status().code, 180);
  EXPECT_EQ(ringing.msg.top_via().branch, "z9hG4bKcaller1");
  EXPECT_EQ(status_of(responses_to(1)[2]), 200);
  EXPECT_EQ(core.active_requests(), 0u);
}

TEST_F(ProxyCore, ForkingPicksTheBestFinalResponse) {
  registered("bob", "sip:bob@10.0.0.7:5062", udp("198.51.100.9", 40000));
  registered("bob", "sip:bob@10.0.0.8:5062", udp("198.51.100.10", 40000));
  deliver_request(1, invite("bob"));
  ASSERT_EQ(txn.requests.size(), 2u);
  answer(txn.requests[0], 486, "Busy Here");
  EXPECT_EQ(responses_to(1).size(), 1u);  // only the 100: one branch still runs
  answer(txn.requests[1], 503, "Service Unavailable");
  ASSERT_EQ(responses_to(1).size(), 2u);
  EXPECT_EQ(status_of(responses_to(1)[1]), 486);
}

// A node further on that is overloaded answers 503 with Retry-After: the
// caller gets 500 (§16.7 step 6), and still hears when to try again.
TEST_F(ProxyCore, ADownstream503Becomes500KeepingItsRetryAfter) {
  registered("bob", "sip:bob@10.0.0.7:5062", udp("198.51.100.9", 40000));
  deliver_request(1, invite("bob"));
  ASSERT_EQ(txn.requests.size(), 1u);
  answer(txn.requests[0], 503, "Service Unavailable", "Retry-After: 7\r\n");
  parsed final_response(responses_to(1).back());
  EXPECT_EQ(final_response.msg.status().code, 500);
  EXPECT_NE(responses_to(1).back().find("\r\nRetry-After: 7\r\n"), std::string::npos);
}

TEST_F(ProxyCore, SixHundredEndsTheSearchAndCancelsTheRest) {
  registered("bob", "sip:bob@10.0.0.7:5062", udp("198.51.100.9", 40000));
  registered("bob", "sip:bob@10.0.0.8:5062", udp("198.51.100.10", 40000));
  deliver_request(1, invite("bob"));
  answer(txn.requests[1], 180, "Ringing");
  answer(txn.requests[0], 603, "Decline");
  // The ringing branch gets a CANCEL built from its INVITE.
  ASSERT_EQ(txn.requests.size(), 3u);
  parsed cancel(txn.requests[2].bytes);
  EXPECT_EQ(cancel.msg.method(), sip::method::cancel);
  parsed second(txn.requests[1].bytes);
  EXPECT_EQ(cancel.msg.top_via().branch, second.msg.top_via().branch);
  EXPECT_EQ(cancel.msg.request().uri_text, second.msg.request().uri_text);
  EXPECT_EQ(txn.requests[2].hop, txn.requests[1].hop);
  answer(txn.requests[1], 487, "Request Terminated");
  EXPECT_EQ(status_of(responses_to(1).back()), 603);
  EXPECT_EQ(core.active_requests(), 0u);
}

TEST_F(ProxyCore, TimeoutAndTransportErrorBecome408And500) {
  registered("bob", "sip:bob@10.0.0.7:5062", udp("198.51.100.9", 40000));
  deliver_request(1, invite("bob"));
  core.on_timeout(txn.requests[0].id);
  EXPECT_EQ(status_of(responses_to(1).back()), 408);

  deliver_request(2, invite("bob", "", "call-2"));
  core.on_transport_error(txn.requests[1].id);
  // A 503 of our own making must not make the caller back off: 500 (§16.7 step 6).
  EXPECT_EQ(status_of(responses_to(2).back()), 500);
}

TEST_F(ProxyCore, CancelBeforeAndAfterTheProvisional) {
  registered("bob", "sip:bob@10.0.0.7:5062", udp("198.51.100.9", 40000));
  deliver_request(1, invite("bob"));
  parsed cancel_request(
      "CANCEL sip:bob@p2psip.test SIP/2.0\r\nVia: SIP/2.0/UDP "
      "192.0.2.10:5060;branch=z9hG4bKcaller1\r\n"
      "Max-Forwards: 70\r\nTo: <sip:bob@p2psip.test>\r\nFrom: <sip:alice@p2psip.test>;tag=a1\r\n"
      "Call-ID: call-1\r\nCSeq: 1 CANCEL\r\nContent-Length: 0\r\n\r\n");
  core.on_cancel(7, 1, cancel_request.msg);
  ASSERT_EQ(responses_to(7).size(), 1u);
  EXPECT_EQ(status_of(responses_to(7)[0]), 200);
  // No provisional yet: §9.1 says wait for one before cancelling.
  EXPECT_EQ(txn.requests.size(), 1u);
  answer(txn.requests[0], 180, "Ringing");
  ASSERT_EQ(txn.requests.size(), 2u);
  EXPECT_NE(txn.requests[1].bytes.find("CANCEL "), std::string::npos);
  answer(txn.requests[0], 487, "Request Terminated");
  EXPECT_EQ(status_of(responses_to(1).back()), 487);
}

TEST_F(ProxyCore, UnknownUserIs404AndKnownButAbsentIs480) {
  deliver_request(1, invite("mallory"));
  EXPECT_EQ(status_of(responses_to(1).back()), 404);
  deliver_request(2, invite("carol", "", "call-2"));
  EXPECT_EQ(status_of(responses_to(2).back()), 480);
  EXPECT_TRUE(txn.requests.empty());
  EXPECT_EQ(core.active_requests(), 0u);
}

TEST_F(ProxyCore, ValidationLoopAndMaxForwards) {
  registered("bob", "sip:bob@10.0.0.7:5062", udp("198.51.100.9", 40000));
  auto zero = invite("bob");
  zero.replace(zero.find("Max-Forwards: 70"), 16, "Max-Forwards: 0");
  deliver_request(1, zero);
  EXPECT_EQ(status_of(responses_to(1).back()), 483);

  // The request we forwarded comes back to us unchanged: a loop.
  deliver_request(2, invite("bob", "", "call-2"));
  parsed looped(txn.requests[0].bytes);
  std::string back = invite("bob", "", "call-2");
  back.replace(back.find("Via: "), 0, "Via: " + std::string(looped.msg.top_via().text) + "\r\n");
  deliver_request(3, back);
  EXPECT_EQ(status_of(responses_to(3).back()), 482);

  deliver_request(4, invite("bob", "Require: 100rel\r\nProxy-Require: foo\r\n", "call-4"));
  const auto& r = responses_to(4).back();
  EXPECT_EQ(status_of(r), 420);
  EXPECT_NE(r.find("Unsupported: foo\r\n"), std::string::npos);
}

TEST_F(ProxyCore, InDialogRequestFollowsItsRouteAndOursIsRemoved) {
  const std::string bye =
      "BYE sip:bob@10.0.0.7:5062 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKbye1\r\n"
      "Route: <sip:203.0.113.1:5060;lr>\r\nMax-Forwards: 70\r\n"
      "To: <sip:bob@p2psip.test>;tag=callee\r\nFrom: <sip:alice@p2psip.test>;tag=a1\r\n"
      "Call-ID: call-1\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n";
  deliver_request(1, bye);
  ASSERT_EQ(txn.requests.size(), 1u);
  parsed fwd(txn.requests[0].bytes);
  EXPECT_EQ(fwd.msg.find(sip::header_id::route), nullptr);
  EXPECT_EQ(fwd.msg.request().uri_text, "sip:bob@10.0.0.7:5062");
  EXPECT_EQ(txn.requests[0].hop, udp("10.0.0.7", 5062));
  EXPECT_EQ(fwd.msg.find(sip::header_id::record_route), nullptr);
}

TEST_F(ProxyCore, AckForA2xxIsForwardedStatelesslyAndIdentically) {
  const std::string ack =
      "ACK sip:bob@10.0.0.7:5062 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKack1\r\n"
      "Route: <sip:203.0.113.1:5060;lr>\r\nMax-Forwards: 70\r\n"
      "To: <sip:bob@p2psip.test>;tag=callee\r\nFrom: <sip:alice@p2psip.test>;tag=a1\r\n"
      "Call-ID: call-1\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n";
  parsed p(ack);
  core.on_ack(p.msg, udp("192.0.2.10", 5060));
  core.on_ack(p.msg, udp("192.0.2.10", 5060));
  ASSERT_EQ(txn.stateless.size(), 2u);
  EXPECT_EQ(txn.stateless[0].hop, udp("10.0.0.7", 5062));
  EXPECT_EQ(txn.stateless[0].bytes, txn.stateless[1].bytes);
  parsed fwd(txn.stateless[0].bytes);
  EXPECT_EQ(fwd.msg.find(sip::header_id::route), nullptr);
  EXPECT_EQ(fwd.msg.max_forwards(), 69u);
}

TEST_F(ProxyCore, RelayingToOtherDomainsIsDenied) {
  std::string foreign = invite("bob");
  foreign.replace(foreign.find("sip:bob@p2psip.test SIP"), 19, "sip:bob@example.com");
  foreign.replace(foreign.find("sip:alice@p2psip.test"), 21, "sip:eve@example.org");
  deliver_request(1, foreign);
  EXPECT_EQ(status_of(responses_to(1).back()), 403);
}

TEST_F(ProxyCore, AUserOfOursLeavingForAnotherDomainIsChallengedFirst) {
  std::string foreign = invite("bob");
  foreign.replace(foreign.find("sip:bob@p2psip.test SIP"), 19, "sip:bob@example.com");
  deliver_request(1, foreign);
  EXPECT_EQ(status_of(responses_to(1).back()), 407);
  EXPECT_TRUE(txn.requests.empty());
}

TEST_F(ProxyCore, OptionsToTheProxyItselfIsAnswered) {
  deliver_request(
      1,
      "OPTIONS sip:203.0.113.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKo\r\n"
      "Max-Forwards: 70\r\nTo: <sip:203.0.113.1>\r\nFrom: <sip:alice@p2psip.test>;tag=o\r\n"
      "Call-ID: opt\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n");
  const auto& r = responses_to(1).back();
  EXPECT_EQ(status_of(r), 200);
  EXPECT_NE(r.find("Allow: "), std::string::npos);
}

TEST_F(ProxyCore, RegisterIsChallengedThenStoredAndThenRoutable) {
  const auto register_text = [](std::string_view auth_line) {
    return "REGISTER sip:p2psip.test SIP/2.0\r\nVia: SIP/2.0/UDP "
           "192.0.2.20:5060;branch=z9hG4bKr\r\n"
           "Max-Forwards: 70\r\nTo: <sip:bob@p2psip.test>\r\nFrom: <sip:bob@p2psip.test>;tag=r\r\n"
           "Call-ID: reg\r\nCSeq: 1 REGISTER\r\nContact: <sip:bob@192.0.2.20:5060>\r\n" +
           std::string(auth_line) + "Content-Length: 0\r\n\r\n";
  };
  deliver_request(1, register_text(""), udp("192.0.2.20", 5060));
  const auto challenge = responses_to(1).back();
  ASSERT_EQ(status_of(challenge), 401);
  parsed c(challenge);
  const auto www = sip::parse_credentials(c.msg.find(sip::header_id::www_authenticate)->value);
  ASSERT_TRUE(www);
  const auto nonce = std::string(*www->param("nonce"));
  const auto response = auth::request_digest(
      auth::algorithm::sha256, auth::ha1(auth::algorithm::sha256, "bob", "p2psip.test", "builder"),
      {"REGISTER", "sip:p2psip.test", nonce, "00000001", "abc", "auth"});
  const auto credentials =
      "Authorization: Digest username=\"bob\", realm=\"p2psip.test\", nonce=\"" + nonce +
      "\", uri=\"sip:p2psip.test\", response=\"" + response +
      "\", algorithm=SHA-256, qop=auth, nc=00000001, cnonce=\"abc\"\r\n";
  deliver_request(2, register_text(credentials), udp("192.0.2.20", 5060));
  ASSERT_EQ(status_of(responses_to(2).back()), 200);

  auto wrong = credentials;
  wrong.replace(wrong.find(response), response.size(), std::string(response.size(), '0'));
  EXPECT_TRUE(auth_failures.empty()) << "a challenge is no failure";
  deliver_request(3, register_text(wrong), udp("192.0.2.20", 5060));
  EXPECT_EQ(status_of(responses_to(3).back()), 403);
  EXPECT_EQ(auth_failures, std::vector<std::string>{"wrong credentials sip:bob@p2psip.test"});

  deliver_request(4, invite("bob"));
  ASSERT_EQ(txn.requests.size(), 1u);
  EXPECT_EQ(txn.requests[0].hop, udp("192.0.2.20", 5060));
  EXPECT_EQ(core.active_requests(), 1u);
}

// bob's REGISTER with `auth_line`, as phone and attacker send it.
std::string bob_register(std::string_view auth_line, std::string_view cseq = "1") {
  return "REGISTER sip:p2psip.test SIP/2.0\r\nVia: SIP/2.0/UDP "
         "192.0.2.20:5060;branch=z9hG4bKr" +
         std::string(cseq) +
         "\r\n"
         "Max-Forwards: 70\r\nTo: <sip:bob@p2psip.test>\r\nFrom: <sip:bob@p2psip.test>;tag=r\r\n"
         "Call-ID: reg\r\nCSeq: " +
         std::string(cseq) + " REGISTER\r\nContact: <sip:bob@192.0.2.20:5060>\r\n" +
         std::string(auth_line) + "Content-Length: 0\r\n\r\n";
}

// bob's Authorization line for the WWW-Authenticate of `challenge`.
std::string bob_credentials(const std::string& challenge, std::string_view uri = "sip:p2psip.test",
                            std::string_view nc = "00000001") {
  parsed c(challenge);
  const auto www = sip::parse_credentials(c.msg.find(sip::header_id::www_authenticate)->value);
  EXPECT_TRUE(www);
  const auto nonce = std::string(*www->param("nonce"));
  const auto response = auth::request_digest(
      auth::algorithm::sha256, auth::ha1(auth::algorithm::sha256, "bob", "p2psip.test", "builder"),
      {"REGISTER", uri, nonce, nc, "abc", "auth"});
  return "Authorization: Digest username=\"bob\", realm=\"p2psip.test\", nonce=\"" + nonce +
         "\", uri=\"" + std::string(uri) + "\", response=\"" + response +
         "\", algorithm=SHA-256, qop=auth, nc=" + std::string(nc) + ", cnonce=\"abc\"\r\n";
}

TEST_F(ProxyCore, ReplayedRegisterIsChallengedAgainAndTheFreshNonceWorks) {
  const auto phone = udp("192.0.2.20", 5060);
  deliver_request(1, bob_register(""), phone);
  const auto first = bob_credentials(responses_to(1).back());
  deliver_request(2, bob_register(first, "2"), phone);
  ASSERT_EQ(status_of(responses_to(2).back()), 200);

  // The captured REGISTER, played again (a new transaction, the same bytes
  // but the branch): refused with a stale challenge, stored nothing.
  deliver_request(3, bob_register(first, "3"), udp("198.51.100.66", 5060));
  const auto again = responses_to(3).back();
  ASSERT_EQ(status_of(again), 401);
  parsed c(again);
  EXPECT_EQ(
      sip::parse_credentials(c.msg.find(sip::header_id::www_authenticate)->value)->param("stale"),
      "true");

  // The phone's own refresh with the next count, and its answer to the
  // stale challenge, are taken.
  deliver_request(
      4, bob_register(bob_credentials(responses_to(1).back(), "sip:p2psip.test", "00000002"), "4"),
      phone);
  EXPECT_EQ(status_of(responses_to(4).back()), 200);
  deliver_request(5, bob_register(bob_credentials(again), "5"), phone);
  EXPECT_EQ(status_of(responses_to(5).back()), 200);
}

TEST_F(ProxyCore, CredentialsForAnotherUriAreABadRequest) {
  deliver_request(1, bob_register(""), udp("192.0.2.20", 5060));
  const auto credentials = bob_credentials(responses_to(1).back(), "sip:elsewhere.test");
  deliver_request(2, bob_register(credentials, "2"), udp("192.0.2.20", 5060));
  const auto& answer = responses_to(2).back();
  EXPECT_EQ(status_of(answer), 400);
  EXPECT_NE(answer.find("Digest URI"), std::string::npos);
  // Nothing was registered: bob is a known user, not reachable now.
  deliver_request(3, invite("bob"));
  EXPECT_EQ(status_of(responses_to(3).back()), 480);
}

TEST_F(ProxyCore, StrictRouterRequestUriIsReplacedByTheLastRoute) {
  deliver_request(
      1,
      "BYE sip:203.0.113.1:5060;lr SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKs\r\n"
      "Route: <sip:bob@10.0.0.7:5062>\r\nMax-Forwards: 70\r\n"
      "To: <sip:bob@p2psip.test>;tag=callee\r\nFrom: <sip:alice@p2psip.test>;tag=a1\r\n"
      "Call-ID: call-1\r\nCSeq: 3 BYE\r\nContent-Length: 0\r\n\r\n");
  ASSERT_EQ(txn.requests.size(), 1u);
  parsed fwd(txn.requests[0].bytes);
  EXPECT_EQ(fwd.msg.request().uri_text, "sip:bob@10.0.0.7:5062");
  EXPECT_EQ(fwd.msg.find(sip::header_id::route), nullptr);
  EXPECT_EQ(txn.requests[0].hop, udp("10.0.0.7", 5062));
}

TEST_F(ProxyCore, Late2xxRetransmissionStillGoesUpstream) {
  registered("bob", "sip:bob@10.0.0.7:5062", udp("198.51.100.9", 40000));
  deliver_request(1, invite("bob"));
  answer(txn.requests[0], 200, "OK");
  EXPECT_EQ(core.active_requests(), 0u);
  answer(txn.requests[0], 200, "OK");
  EXPECT_EQ(responses_to(1).size(), 3u);
  core.on_terminated(txn.requests[0].id);
  answer(txn.requests[0], 200, "OK");
  EXPECT_EQ(responses_to(1).size(), 3u);
  EXPECT_EQ(core.stats().stray_responses, 1u);
}

// §16.6 step 11 / §16.8: a branch that rang and then went silent is
// cancelled after Timer C, and given up 64*T1 later if the CANCEL is not
// answered either; one that never answered at all is given up after Timer C.
TEST_F(ProxyCore, TimerCCancelsASilentBranchAndThenGivesItUp) {
  registered("bob", "sip:bob@10.0.0.7:5062", udp("198.51.100.9", 40000));
  deliver_request(1, invite("bob"));
  answer(txn.requests[0], 180, "Ringing");
  pass(179s);
  EXPECT_EQ(txn.requests.size(), 1u);
  answer(txn.requests[0], 183, "Session Progress");  // restarts Timer C
  pass(179s);
  EXPECT_EQ(txn.requests.size(), 1u);
  pass(1s);
  ASSERT_EQ(txn.requests.size(), 2u);
  EXPECT_NE(txn.requests[1].bytes.find("CANCEL "), std::string::npos);
  EXPECT_EQ(status_of(responses_to(1).back()), 183);
  pass(31s);
  EXPECT_TRUE(txn.abandoned.empty());
  pass(1s);
  EXPECT_EQ(txn.abandoned, (std::vector<transaction_id>{txn.requests[0].id}));
  EXPECT_EQ(status_of(responses_to(1).back()), 408);
  EXPECT_EQ(core.active_requests(), 0u);
  EXPECT_FALSE(core.next_deadline());
}

TEST_F(ProxyCore, TimerCStopsWithTheFinalResponse) {
  registered("bob", "sip:bob@10.0.0.7:5062", udp("198.51.100.9", 40000));
  deliver_request(1, invite("bob"));
  EXPECT_TRUE(core.next_deadline());
  answer(txn.requests[0], 486, "Busy Here");
  EXPECT_FALSE(core.next_deadline());
  pass(600s);
  EXPECT_EQ(txn.requests.size(), 1u);
}

TEST_F(ProxyCore, AClosedTcpFlowFallsBackToTheRegisteredContact) {
  const transport::endpoint flow{transport::protocol::tcp, asio::ip::make_address("198.51.100.9"),
                                 40000, 17};
  registered("bob", "sip:bob@10.0.0.7:5062;transport=tcp", flow);
  deliver_request(1, invite("bob"));
  ASSERT_EQ(txn.requests.size(), 1u);
  EXPECT_EQ(txn.requests[0].hop, flow);
  core.on_transport_error(txn.requests[0].id);
  ASSERT_EQ(txn.requests.size(), 2u);
  const transport::endpoint contact{transport::protocol::tcp, asio::ip::make_address("10.0.0.7"),
                                    5062, 0};
  EXPECT_EQ(txn.requests[1].hop, contact);
  answer(txn.requests[1], 200, "OK");
  EXPECT_EQ(status_of(responses_to(1).back()), 200);

  // Over UDP there is no connection to lose: a send error ends the branch.
  registered("carol", "sip:carol@10.0.0.9:5062", udp("198.51.100.11", 40000));
  deliver_request(2, invite("carol", "", "call-2"));
  core.on_transport_error(txn.requests.back().id);
  EXPECT_EQ(status_of(responses_to(2).back()), 500);
}

// A request the transaction layer refuses to send (too large once our Via
// and Record-Route are on it) is answered, and the core lets it go.
TEST_F(ProxyCore, ARefusedBranchIsAnsweredAndItsRequestFreed) {
  registered("bob", "sip:bob@10.0.0.7:5062", udp("198.51.100.9", 40000));
  txn.refuse_requests = true;
  deliver_request(1, invite("bob"));
  ASSERT_EQ(responses_to(1).size(), 2u);
  EXPECT_EQ(status_of(responses_to(1)[1]), 513);
  EXPECT_EQ(core.active_requests(), 0u);
  EXPECT_EQ(core.stats().refused_branches, 1u);
  EXPECT_FALSE(core.next_deadline()) << "no Timer C for a branch that never started";
}

TEST_F(ProxyCore, ARefusedRetryOverANewConnectionEndsTheBranch) {
  const transport::endpoint flow{transport::protocol::tcp, asio::ip::make_address("198.51.100.9"),
                                 40000, 17};
  registered("bob", "sip:bob@10.0.0.7:5062;transport=tcp", flow);
  deliver_request(1, invite("bob"));
  ASSERT_EQ(txn.requests.size(), 1u);
  txn.refuse_requests = true;
  core.on_transport_error(txn.requests[0].id);
  EXPECT_EQ(status_of(responses_to(1).back()), 500) << "the branch's 503, as §16.7 passes it on";
  EXPECT_EQ(core.active_requests(), 0u);
}

TEST_F(ProxyCore, PastItsBoundOnRequestsInFlightTheCoreAnswers503WithRetryAfter) {
  proxy_config config{{"p2psip.test"}, {udp("203.0.113.1", 5060)}, {}, true, false};
  config.max_requests = 2;
  config.retry_after = 7s;
  proxy_core bounded(config, txn, [this] { return steady_now; });
  chain_settings chain;
  chain.store = &store;
  chain.now = [this] { return now; };
  install_standard_chain(bounded, chain);
  registered("bob", "sip:bob@10.0.0.7:5062", udp("198.51.100.9", 40000));
  for (transaction_id server = 1; server <= 3; ++server) {
    parsed p(invite("bob", "", "call-" + std::to_string(server)));
    bounded.on_request(server, p.msg, udp("192.0.2.10", 5060));
  }
  EXPECT_EQ(bounded.active_requests(), 2u);
  ASSERT_EQ(responses_to(3).size(), 1u);
  parsed refused(responses_to(3)[0]);
  EXPECT_EQ(refused.msg.status().code, 503);
  EXPECT_NE(responses_to(3)[0].find("\r\nRetry-After: 7\r\n"), std::string::npos);
  EXPECT_EQ(bounded.stats().overloaded, 1u);

  // An answer frees a place: the next request is taken again.
  parsed forwarded(txn.requests[0].bytes);
  parsed busy(sip::make_response(forwarded.msg, 486, "Busy Here", "callee"));
  bounded.on_response(txn.requests[0].id, busy.msg);
  parsed again(invite("bob", "", "call-4"));
  bounded.on_request(4, again.msg, udp("192.0.2.10", 5060));
  EXPECT_EQ(bounded.active_requests(), 2u);
  EXPECT_EQ(status_of(responses_to(4)[0]), 100);
}

}  // namespace
}  // namespace p2psip::proxy
