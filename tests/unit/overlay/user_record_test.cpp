// Enrolled users' records (overlay/user_secrets.hpp): what storers and
// readers accept, and what a DHT participant without the users key learns.
#include <gtest/gtest.h>

#include <string>
#include <variant>
#include <vector>

#include "auth/digest.hpp"
#include "overlay/key.hpp"
#include "overlay/record_codec.hpp"
#include "overlay/user_secrets.hpp"
#include "overlay_fixture.hpp"

namespace p2psip::overlay::testing {
namespace {

class UserRecords : public overlay_fixture<memory_backend> {
 protected:
  const identity::users_keyring keys = identity::users_keyring::generate();
  const std::string aor = "sip:alice@p2psip.test";
  const user_secrets alice{
      .aor = aor,
      .removed = false,
      .ha1_md5 = auth::ha1(auth::algorithm::md5, "alice", overlay_id, "pw"),
      .ha1_sha256 = auth::ha1(auth::algorithm::sha256, "alice", overlay_id, "pw")};

  std::vector<std::uint8_t> made(const user_secrets& s, std::uint64_t sequence,
                                 const identity::users_keyring& with) {
    return make_user_value(overlay_id, s, with, sequence, in(std::chrono::hours{24 * 365}),
                           ids().ca.key(), ids().ca.cert());
  }
  std::vector<std::uint8_t> made(const user_secrets& s, std::uint64_t sequence = 10) {
    return made(s, sequence, keys);
  }

  std::error_code store(std::size_t node, const std::string& who, std::vector<std::uint8_t> v) {
    std::optional<std::error_code> result;
    stores_.at(node)->store_user(who, std::move(v), [&](std::error_code ec) { result = ec; });
    EXPECT_TRUE(run_until(io_, [&] { return result.has_value(); }));
    return result.value_or(std::make_error_code(std::errc::timed_out));
  }

  std::vector<checked<user_record>> read(std::size_t node, const std::string& who) {
    std::optional<std::vector<checked<user_record>>> result;
    stores_.at(node)->lookup_user(who, [&](auto found, std::error_code) { result = found; });
    EXPECT_TRUE(run_until(io_, [&] { return result.has_value(); }));
    return result.value_or(std::vector<checked<user_record>>{});
  }
};

TEST_F(UserRecords, TheCAsRecordIsStoredReadAndOpenedWithTheUsersKey) {
  const auto value = made(alice);
  EXPECT_EQ(stores_[0]->check_user(aor, value).status, verdict::valid);
  ASSERT_FALSE(store(0, aor, value));
  const auto found = valid_records(read(3, aor));
  ASSERT_EQ(found.size(), 1u);
  auto opened = open_user_secrets(found[0], aor, keys);
  ASSERT_TRUE(std::holds_alternative<user_secrets>(opened));
  EXPECT_EQ(std::get<user_secrets>(opened), alice);
}

TEST_F(UserRecords, ADhtParticipantWithoutTheUsersKeyLearnsNothingUsable) {
  ASSERT_FALSE(store(0, aor, made(alice)));
  const auto raw = raw_get(2, user_key(overlay_id, aor));
  ASSERT_EQ(raw.size(), 1u);
  // What anyone who joins the DHT can read holds neither the HA1s nor the
  // name of the user, in text or in bytes.
  const std::string bytes(raw[0].data.begin(), raw[0].data.end());
  for (const std::string& secret : {alice.ha1_md5, alice.ha1_sha256, aor, std::string("alice")})
    EXPECT_EQ(bytes.find(secret), std::string::npos) << secret;
  for (const auto& ha1_hex : {alice.ha1_md5, alice.ha1_sha256}) {
    std::string binary;
    for (std::size_t i = 0; i < ha1_hex.size(); i += 2)
      binary += static_cast<char>(std::stoi(ha1_hex.substr(i, 2), nullptr, 16));
    EXPECT_EQ(bytes.find(binary), std::string::npos);
  }
  // Another users key (a node of another overlay, a guess) opens nothing.
  const auto record = valid_records(read(2, aor));
  ASSERT_EQ(record.size(), 1u);
  auto opened = open_user_secrets(record[0], aor, identity::users_keyring::generate());
  ASSERT_TRUE(std::holds_alternative<unsealing_failure>(opened));
  EXPECT_EQ(std::get<unsealing_failure>(opened), unsealing_failure::bad_box);
}

// A user's public links (interwork §4.2) travel sealed with the HA1s: the
// readers with the users key get them back whole, and the DHT sees no part
// of them, the public registrar's password least of all.
TEST_F(UserRecords, PublicLinksAreSealedWithTheSecrets) {
  auto linked = alice;
  linked.links = {
      {.aor = "sip:alice@example.test", .username = "alice.pub", .password = "s3cret-pw"},
      {.aor = "sip:a@example.org", .username = "a", .password = "other-pw"}};
  ASSERT_FALSE(store(0, aor, made(linked)));
  const auto found = valid_records(read(3, aor));
  ASSERT_EQ(found.size(), 1u);
  auto opened = open_user_secrets(found[0], aor, keys);
  ASSERT_TRUE(std::holds_alternative<user_secrets>(opened));
  EXPECT_EQ(std::get<user_secrets>(opened), linked);
  const auto raw = raw_get(2, user_key(overlay_id, aor));
  ASSERT_EQ(raw.size(), 1u);
  const std::string bytes(raw[0].data.begin(), raw[0].data.end());
  for (const std::string& secret :
       {std::string("s3cret-pw"), std::string("example.test"), std::string("alice.pub")})
    EXPECT_EQ(bytes.find(secret), std::string::npos) << secret;
}

TEST_F(UserRecords, OnlyTheCAItselfMayMakeOne) {
  // A node with domain authority signs bindings for every AOR, never users.
  const auto by_node = seal(user_key(overlay_id, aor),
                            user_record{.epoch = 1,
                                        .sealed = std::vector<std::uint8_t>(64, 1),
                                        .expires_at = in(std::chrono::hours{1})},
                            10, ids().node_a.key, ids().node_a.cert);
  EXPECT_EQ(stores_[0]->check_user(aor, by_node).status, verdict::untrusted_signer);
  const auto by_rogue = make_user_value(overlay_id, alice, keys, 10, in(std::chrono::hours{1}),
                                        ids().rogue_ca.key(), ids().rogue_ca.cert());
  EXPECT_EQ(stores_[0]->check_user(aor, by_rogue).status, verdict::untrusted_signer);
  EXPECT_NE(store(0, aor, by_rogue), std::error_code{});  // storers refuse it too
  EXPECT_TRUE(valid_records(read(1, aor)).empty());
}

TEST_F(UserRecords, ARecordMadeForOneUserIsWorthlessUnderAnother) {
  const auto value = made(alice);
  // The signature covers alice's key: under bob's it does not verify.
  EXPECT_EQ(stores_[0]->check_user("sip:bob@p2psip.test", value).status, verdict::bad_signature);
  // Re-signed by the CA under bob's key, the box still names alice.
  const auto env = open(user_key(overlay_id, aor), value);
  ASSERT_TRUE(env);
  const auto& moved = std::get<user_record>(env->body);
  auto opened = open_user_secrets(moved, "sip:bob@p2psip.test", keys);
  ASSERT_TRUE(std::holds_alternative<unsealing_failure>(opened));
  EXPECT_EQ(std::get<unsealing_failure>(opened), unsealing_failure::bad_box);
}

TEST_F(UserRecords, ARemovalReplacesTheRecordAndAReplayedOlderOneLoses) {
  ASSERT_FALSE(store(0, aor, made(alice, 10)));
  user_secrets removed{.aor = aor, .removed = true};
  ASSERT_FALSE(store(1, aor, made(removed, 20)));
  // The older version offered again does not replace the removal at any
  // storer (same id, lower sequence); readers would rank it below anyway.
  store(2, aor, made(alice, 10));
  const auto found = read(4, aor);
  const auto valid = valid_records(found);
  ASSERT_EQ(valid.size(), 1u);
  auto opened = open_user_secrets(valid[0], aor, keys);
  ASSERT_TRUE(std::holds_alternative<user_secrets>(opened));
  EXPECT_TRUE(std::get<user_secrets>(opened).removed);
}

TEST_F(UserRecords, ARotatedKeyringOpensOldAndNewRecords) {
  const auto rotated = keys.rotated();
  const auto old_value = made(alice, 10, keys);
  const auto env = open(user_key(overlay_id, aor), old_value);
  ASSERT_TRUE(env);
  EXPECT_TRUE(std::holds_alternative<user_secrets>(
      open_user_secrets(std::get<user_record>(env->body), aor, rotated)));
  const auto new_value = made(alice, 11, rotated);
  const auto new_env = open(user_key(overlay_id, aor), new_value);
  ASSERT_TRUE(new_env);
  EXPECT_EQ(std::get<user_record>(new_env->body).epoch, 2u);
  // A node still on the old keyring cannot open it, and says why.
  auto opened = open_user_secrets(std::get<user_record>(new_env->body), aor, keys);
  ASSERT_TRUE(std::holds_alternative<unsealing_failure>(opened));
  EXPECT_EQ(std::get<unsealing_failure>(opened), unsealing_failure::unknown_epoch);
}

}  // namespace
}  // namespace p2psip::overlay::testing
