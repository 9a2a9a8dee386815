// The named fixture's promise to other tests: a TSIG key and an
// update-policy make a zone dynamic, and a signed update (nsupdate with the
// fixture's key file) shows in answers; an unsigned one is refused. A zone
// that does not load is a start failure that names it.
#include "support/named_server.hpp"

#include <gtest/gtest.h>

#include <asio/io_context.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>

#include "dns/cares_resolver.hpp"

namespace p2psip::dns {
namespace {

using namespace std::chrono_literals;

constexpr const char* zone = R"($TTL 60
@  IN SOA ns.dyn.test. admin.dyn.test. 1 3600 600 86400 10
@  IN NS  ns
ns IN A   127.0.0.1
)";

// Runs nsupdate with `commands`, signed with the key named `key` when
// given; its exit status.
int nsupdate(const test::named_server& named, const std::string& commands,
             const std::optional<std::string>& key) {
  const auto file = named.dir() / "update.txt";
  std::ofstream(file) << "server 127.0.0.1 " << named.port() << "\n" << commands << "send\n";
  std::string command = "nsupdate";
  if (key) command += " -k " + named.key_file(*key).string();
  command += " " + file.string() + " >/dev/null 2>&1";
  return std::system(command.c_str());
}

std::optional<std::pair<std::error_code, answer>> ask(const test::named_server& named,
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

TEST(NamedServer, SignedUpdatesChangeADynamicZoneAndUnsignedOnesDoNot) {
  const std::string key = "p2psip-update";
  const test::named_server named(
      {{{"dyn.test.", zone, "grant p2psip-update zonesub ANY;"}}, {key}, {}});

  EXPECT_NE(nsupdate(named, "update add _sip._udp.dyn.test. 60 IN SRV 0 0 5060 a.dyn.test.\n", {}),
            0);
  auto before = ask(named, "_sip._udp.dyn.test");
  ASSERT_TRUE(before);
  EXPECT_EQ(before->first, error::not_found);

  ASSERT_EQ(
      nsupdate(named, "update add _sip._udp.dyn.test. 60 IN SRV 0 0 5060 p1.dyn.test.\n", key), 0)
      << named.log();
  const auto after = ask(named, "_sip._udp.dyn.test");
  ASSERT_TRUE(after);
  ASSERT_FALSE(after->first) << after->first.message();
  EXPECT_EQ(after->second.srvs, (std::vector{srv_record{0, 0, 5060, "p1.dyn.test"}}));
}

TEST(NamedServer, AZoneThatDoesNotLoadIsAStartFailure) {
  const auto start = std::chrono::steady_clock::now();
  try {
    test::named_server named({{{"broken.test.", "this is no zone file\n", {}}}, {}, {}});
    ADD_FAILURE() << "named started with a zone it could not load";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("broken.test"), std::string::npos) << e.what();
  }
  // Said at once, not after start_timeout.
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

}  // namespace
}  // namespace p2psip::dns
