// RFC 3263 §4.1 and §4.2, one test per rule, on scripted DNS answers.
#include "dns/rfc3263.hpp"

#include <gtest/gtest.h>

#include "dns/locator.hpp"
#include "fake_resolver.hpp"

namespace p2psip::dns::test {
namespace {

using transport::protocol;

class Rfc3263Rules : public ::testing::Test {
 protected:
  struct outcome {
    int calls = 0;
    std::error_code ec;
    std::vector<destination> found;
  };

  outcome locate(std::string_view uri, locator::settings s = {}) {
    locator loc(
        dns_, std::move(s), [] { return 0u; },
        [] { return locator::clock::time_point{} + std::chrono::hours{1}; });
    outcome out;
    loc.locate(uri, [&out](std::error_code ec, std::vector<destination> found) {
      ++out.calls;
      out.ec = ec;
      out.found = std::move(found);
    });
    dns_.run();
    return out;
  }

  const std::vector<question>& asked() const { return dns_.asked; }

  fake_resolver dns_;
};

question q(std::string name, rr_type type) {
  return {std::move(name), type};
}

TEST_F(Rfc3263Rules, IpLiteralNeedsNoDnsAndTakesTheSchemeDefaults) {
  auto out = locate("sip:alice@192.0.2.1");
  EXPECT_EQ(out.found, (std::vector{dest(protocol::udp, "192.0.2.1", 5060)}));
  out = locate("sips:alice@[2001:db8::1]");
  EXPECT_EQ(out.found, (std::vector{dest(protocol::tls, "2001:db8::1", 5061)}));
  out = locate("sip:192.0.2.1:5080;transport=TCP");
  EXPECT_EQ(out.found, (std::vector{dest(protocol::tcp, "192.0.2.1", 5080)}));
  EXPECT_TRUE(asked().empty());
}

TEST_F(Rfc3263Rules, MaddrIsTheTargetInPlaceOfTheHost) {
  const auto out = locate("sip:bob@example.com;maddr=192.0.2.7;transport=tcp");
  EXPECT_EQ(out.found, (std::vector{dest(protocol::tcp, "192.0.2.7", 5060)}));
  EXPECT_TRUE(asked().empty());
}

TEST_F(Rfc3263Rules, ExplicitPortAsksOnlyForAddresses) {
  dns_.set("example.com", rr_type::a, addresses({"192.0.2.1"}));
  dns_.set("example.com", rr_type::aaaa, addresses({"2001:db8::1"}));
  const auto out = locate("sip:example.com:5080");
  EXPECT_EQ(out.found, (std::vector{dest(protocol::udp, "192.0.2.1", 5080),
                                    dest(protocol::udp, "2001:db8::1", 5080)}));
  EXPECT_EQ(asked(), (std::vector{q("example.com", rr_type::a), q("example.com", rr_type::aaaa)}));
}

TEST_F(Rfc3263Rules, ExplicitPortInSipsUriMeansTls) {
  dns_.set("example.com", rr_type::a, addresses({"192.0.2.1"}));
  const auto out = locate("sips:example.com:5081");
  EXPECT_EQ(out.found, (std::vector{dest(protocol::tls, "192.0.2.1", 5081)}));
}

TEST_F(Rfc3263Rules, ExplicitTransportAsksSrvForThatTransport) {
  dns_.set("_sip._tcp.example.com", rr_type::srv, srvs({srv(10, 0, 5070, "p1.example.com")}));
  dns_.set("p1.example.com", rr_type::a, addresses({"192.0.2.11"}));
  const auto out = locate("sip:example.com;transport=tcp");
  EXPECT_EQ(out.found, (std::vector{dest(protocol::tcp, "192.0.2.11", 5070)}));
  EXPECT_EQ(asked().front(), q("_sip._tcp.example.com", rr_type::srv));
}

TEST_F(Rfc3263Rules, ExplicitTransportWithoutSrvUsesTheHostOnTheDefaultPort) {
  dns_.fail("_sips._tcp.example.com", rr_type::srv, error::no_data);
  dns_.set("example.com", rr_type::a, addresses({"192.0.2.1"}));
  const auto out = locate("sip:example.com;transport=tls");
  EXPECT_EQ(out.found, (std::vector{dest(protocol::tls, "192.0.2.1", 5061)}));
}

TEST_F(Rfc3263Rules, NaptrRecordsAreSortedByOrderThenPreference) {
  dns_.set("example.com", rr_type::naptr,
           naptrs({naptr(20, 10, "SIP+D2U", "_sip._udp.example.com"),
                   naptr(10, 20, "SIP+D2T", "_sip._tcp.example.com"),
                   naptr(10, 10, "SIPS+D2T", "_sips._tcp.example.com")}));
  dns_.set("_sip._udp.example.com", rr_type::srv, srvs({srv(0, 0, 5060, "u.example.com")}));
  dns_.set("_sip._tcp.example.com", rr_type::srv, srvs({srv(0, 0, 5060, "t.example.com")}));
  dns_.set("_sips._tcp.example.com", rr_type::srv, srvs({srv(0, 0, 5061, "s.example.com")}));
  dns_.set("u.example.com", rr_type::a, addresses({"192.0.2.1"}));
  dns_.set("t.example.com", rr_type::a, addresses({"192.0.2.2"}));
  dns_.set("s.example.com", rr_type::a, addresses({"192.0.2.3"}));
  const auto out = locate("sip:example.com");
  EXPECT_EQ(out.found, (std::vector{dest(protocol::tls, "192.0.2.3", 5061),
                                    dest(protocol::tcp, "192.0.2.2", 5060),
                                    dest(protocol::udp, "192.0.2.1", 5060)}));
}

TEST_F(Rfc3263Rules, NaptrServicesTheNodeDoesNotSupportAreSkipped) {
  dns_.set("example.com", rr_type::naptr,
           naptrs({naptr(10, 10, "SIPS+D2T", "_sips._tcp.example.com"),
                   naptr(10, 20, "SIP+D2S", "_sip._sctp.example.com"),
                   naptr(10, 30, "E2U+sip", "!^.*$!sip:x@example.com!", "U"),
                   naptr(10, 40, "SIP+D2T", "_sip._tcp.example.com")}));
  dns_.set("_sip._tcp.example.com", rr_type::srv, srvs({srv(0, 0, 5060, "t.example.com")}));
  dns_.set("t.example.com", rr_type::a, addresses({"192.0.2.2"}));
  locator::settings no_tls;
  no_tls.transports = {protocol::udp, protocol::tcp};
  const auto out = locate("sip:example.com", no_tls);
  EXPECT_EQ(out.found, (std::vector{dest(protocol::tcp, "192.0.2.2", 5060)}));
  for (const auto& asked_q : asked()) {
    EXPECT_NE(asked_q.name, "_sips._tcp.example.com");
    EXPECT_NE(asked_q.name, "_sip._sctp.example.com");
  }
}

TEST_F(Rfc3263Rules, SipsUriUsesOnlySipsD2t) {
  dns_.set("example.com", rr_type::naptr,
           naptrs({naptr(10, 10, "SIP+D2U", "_sip._udp.example.com"),
                   naptr(20, 10, "SIPS+D2T", "_sips._tcp.example.com")}));
  dns_.set("_sip._udp.example.com", rr_type::srv, srvs({srv(0, 0, 5060, "u.example.com")}));
  dns_.set("_sips._tcp.example.com", rr_type::srv, srvs({srv(0, 0, 5061, "s.example.com")}));
  dns_.set("u.example.com", rr_type::a, addresses({"192.0.2.1"}));
  dns_.set("s.example.com", rr_type::a, addresses({"192.0.2.3"}));
  const auto out = locate("sips:example.com");
  EXPECT_EQ(out.found, (std::vector{dest(protocol::tls, "192.0.2.3", 5061)}));
}

// Kamailio #2290: only the first NAPTR was followed.
TEST_F(Rfc3263Rules, EveryUsableNaptrIsFollowedNotOnlyTheFirst) {
  dns_.set("example.com", rr_type::naptr,
           naptrs({naptr(10, 10, "SIP+D2T", "_sip._tcp.example.com"),
                   naptr(20, 10, "SIP+D2U", "_sip._udp.example.com")}));
  dns_.fail("_sip._tcp.example.com", rr_type::srv, error::server_failure);
  dns_.set("_sip._udp.example.com", rr_type::srv, srvs({srv(0, 0, 5060, "u.example.com")}));
  dns_.set("u.example.com", rr_type::a, addresses({"192.0.2.1"}));
  const auto out = locate("sip:example.com");
  EXPECT_FALSE(out.ec);
  EXPECT_EQ(out.found, (std::vector{dest(protocol::udp, "192.0.2.1", 5060)}));
}

TEST_F(Rfc3263Rules, NoUsableNaptrAsksSrvForEachSupportedTransportInTheNodesOrder) {
  dns_.set("example.com", rr_type::naptr,
           naptrs({naptr(10, 10, "SIP+D2S", "_sip._sctp.example.com")}));
  dns_.set("_sip._udp.example.com", rr_type::srv, srvs({srv(0, 0, 5060, "u.example.com")}));
  dns_.set("_sip._tcp.example.com", rr_type::srv, srvs({srv(0, 0, 5062, "t.example.com")}));
  dns_.set("_sips._tcp.example.com", rr_type::srv, srvs({srv(0, 0, 5063, "s.example.com")}));
  dns_.set("u.example.com", rr_type::a, addresses({"192.0.2.1"}));
  dns_.set("t.example.com", rr_type::a, addresses({"192.0.2.2"}));
  dns_.set("s.example.com", rr_type::a, addresses({"192.0.2.3"}));
  locator::settings tcp_first;
  tcp_first.transports = {protocol::tcp, protocol::tls, protocol::udp};
  const auto out = locate("sip:example.com", tcp_first);
  EXPECT_EQ(out.found, (std::vector{dest(protocol::tcp, "192.0.2.2", 5062),
                                    dest(protocol::tls, "192.0.2.3", 5063),
                                    dest(protocol::udp, "192.0.2.1", 5060)}));
  EXPECT_EQ(std::vector(asked().begin(), asked().begin() + 4),
            (std::vector{q("example.com", rr_type::naptr), q("_sip._tcp.example.com", rr_type::srv),
                         q("_sips._tcp.example.com", rr_type::srv),
                         q("_sip._udp.example.com", rr_type::srv)}));
}

TEST_F(Rfc3263Rules, SipsUriWithoutNaptrAsksOnlySipsTcp) {
  dns_.set("_sips._tcp.example.com", rr_type::srv, srvs({srv(0, 0, 5061, "s.example.com")}));
  dns_.set("s.example.com", rr_type::a, addresses({"192.0.2.3"}));
  const auto out = locate("sips:example.com");
  EXPECT_EQ(out.found, (std::vector{dest(protocol::tls, "192.0.2.3", 5061)}));
  for (const auto& asked_q : asked()) {
    EXPECT_NE(asked_q.name, "_sip._udp.example.com");
    EXPECT_NE(asked_q.name, "_sip._tcp.example.com");
  }
}

TEST_F(Rfc3263Rules, NoSrvRecordsFallBackToTheHostOnTheDefaultPort) {
  dns_.set("example.com", rr_type::a, addresses({"192.0.2.1"}));
  auto out = locate("sip:example.com");
  EXPECT_EQ(out.found, (std::vector{dest(protocol::udp, "192.0.2.1", 5060)}));
  out = locate("sips:example.com");
  EXPECT_EQ(out.found, (std::vector{dest(protocol::tls, "192.0.2.1", 5061)}));
  locator::settings no_udp;
  no_udp.transports = {protocol::tcp};
  out = locate("sip:example.com", no_udp);
  EXPECT_EQ(out.found, (std::vector{dest(protocol::tcp, "192.0.2.1", 5060)}));
}

// RFC 2782: "." as the only target: the service is decidedly not available,
// so the host's own addresses are not tried either.
TEST_F(Rfc3263Rules, SrvTargetDotMeansServiceNotAvailable) {
  dns_.set("_sip._tcp.example.com", rr_type::srv, srvs({srv(0, 0, 0, ".")}));
  dns_.set("example.com", rr_type::a, addresses({"192.0.2.1"}));
  const auto out = locate("sip:example.com;transport=tcp");
  EXPECT_TRUE(out.found.empty());
  EXPECT_EQ(out.ec, error::no_data);
  for (const auto& asked_q : asked()) EXPECT_NE(asked_q.type, rr_type::a);
}

TEST_F(Rfc3263Rules, SrvPriorityAscendingAndPortsFromTheRecords) {
  dns_.set("_sip._udp.example.com", rr_type::srv,
           srvs({srv(20, 0, 5090, "b.example.com"), srv(10, 0, 5080, "a.example.com")}));
  dns_.set("a.example.com", rr_type::a, addresses({"192.0.2.1"}));
  dns_.set("a.example.com", rr_type::aaaa, addresses({"2001:db8::1"}));
  dns_.set("b.example.com", rr_type::a, addresses({"192.0.2.2"}));
  const auto out = locate("sip:example.com;transport=udp");
  EXPECT_EQ(out.found, (std::vector{dest(protocol::udp, "192.0.2.1", 5080),
                                    dest(protocol::udp, "2001:db8::1", 5080),
                                    dest(protocol::udp, "192.0.2.2", 5090)}));
}

// resiprocate PR #181: names from NAPTR and SRV answers compared
// case-sensitively failed to match.
TEST_F(Rfc3263Rules, NamesAndServicesCompareCaseInsensitively) {
  dns_.set("Example.COM", rr_type::naptr,
           naptrs({naptr(10, 10, "sip+d2t", "_SIP._TCP.Example.COM.", "s")}));
  dns_.set("_sip._tcp.example.com", rr_type::srv,
           srvs({srv(0, 0, 5060, "P1.example.com."), srv(1, 0, 5060, "p1.EXAMPLE.com")}));
  dns_.set("p1.example.com", rr_type::a, addresses({"192.0.2.1"}));
  const auto out = locate("sip:Example.COM");
  EXPECT_EQ(out.found, (std::vector{dest(protocol::tcp, "192.0.2.1", 5060)}));
  const auto a_queries = std::count_if(asked().begin(), asked().end(),
                                       [](const question& x) { return x.type == rr_type::a; });
  EXPECT_EQ(a_queries, 1);
}

// Kamailio #4359: more than 100 records were a hard error.
TEST_F(Rfc3263Rules, MoreThanAHundredRecordsWork) {
  std::vector<naptr_record> many_naptrs;
  for (std::uint16_t i = 0; i < 150; ++i)
    many_naptrs.push_back(naptr(i, 0, "E2U+sip", "!^.*$!sip:x@example.com!", "U"));
  many_naptrs.push_back(naptr(200, 0, "SIP+D2U", "_sip._udp.example.com"));
  dns_.set("example.com", rr_type::naptr, naptrs(many_naptrs));
  std::vector<srv_record> many_srvs;
  for (int i = 0; i < 150; ++i) {
    const auto host = "h" + std::to_string(i) + ".example.com";
    many_srvs.push_back(srv(static_cast<std::uint16_t>(i), 1, 5060, host));
    dns_.set(host, rr_type::a,
             addresses({"10.0." + std::to_string(i / 100) + "." + std::to_string(i % 100)}));
  }
  dns_.set("_sip._udp.example.com", rr_type::srv, srvs(many_srvs));
  const auto out = locate("sip:example.com");
  ASSERT_EQ(out.found.size(), 150u);
  EXPECT_EQ(out.found.front(), dest(protocol::udp, "10.0.0.0", 5060));
  EXPECT_EQ(out.found.back(), dest(protocol::udp, "10.0.1.49", 5060));
}

TEST_F(Rfc3263Rules, WorkPerUriIsBounded) {
  std::vector<srv_record> many_srvs;
  for (int i = 0; i < 300; ++i)
    many_srvs.push_back(srv(0, 1, 5060, "h" + std::to_string(i) + ".example.com"));
  dns_.set("_sip._udp.example.com", rr_type::srv, srvs(many_srvs));
  locator::settings s;
  s.limits.max_host_lookups = 10;
  locate("sip:example.com;transport=udp", s);
  EXPECT_EQ(asked().size(), 1u + 2u * 10u);
}

TEST_F(Rfc3263Rules, UrisThatCannotBeResolvedSayWhy) {
  EXPECT_EQ(locate("tel:+15551234").ec, error::bad_uri);
  EXPECT_EQ(locate("sip:example.com;transport=sctp").ec, error::unsupported_transport);
  EXPECT_EQ(locate("sips:example.com;transport=udp").ec, error::unsupported_transport);
  locator::settings no_tls;
  no_tls.transports = {protocol::udp, protocol::tcp};
  EXPECT_EQ(locate("sips:example.com", no_tls).ec, error::unsupported_transport);
  EXPECT_TRUE(asked().empty());
}

TEST_F(Rfc3263Rules, ANameThatDoesNotExistIsNotFound) {
  const auto out = locate("sip:nowhere.example.com");
  EXPECT_EQ(out.calls, 1);
  EXPECT_EQ(out.ec, error::not_found);
}

TEST_F(Rfc3263Rules, ATransientFailureIsReportedBeforeANegativeAnswer) {
  dns_.fail("example.com", rr_type::naptr, error::timeout);
  const auto out = locate("sip:example.com");
  EXPECT_EQ(out.ec, error::timeout);
}

// The sans-I/O core by itself: questions out, answers in.
TEST(Rfc3263Resolution, HandsOutEachQuestionOnceAndIgnoresUnaskedAnswers) {
  resolution r(parse_target("sip:example.com:5070").target, {protocol::udp});
  const auto first = r.take_questions();
  EXPECT_EQ(first.size(), 2u);
  EXPECT_TRUE(r.take_questions().empty());
  EXPECT_FALSE(r.finished());
  r.on_answer(q("other.example.com", rr_type::a), {}, addresses({"192.0.2.9"}));
  r.on_answer(first[0], {}, addresses({"192.0.2.1"}));
  EXPECT_FALSE(r.finished());
  r.on_answer(first[1], error::no_data, {});
  ASSERT_TRUE(r.finished());
  EXPECT_EQ(r.destinations([] { return 0u; }),
            (std::vector{dest(protocol::udp, "192.0.2.1", 5070)}));
}

}  // namespace
}  // namespace p2psip::dns::test
