// The c-ares resolver against a real BIND9 started by the test: records and
// TTLs as the server gives them, negative answers with the SOA's TTL, TCP
// after truncation, errors, lifetimes; then the whole client, RFC 3263
// included. Real time, bounded by a few seconds per test.
#include "dns/cares_resolver.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <asio/io_context.hpp>
#include <memory>
#include <optional>

#include "dns/client.hpp"
#include "fake_resolver.hpp"
#include "support/named_server.hpp"

namespace p2psip::dns::test {
namespace {

using namespace std::chrono_literals;
using transport::protocol;

std::string zone_text() {
  std::string text = R"($TTL 300
@          IN SOA ns.example.test. admin.example.test. 1 3600 600 86400 30
@          IN NS  ns
ns         IN A   127.0.0.1
@     1234 IN NAPTR 10 20 "S" "SIP+D2U"  "" _sip._udp.example.test.
@     1234 IN NAPTR 20 10 "s" "SIPS+D2T" "" _sips._tcp.example.test.
_sip._udp  IN SRV 10 60 5060 p1
_sip._udp  IN SRV 20 0  5070 p2
_sips._tcp IN SRV 0  0  5061 p1
_sip._tcp  IN SRV 0  0  0    .
p1         IN A    192.0.2.1
p1         IN AAAA 2001:db8::1
p2         IN A    192.0.2.2
alias  100 IN CNAME p1
)";
  // 150 SRV records with long targets: far over 1232 bytes, so UDP gets a
  // truncated answer and c-ares must ask again over TCP (Kamailio #2651).
  for (int i = 0; i < 150; ++i) {
    text += "_sip._udp.big IN SRV 0 1 5060 a-rather-long-target-name-for-the-test-" +
            std::to_string(i) + ".example.test.\n";
  }
  return text;
}

class CaresAgainstBind9 : public ::testing::Test {
 protected:
  void SetUp() override {
    std::error_code ec;
    resolver_ = cares_resolver::create(io_.get_executor(), network_settings(), ec);
    ASSERT_FALSE(ec) << ec.message();
  }

  cares_resolver::settings network_settings() const {
    cares_resolver::settings s;
    s.servers = {named_.server()};
    s.query_timeout = 3s;
    return s;
  }

  struct result {
    std::error_code ec;
    answer a;
  };

  // Runs the loop until `done` says so, for at most 5 s.
  template <typename Done>
  void run_until(Done done) {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!done() && std::chrono::steady_clock::now() < deadline) io_.run_one_for(50ms);
  }

  result ask(std::string_view name, rr_type type) {
    std::optional<result> out;
    resolver_->query(name, type, [&out](std::error_code ec, answer a) {
      out = {ec, std::move(a)};
    });
    run_until([&] { return out.has_value(); });
    EXPECT_TRUE(out) << "no answer for " << name << " " << to_string(type);
    return out.value_or(result{error::cancelled, {}});
  }

  asio::io_context io_;
  p2psip::test::named_server named_{
      {{{"example.test.", zone_text(), {}}}, {}, "max-records-per-type 0;"}};
  std::unique_ptr<cares_resolver> resolver_;
};

TEST_F(CaresAgainstBind9, NaptrRecordsWithTheirTtl) {
  const auto [ec, a] = ask("example.test", rr_type::naptr);
  ASSERT_FALSE(ec) << ec.message();
  ASSERT_EQ(a.naptrs.size(), 2u);
  EXPECT_EQ(a.ttl, 1234s);
  const auto first = a.naptrs[0].order == 10 ? a.naptrs[0] : a.naptrs[1];
  EXPECT_EQ(first, (naptr_record{10, 20, "S", "SIP+D2U", "", "_sip._udp.example.test"}));
}

TEST_F(CaresAgainstBind9, SrvRecordsWithTheirTtl) {
  auto [ec, a] = ask("_sip._udp.example.test", rr_type::srv);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(a.ttl, 300s);
  std::sort(a.srvs.begin(), a.srvs.end(),
            [](const srv_record& x, const srv_record& y) { return x.priority < y.priority; });
  EXPECT_EQ(a.srvs, (std::vector{srv(10, 60, 5060, "p1.example.test"),
                                 srv(20, 0, 5070, "p2.example.test")}));
}

TEST_F(CaresAgainstBind9, SrvTargetDotIsKeptAsTheRoot) {
  const auto [ec, a] = ask("_sip._tcp.example.test", rr_type::srv);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(a.srvs, (std::vector{srv(0, 0, 0, ".")}));
}

TEST_F(CaresAgainstBind9, AAndAaaaAddresses) {
  const auto v4 = ask("p1.example.test", rr_type::a);
  ASSERT_FALSE(v4.ec);
  EXPECT_EQ(v4.a.addresses, (std::vector{asio::ip::make_address("192.0.2.1")}));
  const auto v6 = ask("P1.Example.Test.", rr_type::aaaa);
  ASSERT_FALSE(v6.ec);
  EXPECT_EQ(v6.a.addresses, (std::vector{asio::ip::make_address("2001:db8::1")}));
}

TEST_F(CaresAgainstBind9, ACnameChainTakesTheSmallestTtl) {
  const auto [ec, a] = ask("alias.example.test", rr_type::a);
  ASSERT_FALSE(ec);
  EXPECT_EQ(a.addresses, (std::vector{asio::ip::make_address("192.0.2.1")}));
  EXPECT_EQ(a.ttl, 100s);
}

TEST_F(CaresAgainstBind9, NxdomainIsNotFoundWithTheSoaNegativeTtl) {
  const auto [ec, a] = ask("nowhere.example.test", rr_type::naptr);
  EXPECT_EQ(ec, error::not_found);
  EXPECT_EQ(a.ttl, 30s);
}

TEST_F(CaresAgainstBind9, NodataWithTheSoaNegativeTtl) {
  const auto [ec, a] = ask("p2.example.test", rr_type::aaaa);
  EXPECT_EQ(ec, error::no_data);
  EXPECT_EQ(a.ttl, 30s);
}

TEST_F(CaresAgainstBind9, ATruncatedAnswerIsFetchedOverTcp) {
  const auto [ec, a] = ask("_sip._udp.big.example.test", rr_type::srv);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(a.srvs.size(), 150u);
}

TEST_F(CaresAgainstBind9, AZoneTheServerDoesNotServeIsRefused) {
  EXPECT_EQ(ask("example.org", rr_type::a).ec, error::refused);
}

TEST_F(CaresAgainstBind9, CountersCountWhatHappened) {
  ask("p1.example.test", rr_type::a);
  ask("nowhere.example.test", rr_type::a);
  ask("example.org", rr_type::a);
  const auto s = resolver_->stats();
  EXPECT_EQ(s.queries, 3u);
  EXPECT_EQ(s.answers, 1u);
  EXPECT_EQ(s.negative, 1u);
  EXPECT_EQ(s.failures, 1u);
}

TEST_F(CaresAgainstBind9, HandlersRunOnTheLoopNotInsideQuery) {
  bool called = false;
  resolver_->query("p1.example.test", rr_type::a,
                   [&called](std::error_code, answer) { called = true; });
  resolver_->query("bad..name", rr_type::a, [&called](std::error_code, answer) { called = true; });
  EXPECT_FALSE(called);
  run_until([&] { return called; });
  EXPECT_TRUE(called);
}

TEST_F(CaresAgainstBind9, DestroyedWithQueriesInFlightItCallsNoHandler) {
  int calls = 0;
  for (int i = 0; i < 5; ++i)
    resolver_->query("_sip._udp.big.example.test", rr_type::srv,
                     [&calls](std::error_code, answer) { ++calls; });
  // Sent, not answered yet: the answers arrive on sockets c-ares is closing.
  resolver_.reset();
  io_.run_for(200ms);
  EXPECT_EQ(calls, 0);
}

TEST_F(CaresAgainstBind9, DestroyedWithAnswersQueuedItCallsNoMoreHandlers) {
  int calls = 0;
  for (int i = 0; i < 5; ++i)
    resolver_->query("p1.example.test", rr_type::a, [&calls](std::error_code, answer) { ++calls; });
  // One handler at a time: the others' answers wait on the loop.
  run_until([&] { return calls == 1; });
  ASSERT_EQ(calls, 1);
  resolver_.reset();
  io_.run_for(200ms);
  EXPECT_EQ(calls, 1);
}

TEST_F(CaresAgainstBind9, MayBeDestroyedFromItsOwnHandler) {
  int calls = 0;
  for (int i = 0; i < 3; ++i) {
    resolver_->query("p1.example.test", rr_type::a, [&](std::error_code ec, answer) {
      EXPECT_FALSE(ec);
      ++calls;
      resolver_.reset();
    });
  }
  run_until([&] { return calls > 0; });
  io_.run_for(100ms);
  EXPECT_EQ(calls, 1);
}

// RFC 3263 from the URI to the destinations, through c-ares, the cache and
// the locator, as the proxy will use it.
TEST_F(CaresAgainstBind9, TheClientLocatesASipUriAndCachesWhatItLearnt) {
  std::error_code ec;
  client_settings settings;
  settings.network = network_settings();
  auto c = client::create(
      io_.get_executor(), settings, [] { return 0u; }, ec);
  ASSERT_TRUE(c) << ec.message();
  const auto locate = [&] {
    std::optional<std::pair<std::error_code, std::vector<destination>>> out;
    c->locator().locate("sip:alice@example.test", [&out](std::error_code e, auto found) {
      out = {e, std::move(found)};
    });
    run_until([&] { return out.has_value(); });
    EXPECT_TRUE(out);
    return out.value_or(std::pair{error::cancelled, std::vector<destination>{}});
  };
  const auto first = locate();
  ASSERT_FALSE(first.first) << first.first.message();
  EXPECT_EQ(
      first.second,
      (std::vector{dest(protocol::udp, "192.0.2.1", 5060), dest(protocol::udp, "2001:db8::1", 5060),
                   dest(protocol::udp, "192.0.2.2", 5070), dest(protocol::tls, "192.0.2.1", 5061),
                   dest(protocol::tls, "2001:db8::1", 5061)}));
  const auto sent = c->network_stats().queries;
  const auto second = locate();
  EXPECT_EQ(second.second, first.second);
  EXPECT_EQ(c->network_stats().queries, sent);
  EXPECT_GT(c->cache_stats().cache_hits, 0u);
}

// No BIND9 needed: a server that never answers, and bad settings.
TEST(CaresResolver, AServerThatNeverAnswersTimesOut) {
  const int silent = ::socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(silent, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(silent, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  socklen_t length = sizeof address;
  ::getsockname(silent, reinterpret_cast<sockaddr*>(&address), &length);

  asio::io_context io;
  cares_resolver::settings s;
  s.servers = {"127.0.0.1:" + std::to_string(ntohs(address.sin_port))};
  s.query_timeout = 300ms;
  std::error_code ec;
  auto r = cares_resolver::create(io.get_executor(), s, ec);
  ASSERT_TRUE(r) << ec.message();
  std::optional<std::error_code> out;
  const auto started = std::chrono::steady_clock::now();
  r->query("example.test", rr_type::a, [&out](std::error_code e, answer) { out = e; });
  while (!out && std::chrono::steady_clock::now() - started < 3s) io.run_one_for(50ms);
  ::close(silent);
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, error::timeout);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
  EXPECT_EQ(r->stats().timeouts, 1u);
}

TEST(CaresResolver, ServersThatDoNotParseAreRefused) {
  asio::io_context io;
  for (const auto* bad : {"example.com", "127.0.0.1:0", "127.0.0.1:99999", "[::1", "::1]:53"}) {
    std::error_code ec;
    cares_resolver::settings s;
    s.servers = {bad};
    EXPECT_FALSE(cares_resolver::create(io.get_executor(), s, ec)) << bad;
    EXPECT_EQ(ec, error::bad_configuration) << bad;
  }
  for (const auto* good : {"127.0.0.1", "127.0.0.1:5353", "::1", "[::1]:5353"}) {
    std::error_code ec;
    cares_resolver::settings s;
    s.servers = {good};
    EXPECT_TRUE(cares_resolver::create(io.get_executor(), s, ec)) << good;
  }
}

}  // namespace
}  // namespace p2psip::dns::test
