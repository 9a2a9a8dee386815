// The BIND9 fixture's promise to other tests: a TSIG key and an
// update-policy make a zone dynamic, and a signed update (nsupdate) shows
// in answers; an unsigned one is refused.
#include <gtest/gtest.h>

#include <asio/io_context.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>

#include "dns/cares_resolver.hpp"
#include "support/bind9.hpp"

namespace p2psip::dns {
namespace {

using namespace std::chrono_literals;

constexpr const char* zone = R"($TTL 60
@  IN SOA ns.dyn.test. admin.dyn.test. 1 3600 600 86400 10
@  IN NS  ns
ns IN A   127.0.0.1
)";

// Runs nsupdate with `commands`, signed with `key` when given; its exit status.
int nsupdate(const test_support::bind9& named, const std::string& commands,
             const std::optional<test_support::bind9::tsig_key>& key) {
  const auto file = std::filesystem::path(named.directory()) / "update.txt";
  std::ofstream(file) << "server 127.0.0.1 " << named.port() << "\n" << commands << "send\n";
  std::string command = "nsupdate";
  if (key) command += " -y " + key->algorithm + ":" + key->name + ":" + key->secret;
  command += " " + file.string() + " >/dev/null 2>&1";
  return std::system(command.c_str());
}

std::optional<std::pair<std::error_code, answer>> ask(const test_support::bind9& named,
                                                      std::string_view name) {
  asio::io_context io;
  cares_resolver::settings s;
  s.servers = {named.server()};
  std::error_code ec;
  auto r = cares_resolver::create(io.get_executor(), s, ec);
  if (!r) return std::nullopt;
  std::optional<std::pair<std::error_code, answer>> out;
  r->query(name, rr_type::srv, [&out](std::error_code e, answer a) { out = {e, std::move(a)}; });
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!out && std::chrono::steady_clock::now() < deadline) io.run_one_for(50ms);
  return out;
}

TEST(Bind9Fixture, SignedUpdatesChangeADynamicZoneAndUnsignedOnesDoNot) {
  const test_support::bind9::tsig_key key{"p2psip-update", "hmac-sha256",
                                          "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTEyMzQ="};
  test_support::bind9::options o;
  o.key = key;
  o.zones = {{"dyn.test", zone, "grant p2psip-update zonesub ANY;"}};
  std::string why;
  const auto named = test_support::bind9::start(o, why);
  ASSERT_TRUE(named) << why;

  EXPECT_NE(nsupdate(*named, "update add _sip._udp.dyn.test. 60 IN SRV 0 0 5060 a.dyn.test.\n", {}),
            0);
  auto before = ask(*named, "_sip._udp.dyn.test");
  ASSERT_TRUE(before);
  EXPECT_EQ(before->first, error::not_found);

  ASSERT_EQ(
      nsupdate(*named, "update add _sip._udp.dyn.test. 60 IN SRV 0 0 5060 p1.dyn.test.\n", key), 0)
      << named->log();
  const auto after = ask(*named, "_sip._udp.dyn.test");
  ASSERT_TRUE(after);
  ASSERT_FALSE(after->first) << after->first.message();
  EXPECT_EQ(after->second.srvs, (std::vector{srv_record{0, 0, 5060, "p1.dyn.test"}}));
}

TEST(Bind9Fixture, AZoneThatDoesNotLoadIsAStartFailure) {
  test_support::bind9::options o;
  o.zones = {{"broken.test", "this is no zone file\n", {}}};
  std::string why;
  EXPECT_FALSE(test_support::bind9::start(o, why));
  EXPECT_NE(why.find("broken.test"), std::string::npos) << why;
}

}  // namespace
}  // namespace p2psip::dns
