// The operator's one line per call: what call_log reports, and when.
#include "proxy/call_log.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "sip/parser.hpp"

namespace p2psip::proxy {
namespace {

using namespace std::chrono_literals;

struct request {
  std::string bytes;
  sip::message msg;
  explicit request(std::string_view method, std::string_view call_id) {
    bytes = std::string(method) +
            " sip:bob@p2psip.test SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK1\r\n"
            "To: <sip:bob@p2psip.test>\r\n"
            "From: \"Alice\" <sip:alice@p2psip.test>;tag=a1\r\n"
            "Call-ID: " +
            std::string(call_id) + "\r\nCSeq: 1 " + std::string(method) +
            "\r\nContent-Length: 0\r\n\r\n";
    EXPECT_TRUE(sip::parse(bytes, msg));
  }
};

class CallLog : public ::testing::Test {
 protected:
  const transport::endpoint source{transport::protocol::udp, asio::ip::make_address("192.0.2.10"),
                                   5060, 0};
  call_log::time_point t0{};
  std::vector<call_summary> seen;
  call_log::sink sink = [this](const call_summary& s) { seen.push_back(s); };
};

TEST_F(CallLog, AFailedCallIsReportedAtItsFinalResponse) {
  call_log log(sink);
  request invite("INVITE", "c1");
  log.invite_answered(invite.msg, source, 486, t0, t0 + 1200ms);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].caller, "sip:alice@p2psip.test");
  EXPECT_EQ(seen[0].callee, "sip:bob@p2psip.test");
  EXPECT_EQ(seen[0].status, 486);
  EXPECT_EQ(seen[0].setup, 1200ms);
  EXPECT_FALSE(seen[0].duration);
  EXPECT_EQ(log.open_calls(), 0u);
}

TEST_F(CallLog, AnAnsweredCallIsReportedWhenItsByeIsAnswered) {
  call_log log(sink);
  request invite("INVITE", "c1");
  log.invite_answered(invite.msg, source, 200, t0, t0 + 300ms);
  EXPECT_TRUE(seen.empty());
  request bye("BYE", "c1");
  log.bye_answered(bye.msg, t0 + 300ms + 42s);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].status, 200);
  EXPECT_EQ(seen[0].setup, 300ms);
  EXPECT_EQ(seen[0].duration, 42000ms);
  request other("BYE", "c2");
  log.bye_answered(other.msg, t0 + 50s);
  EXPECT_EQ(seen.size(), 1u) << "a BYE of no call we saw answered reports nothing";
}

TEST_F(CallLog, OpenCallsAreBoundedInNumberAndAge) {
  call_log log(sink, 2, 1h);
  for (const auto* id : {"c1", "c2", "c3"}) {
    request invite("INVITE", id);
    log.invite_answered(invite.msg, source, 200, t0, t0);
  }
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].call_id, "c1") << "the oldest goes, reported without a duration";
  EXPECT_FALSE(seen[0].duration);
  EXPECT_EQ(log.open_calls(), 2u);

  request late("INVITE", "c4");
  log.invite_answered(late.msg, source, 603, t0 + 2h, t0 + 2h);
  EXPECT_EQ(log.open_calls(), 0u) << "an hour past their answer, c2 and c3 are reported";
  EXPECT_EQ(seen.size(), 4u);
}

}  // namespace
}  // namespace p2psip::proxy
