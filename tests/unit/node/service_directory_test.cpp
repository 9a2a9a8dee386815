// service_directory over an in-memory overlay: what one node offers, another
// reads; the newest version of each provider wins, a withdrawn one is left
// out, and reads are cached and shared as the header says.
#include "node/service_directory.hpp"

#include <gtest/gtest.h>

#include "service_overlay.hpp"

namespace p2psip::node {
namespace {

using namespace std::chrono_literals;
using test::turn_directory;
using test::turn_offer;

std::vector<std::string> nodes_of(const std::vector<overlay::service_record>& records) {
  std::vector<std::string> out;
  for (const auto& r : records) out.push_back(r.node_id);
  return out;
}

class ServiceDirectory : public ::testing::Test {
 protected:
  test::service_overlay overlay;
};

TEST_F(ServiceDirectory, AnOfferIsReadElsewhereWithTheFieldsFilledIn) {
  auto& a = overlay.add("node-a", turn_directory(0s));
  auto& reader = overlay.add("node-c", turn_directory(0s));
  a.offer(turn_offer({"turn:192.0.2.1"}));
  EXPECT_TRUE(a.offering());
  ASSERT_TRUE(ops::test::run_until(
      overlay.io, [&] { return overlay.record_of(reader, "node-a").has_value(); }));
  const auto r = *overlay.record_of(reader, "node-a");
  EXPECT_EQ(r.service, "turn:p2psip.test");
  EXPECT_EQ(r.node_id, "node-a");
  EXPECT_EQ(r.uris, std::vector<std::string>{"turn:192.0.2.1"});
  EXPECT_EQ(r.realm, "relay.p2psip.test");
  EXPECT_EQ(r.auth_scheme, "turn-rest");
  // A version lives a few refreshes (60 s here), no less than one.
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       overlay::wall_clock::now().time_since_epoch())
                       .count();
  EXPECT_GT(r.expires_at, now + 60);
  EXPECT_LE(r.expires_at, now + 3600);
  EXPECT_GE(a.stats().offers, 1u);
}

TEST_F(ServiceDirectory, ANewOfferReplacesTheLastOneForReaders) {
  auto& a = overlay.add("node-a", turn_directory(0s));
  auto& reader = overlay.add("node-c", turn_directory(0s));
  a.offer(turn_offer({"turn:192.0.2.1"}));
  ASSERT_TRUE(ops::test::run_until(
      overlay.io, [&] { return overlay.record_of(reader, "node-a").has_value(); }));
  a.offer(turn_offer({"turn:192.0.2.99"}));
  ASSERT_TRUE(ops::test::run_until(overlay.io, [&] {
    const auto r = overlay.record_of(reader, "node-a");
    return r && r->uris == std::vector<std::string>{"turn:192.0.2.99"};
  }));
  // One record per provider: the older version, still stored, is not listed.
  EXPECT_EQ(nodes_of(overlay.read(reader)), std::vector<std::string>{"node-a"});
}

TEST_F(ServiceDirectory, AWithdrawnProviderIsLeftOutAndOthersStay) {
  auto& a = overlay.add("node-a", turn_directory(0s));
  auto& b = overlay.add("node-b", turn_directory(0s));
  auto& reader = overlay.add("node-c", turn_directory(0s, /*want=*/2));
  b.offer(turn_offer({"turn:192.0.2.2"}));
  a.offer(turn_offer({"turn:192.0.2.1"}));
  ASSERT_TRUE(ops::test::run_until(overlay.io, [&] {
    return nodes_of(overlay.read(reader)) == std::vector<std::string>{"node-a", "node-b"};
  })) << "sorted by node id";

  ASSERT_FALSE(overlay.withdraw(a));
  EXPECT_FALSE(a.offering());
  EXPECT_EQ(nodes_of(overlay.read(reader)), std::vector<std::string>{"node-b"});
  ASSERT_FALSE(overlay.withdraw(b));
  EXPECT_TRUE(overlay.read(reader).empty());
  EXPECT_GE(reader.stats().lookup_failures, 1u);
}

TEST_F(ServiceDirectory, ReadsWithinCacheForAreAnsweredFromTheCache) {
  auto& a = overlay.add("node-a", turn_directory(0s));
  auto& reader = overlay.add("node-c", turn_directory(3600s));
  a.offer(turn_offer({"turn:192.0.2.1"}));
  auto& warm = overlay.add("node-d", turn_directory(0s));
  ASSERT_TRUE(ops::test::run_until(overlay.io,
                                   [&] { return overlay.record_of(warm, "node-a").has_value(); }));

  EXPECT_EQ(overlay.read(reader).size(), 1u);
  EXPECT_EQ(reader.stats().lookups, 1u);
  ASSERT_FALSE(overlay.withdraw(a));
  // Still cached: the withdrawal shows after cache_for, not before.
  EXPECT_EQ(overlay.read(reader).size(), 1u);
  EXPECT_EQ(reader.stats().lookups, 1u);
  EXPECT_EQ(reader.last_read().size(), 1u);
}

TEST_F(ServiceDirectory, AnEmptyAnswerIsCachedUnlessTheReaderWouldRatherAskAgain) {
  auto& a = overlay.add("node-a", turn_directory(0s));
  auto& reader = overlay.add("node-c", turn_directory(3600s));
  EXPECT_TRUE(overlay.read(reader).empty());
  EXPECT_EQ(reader.stats().lookups, 1u);

  a.offer(turn_offer({"turn:192.0.2.1"}));
  auto& warm = overlay.add("node-d", turn_directory(0s));
  ASSERT_TRUE(ops::test::run_until(overlay.io,
                                   [&] { return overlay.record_of(warm, "node-a").has_value(); }));
  EXPECT_TRUE(overlay.read(reader).empty()) << "the cached empty answer";
  EXPECT_EQ(reader.stats().lookups, 1u);
  EXPECT_EQ(overlay.read(reader, /*retry_empty=*/true).size(), 1u);
  EXPECT_EQ(reader.stats().lookups, 2u);
  // Now cached as found: retry_empty does not read again.
  EXPECT_EQ(overlay.read(reader, /*retry_empty=*/true).size(), 1u);
  EXPECT_EQ(reader.stats().lookups, 2u);
}

TEST_F(ServiceDirectory, ReadsAskedDuringALookupShareIt) {
  auto& a = overlay.add("node-a", turn_directory(0s));
  auto& reader = overlay.add("node-c", turn_directory(0s));
  a.offer(turn_offer({"turn:192.0.2.1"}));
  ASSERT_TRUE(
      ops::test::run_until(overlay.io, [&] { return overlay.record_of(a, "node-a").has_value(); }));
  const auto before = reader.stats().lookups;
  int answers = 0;
  for (int i = 0; i < 3; ++i)
    reader.read([&](const auto& records) {
      EXPECT_EQ(records.size(), 1u);
      ++answers;
    });
  ASSERT_TRUE(ops::test::run_until(overlay.io, [&] { return answers == 3; }));
  EXPECT_EQ(reader.stats().lookups, before + 1);
}

TEST_F(ServiceDirectory, NoAnswerAfterTheDirectoryIsGone) {
  overlay.add("node-a", turn_directory(0s)).offer(turn_offer({"turn:192.0.2.1"}));
  auto& reader = overlay.add("node-c", turn_directory(0s));
  bool called = false;
  reader.read([&](const auto&) { called = true; });
  overlay.directories.back().reset();
  ops::test::run_until(
      overlay.io, [] { return false; }, 200ms);
  EXPECT_FALSE(called);
}

}  // namespace
}  // namespace p2psip::node
