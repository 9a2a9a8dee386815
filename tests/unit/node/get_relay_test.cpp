// Get Relay (GET /turn): a real http_server on loopback answering from a
// service_directory over an in-memory overlay, where two relay nodes offer
// their TURN servers. Credentials are checked here with OpenSSL's HMAC, not
// with the code that made them.
#include "node/get_relay.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <map>
#include <optional>
#include <set>

#include "service_overlay.hpp"

namespace p2psip::node {
namespace {

using namespace std::chrono_literals;
using ops::test::run_until;

constexpr const char* secret = "coturn-shared-secret";

const std::vector<std::string> relay_a_uris{"turn:192.0.2.1:3478?transport=tcp",
                                            "turn:192.0.2.1:3478?transport=udp"};
const std::vector<std::string> relay_b_uris{"turn:198.51.100.2:3478"};

std::string base64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// draft-uberti-behave-turn-rest: base64(HMAC-SHA1(secret, username)).
std::string rest_password(const std::string& key, const std::string& username) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(username.data()), username.size(), mac, &size);
  return base64(std::string(reinterpret_cast<const char*>(mac), size));
}

std::string basic(const std::string& user, const std::string& password) {
  return "Basic " + base64(user + ":" + password);
}

struct user_table final : auth::credentials_store {
  std::map<std::string, std::string, std::less<>> passwords;
  std::optional<std::string> ha1(std::string_view user, auth::algorithm a,
                                 std::string_view realm) const override {
    const auto it = passwords.find(user);
    if (it == passwords.end()) return std::nullopt;
    return auth::ha1(a, user, realm, it->second);
  }
};

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Three nodes on one in-memory overlay: relay-a and relay-b offer TURN
// servers under turn:p2psip.test, node-c answers GET /turn from what it reads.
class GetRelay : public ::testing::Test {
 protected:
  GetRelay() {
    overlay.add("relay-a", test::turn_directory(0s));
    overlay.add("relay-b", test::turn_directory(0s));
    // No cache: each request reads the overlay, so a withdrawal shows at once.
    overlay.add("node-c", test::turn_directory(0s, /*want=*/2));
    users.passwords = {{"alice", "alice-pw"}, {"bob", "bob-pw"}, {"nopass", ""}};
  }

  void start(std::size_t per_user) {
    server.emplace(overlay.io, asio::ip::tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    install_get_relay(
        *server, users, node_c(),
        {.realm = test::overlay_id, .secret = secret, .ttl = 600s, .relays = per_user}, counters);
    server->start();
  }

  service_directory& relay(std::size_t i) { return *overlay.directories.at(i); }
  service_directory& node_c() { return *overlay.directories.at(2); }

  // Offers, and waits until node-c reads it.
  void offer(std::size_t i, std::vector<std::string> uris) {
    relay(i).offer(test::turn_offer(uris));
    ASSERT_TRUE(run_until(overlay.io,
                          [&] {
                            const auto r = overlay.record_of(node_c(), relay(i).node_id());
                            return r && r->uris == uris;
                          }))
        << relay(i).node_id() << "'s offer never became readable";
  }

  void withdraw(std::size_t i) { ASSERT_FALSE(overlay.withdraw(relay(i))); }

  ops::test::http_answer get(const std::string& target, const std::string& authorization) {
    std::string request = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    if (!authorization.empty()) request += "Authorization: " + authorization + "\r\n";
    return ops::test::get(overlay.io, server->local_endpoint().port(), request + "\r\n");
  }

  test::service_overlay overlay;
  user_table users;
  get_relay_counters counters;
  std::optional<ops::http_server> server;
};

TEST_F(GetRelay, TheCredentialIsATurnRestOneUnderTheSharedSecret) {
  start(3);
  offer(0, relay_a_uris);
  const auto before = unix_now();
  const auto a = get("/turn?service=turn&username=alice", basic("alice", "alice-pw"));
  const auto after = unix_now();
  ASSERT_EQ(a.status, 200) << a.head << a.body.dump();
  const auto username = a.body.value("username", "");
  const auto colon = username.find(':');
  ASSERT_NE(colon, std::string::npos) << username;
  EXPECT_EQ(username.substr(colon + 1), "alice");
  const auto expiry = std::stoll(username.substr(0, colon));
  EXPECT_GE(expiry, before + 600);
  EXPECT_LE(expiry, after + 600);
  EXPECT_EQ(a.body.value("password", ""), rest_password(secret, username));
  EXPECT_EQ(a.body.value("ttl", 0), 600);
  // UDP first: the phones' ICE speaks TURN over UDP; TCP is the fallback.
  EXPECT_EQ(a.body["uris"],
            nlohmann::json(std::vector<std::string>{relay_a_uris[1], relay_a_uris[0]}));
  EXPECT_EQ(counters.answered, 1u);

  // username is optional; the credential is still the caller's own.
  const auto b = get("/turn", basic("bob", "bob-pw"));
  ASSERT_EQ(b.status, 200);
  EXPECT_TRUE(b.body.value("username", "").ends_with(":bob")) << b.body.dump();
  EXPECT_EQ(counters.answered, 2u);
}

TEST_F(GetRelay, MissingWrongOrUnknownCredentialsAreChallengedWithBasic) {
  start(3);
  offer(0, relay_a_uris);
  const std::vector<std::string> refused{
      "",                           // none
      "Bearer abc",                 // another scheme
      "Basic !!!!",                 // not base64
      basic("alice", "bob-pw"),     // another user's password
      basic("alice", "alice-p"),    // a prefix of the right one
      basic("alice", "alice-pw "),  // one byte more
      basic("carol", "carol-pw"),   // unknown user
      basic("carol", ""),           // unknown user, empty password
      basic("ALICE", "alice-pw"),   // user names are exact
  };
  for (std::size_t i = 0; i < refused.size(); ++i) {
    const auto answer = get("/turn?service=turn", refused[i]);
    EXPECT_EQ(answer.status, 401) << refused[i];
    EXPECT_NE(answer.head.find("WWW-Authenticate: Basic realm=\"p2psip.test\""), std::string::npos)
        << answer.head;
    EXPECT_FALSE(answer.body.contains("password")) << answer.body.dump();
    EXPECT_EQ(counters.unauthorized, i + 1);
  }
  EXPECT_EQ(counters.answered, 0u);
  // A user whose password is empty proves it with an empty one.
  EXPECT_EQ(get("/turn", basic("nopass", "")).status, 200);
}

TEST_F(GetRelay, CredentialsForAnotherUserAreForbidden) {
  start(3);
  offer(0, relay_a_uris);
  const auto answer = get("/turn?service=turn&username=bob", basic("alice", "alice-pw"));
  EXPECT_EQ(answer.status, 403);
  EXPECT_FALSE(answer.body.contains("password"));
  EXPECT_EQ(counters.forbidden, 1u);
  EXPECT_EQ(counters.answered, 0u);
}

TEST_F(GetRelay, OnlyTheTurnServiceIsOffered) {
  start(3);
  offer(0, relay_a_uris);
  const auto answer = get("/turn?service=stun", basic("alice", "alice-pw"));
  EXPECT_EQ(answer.status, 400);
  EXPECT_FALSE(answer.body.contains("password"));
  EXPECT_EQ(counters.answered, 0u);
}

TEST_F(GetRelay, WithNoRelayInTheOverlayItIs503WithRetryAfter) {
  start(3);
  const auto answer = get("/turn?service=turn", basic("alice", "alice-pw"));
  EXPECT_EQ(answer.status, 503);
  EXPECT_NE(answer.head.find("Retry-After: "), std::string::npos) << answer.head;
  EXPECT_FALSE(answer.body.contains("password"));
  EXPECT_EQ(counters.no_relay, 1u);

  // Not cached as "none": the next request finds the relay that came since.
  offer(1, relay_b_uris);
  EXPECT_EQ(get("/turn", basic("alice", "alice-pw")).status, 200);
  EXPECT_EQ(counters.no_relay, 1u);
}

TEST_F(GetRelay, EachAnswerNamesAtMostPerUserRelaysAndUsersSpreadOverThem) {
  start(1);
  offer(0, relay_a_uris);
  offer(1, relay_b_uris);
  std::set<std::string> seen;
  constexpr int requests = 30;  // under the route's burst of 40
  for (int i = 0; i < requests; ++i) {
    const auto answer = get("/turn", basic("alice", "alice-pw"));
    ASSERT_EQ(answer.status, 200) << i;
    const auto uris = answer.body["uris"].get<std::vector<std::string>>();
    // One relay: all of relay-a's URIs (UDP first), or relay-b's.
    const bool a = uris == std::vector<std::string>{relay_a_uris[1], relay_a_uris[0]};
    const bool b = uris == relay_b_uris;
    EXPECT_TRUE(a || b) << answer.body.dump();
    seen.insert(a ? "relay-a" : "relay-b");
  }
  // Both, unless the choice is not random (chance 2^-29).
  EXPECT_EQ(seen, (std::set<std::string>{"relay-a", "relay-b"}));
  EXPECT_EQ(counters.answered, static_cast<std::uint64_t>(requests));
}

TEST_F(GetRelay, AWithdrawnRelayIsNeverHandedOut) {
  start(3);
  offer(0, relay_a_uris);
  offer(1, relay_b_uris);
  const auto both = get("/turn", basic("alice", "alice-pw"));
  ASSERT_EQ(both.status, 200);
  EXPECT_EQ(both.body["uris"].size(), 3u) << both.body.dump();

  withdraw(1);
  for (int i = 0; i < 20; ++i) {
    const auto answer = get("/turn", basic("alice", "alice-pw"));
    ASSERT_EQ(answer.status, 200);
    for (const auto& uri : answer.body["uris"])
      EXPECT_NE(uri.get<std::string>(), relay_b_uris[0]) << "withdrawn, yet handed out";
    EXPECT_EQ(answer.body["uris"].size(), 2u);
  }
  withdraw(0);
  EXPECT_EQ(get("/turn", basic("alice", "alice-pw")).status, 503);
}

// A guessed password costs a request, and requests are bounded.
TEST_F(GetRelay, GuessingIsRateLimited) {
  start(3);
  int refused = 0;
  int limited = 0;
  for (int i = 0; i < 80 && limited == 0; ++i) {
    const auto status = get("/turn", basic("alice", "guess" + std::to_string(i))).status;
    refused += status == 401 ? 1 : 0;
    limited += status == 429 ? 1 : 0;
  }
  EXPECT_EQ(limited, 1) << "80 guesses in a row, none refused for their rate";
  EXPECT_GE(refused, 40) << "the burst is 40";
  EXPECT_EQ(counters.unauthorized, static_cast<std::uint64_t>(refused));
  EXPECT_EQ(server->counters().rate_limited, 1u);
}

TEST(ChooseRelayUris, AtMostTheAskedNumberOfRelaysEachWithItsUdpUrisFirst) {
  std::vector<overlay::service_record> offers(3);
  offers[0].node_id = "a";
  offers[0].uris = {"turn:192.0.2.1?transport=tcp", "turns:192.0.2.1", "turn:192.0.2.1"};
  offers[1].node_id = "b";
  offers[1].uris = {"turn:192.0.2.2?transport=tcp", "turn:192.0.2.2?transport=udp"};
  offers[2].node_id = "c";
  offers[2].uris = {"turn:192.0.2.3"};
  const std::map<std::string, std::vector<std::string>> expected{
      {"192.0.2.1", {"turn:192.0.2.1", "turn:192.0.2.1?transport=tcp", "turns:192.0.2.1"}},
      {"192.0.2.2", {"turn:192.0.2.2?transport=udp", "turn:192.0.2.2?transport=tcp"}},
      {"192.0.2.3", {"turn:192.0.2.3"}}};
  std::mt19937 random(7);
  std::map<std::string, int> times;
  for (int round = 0; round < 200; ++round) {
    const auto uris = choose_relay_uris(offers, 2, random);
    // Group by relay, keeping the order.
    std::vector<std::pair<std::string, std::vector<std::string>>> relays;
    for (const auto& uri : uris) {
      const auto host = uri.substr(uri.find(':') + 1, 9);
      if (relays.empty() || relays.back().first != host) relays.push_back({host, {}});
      relays.back().second.push_back(uri);
    }
    ASSERT_EQ(relays.size(), 2u) << round;
    EXPECT_NE(relays[0].first, relays[1].first);
    for (const auto& [host, in_order] : relays) {
      EXPECT_EQ(in_order, expected.at(host)) << host;
      ++times[host];
    }
  }
  // Random: each relay chosen about 2/3 of the time.
  for (const auto& [host, n] : times) {
    EXPECT_GT(n, 100) << host;
    EXPECT_LT(n, 170) << host;
  }
  EXPECT_EQ(times.size(), 3u);
  EXPECT_EQ(choose_relay_uris(offers, 3, random).size(), 6u);
  EXPECT_EQ(choose_relay_uris(offers, 10, random).size(), 6u);
  EXPECT_TRUE(choose_relay_uris(offers, 0, random).empty());
  EXPECT_TRUE(choose_relay_uris({}, 3, random).empty());
}

}  // namespace
}  // namespace p2psip::node
