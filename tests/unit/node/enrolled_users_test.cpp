// enrolled_users on an in-memory overlay: a record handed to one node is
// read by another, answers digest's HA1 there, and stops answering once a
// removal is read; the file kept for republishing survives a restart.
#include "node/enrolled_users.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "service_overlay.hpp"
#include "unit/ops/loopback.hpp"

namespace p2psip::node::test {
namespace {

namespace fs = std::filesystem;

class EnrolledUsers : public ::testing::Test {
 protected:
  EnrolledUsers() {
    dir = fs::temp_directory_path() / ("enrolled-users-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    for (int i = 0; i < 3; ++i) world.add_store();
  }
  ~EnrolledUsers() override { fs::remove_all(dir); }

  std::unique_ptr<enrolled_users> node(int i, std::chrono::seconds refresh) {
    return std::make_unique<enrolled_users>(
        world.io, *world.stores.at(i), keys,
        enrolled_users_settings{.overlay_id = overlay_id,
                                .keyring_file = dir / "none",
                                .held_dir = dir / ("node" + std::to_string(i)),
                                .refresh = refresh,
                                .republish = std::chrono::seconds(300)});
  }

  std::vector<std::uint8_t> record(const std::optional<std::string>& password,
                                   std::uint64_t sequence) {
    overlay::user_secrets s{.aor = "sip:alice@p2psip.test", .removed = !password};
    if (password) {
      s.ha1_md5 = auth::ha1(auth::algorithm::md5, "alice", overlay_id, *password);
      s.ha1_sha256 = auth::ha1(auth::algorithm::sha256, "alice", overlay_id, *password);
    }
    const auto expires = std::chrono::duration_cast<std::chrono::seconds>(
                             overlay::wall_clock::now().time_since_epoch())
                             .count() +
                         86400;
    return overlay::make_user_value(overlay_id, s, keys, sequence, expires, world.ca.key(),
                                    world.ca.cert());
  }

  std::error_code accept(enrolled_users& u, std::vector<std::uint8_t> value) {
    std::optional<std::error_code> done;
    u.accept("alice", std::move(value), [&](std::error_code ec) { done = ec; });
    EXPECT_TRUE(ops::test::run_until(world.io, [&] { return done.has_value(); }));
    return done.value_or(std::make_error_code(std::errc::timed_out));
  }

  void fetch(enrolled_users& u, const std::string& user) {
    bool done = false;
    u.fetch(user, [&] { done = true; });
    EXPECT_TRUE(ops::test::run_until(world.io, [&] { return done; }));
  }

  std::optional<std::string> md5(const enrolled_users& u) {
    return u.ha1("alice", auth::algorithm::md5, overlay_id);
  }

  service_overlay world;
  identity::users_keyring keys = identity::users_keyring::generate();
  fs::path dir;
};

TEST_F(EnrolledUsers, ARecordGivenToOneNodeAuthenticatesAtAnother) {
  auto a = node(0, std::chrono::seconds(30));
  auto b = node(1, std::chrono::seconds(30));
  ASSERT_FALSE(accept(*a, record("pw", 10)));
  EXPECT_FALSE(b->current("alice"));
  EXPECT_FALSE(md5(*b));
  fetch(*b, "alice");
  EXPECT_TRUE(b->current("alice"));
  EXPECT_EQ(md5(*b), auth::ha1(auth::algorithm::md5, "alice", overlay_id, "pw"));
  EXPECT_EQ(b->ha1("alice", auth::algorithm::sha256, overlay_id),
            auth::ha1(auth::algorithm::sha256, "alice", overlay_id, "pw"));
  EXPECT_FALSE(b->ha1("alice", auth::algorithm::md5, "other.realm"));
  EXPECT_EQ(b->counters().found, 1u);
}

TEST_F(EnrolledUsers, ARemovalIsReadAtTheNextRefresh) {
  auto a = node(0, std::chrono::seconds(30));
  auto b = node(1, std::chrono::seconds(0));  // reads at every request
  ASSERT_FALSE(accept(*a, record("pw", 10)));
  fetch(*b, "alice");
  ASSERT_TRUE(md5(*b));
  ASSERT_FALSE(accept(*a, record(std::nullopt, 20)));
  EXPECT_FALSE(b->current("alice"));
  fetch(*b, "alice");
  EXPECT_FALSE(md5(*b));
  EXPECT_EQ(b->counters().unknown, 1u);
  // An older record handed in again is refused, and changes nothing.
  EXPECT_EQ(accept(*a, record("pw", 10)), std::make_error_code(std::errc::file_exists));
  fetch(*b, "alice");
  EXPECT_FALSE(md5(*b));
}

TEST_F(EnrolledUsers, ARecordNotMadeByTheCAIsRefused) {
  auto a = node(0, std::chrono::seconds(30));
  auto forged = record("pw", 10);
  forged.back() ^= 1;  // the signature no longer verifies
  EXPECT_EQ(accept(*a, forged), std::make_error_code(std::errc::invalid_argument));
  EXPECT_EQ(a->counters().held, 0u);
}

TEST_F(EnrolledUsers, HeldRecordsAreKeptAcrossARestart) {
  {
    auto a = node(0, std::chrono::seconds(30));
    ASSERT_FALSE(accept(*a, record("pw", 10)));
    EXPECT_EQ(a->counters().held, 1u);
  }
  auto again = node(0, std::chrono::seconds(30));
  again->start();
  EXPECT_EQ(again->counters().held, 1u);
  again->stop();
}

TEST_F(EnrolledUsers, ManyReadersOfOneUserShareOneLookup) {
  auto a = node(0, std::chrono::seconds(30));
  auto b = node(1, std::chrono::seconds(30));
  ASSERT_FALSE(accept(*a, record("pw", 10)));
  int done = 0;
  for (int i = 0; i < 5; ++i) b->fetch("alice", [&] { ++done; });
  EXPECT_TRUE(ops::test::run_until(world.io, [&] { return done == 5; }));
  EXPECT_EQ(b->counters().reads, 1u);
}

}  // namespace
}  // namespace p2psip::node::test
