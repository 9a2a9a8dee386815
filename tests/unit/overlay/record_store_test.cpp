// The overlay contract at the record level, run on both dht implementations:
// what a node publishes another node finds, refreshes and withdrawals order
// by sequence, bindings expire with their REGISTER expiry, and nothing
// forged, foreign or replayed is ever returned as valid.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <tuple>

#include "overlay/record_codec.hpp"
#include "overlay_fixture.hpp"
#include "unusable_bindings.hpp"

namespace p2psip::overlay::testing {
namespace {

template <class Backend>
class record_store_contract : public overlay_fixture<Backend> {};
TYPED_TEST_SUITE(record_store_contract, backend_types, backend_names);

std::size_t count(const std::vector<checked<binding_record>>& found, verdict v) {
  return static_cast<std::size_t>(
      std::count_if(found.begin(), found.end(), [v](const auto& c) { return c.status == v; }));
}

TYPED_TEST(record_store_contract, a_binding_published_on_one_node_is_found_from_another) {
  binding_record b = this->alice_binding();
  ASSERT_FALSE(this->publish(0, this->ids().alice, b));
  auto found = this->lookup(4, "sip:alice@p2psip.test");
  auto valid = valid_records(found);
  ASSERT_EQ(valid.size(), 1u);
  EXPECT_EQ(valid[0], b);
  EXPECT_TRUE(valid_records(this->lookup(3, "sip:bob@p2psip.test")).empty());
}

TYPED_TEST(record_store_contract, a_refresh_replaces_the_binding_it_refreshes) {
  binding_record b = this->alice_binding();
  ASSERT_FALSE(this->publish(0, this->ids().alice, b));
  b.expires_at = this->in(std::chrono::seconds{7000});
  b.path = {"sip:node-c@127.0.0.1:5090;lr"};
  ASSERT_FALSE(this->publish(2, this->ids().alice, b));  // the phone moved to another node
  auto valid = valid_records(this->lookup(5, "sip:alice@p2psip.test"));
  ASSERT_EQ(valid.size(), 1u);
  EXPECT_EQ(valid[0].path, b.path);
}

TYPED_TEST(record_store_contract, two_contacts_of_one_aor_are_both_returned) {
  binding_record desk = this->alice_binding("sip:alice@192.0.2.10:5060");
  binding_record mobile = this->alice_binding("sip:alice@198.51.100.7:5060");
  mobile.instance = "<urn:uuid:11111111-0000-1000-8000-000a95a0e128>";
  ASSERT_FALSE(this->publish(0, this->ids().alice, desk));
  ASSERT_FALSE(this->publish(1, this->ids().alice, mobile));
  EXPECT_EQ(valid_records(this->lookup(3, "sip:alice@p2psip.test")).size(), 2u);
}

TYPED_TEST(record_store_contract, an_unregister_is_seen_at_once_by_readers_on_other_nodes) {
  binding_record b = this->alice_binding();
  ASSERT_FALSE(this->publish(0, this->ids().alice, b));
  ASSERT_EQ(valid_records(this->lookup(3, "sip:alice@p2psip.test")).size(), 1u);
  ASSERT_FALSE(this->withdraw(1, this->ids().alice, b));
  auto found = this->lookup(5, "sip:alice@p2psip.test");
  EXPECT_TRUE(valid_records(found).empty());
  EXPECT_EQ(count(found, verdict::withdrawn), 1u);
  // The reader that saw the binding before sees the withdrawal too.
  EXPECT_TRUE(valid_records(this->lookup(3, "sip:alice@p2psip.test")).empty());
}

TYPED_TEST(record_store_contract, a_binding_expires_with_its_register_expiry) {
  binding_record b = this->alice_binding();
  b.expires_at = this->in(std::chrono::seconds{60});
  ASSERT_FALSE(this->publish(0, this->ids().alice, b));
  ASSERT_EQ(valid_records(this->lookup(2, "sip:alice@p2psip.test")).size(), 1u);
  this->advance(std::chrono::seconds{61});
  // Readers report it as expired; OpenDHT nodes do not even pass it up, as
  // it fails the storage policy now.
  auto found = this->lookup(2, "sip:alice@p2psip.test");
  EXPECT_TRUE(valid_records(found).empty());
  EXPECT_EQ(count(found, verdict::valid) + count(found, verdict::superseded), 0u);
}

TYPED_TEST(record_store_contract, a_shorter_refresh_does_not_bring_back_the_longer_binding) {
  binding_record b = this->alice_binding();
  ASSERT_FALSE(this->publish(0, this->ids().alice, b));
  b.expires_at = this->in(std::chrono::seconds{30});
  ASSERT_FALSE(this->publish(0, this->ids().alice, b));
  this->advance(std::chrono::seconds{31});
  EXPECT_TRUE(valid_records(this->lookup(4, "sip:alice@p2psip.test")).empty());
}

TYPED_TEST(record_store_contract, a_listener_hears_publish_move_and_withdraw) {
  std::vector<std::vector<checked<binding_record>>> heard;
  this->stores_[3]->listen_bindings("sip:alice@p2psip.test", [&](auto found, std::error_code) {
    heard.push_back(std::move(found));
  });
  binding_record b = this->alice_binding();
  ASSERT_FALSE(this->publish(0, this->ids().alice, b));
  ASSERT_TRUE(run_until(this->io_, [&] {
    return std::any_of(heard.begin(), heard.end(),
                       [](const auto& f) { return valid_records(f).size() == 1; });
  }));
  b.path = {"sip:192.0.2.30:5070;lr"};  // the phone registered through another node
  ASSERT_FALSE(this->publish(2, this->ids().alice, b));
  ASSERT_TRUE(run_until(this->io_, [&] {
    return !heard.empty() && valid_records(heard.back()).size() == 1 &&
           valid_records(heard.back())[0].path == b.path;
  }));
  ASSERT_FALSE(this->withdraw(1, this->ids().alice, b));
  ASSERT_TRUE(run_until(
      this->io_, [&] { return !heard.empty() && count(heard.back(), verdict::withdrawn) == 1; }));
}

TYPED_TEST(record_store_contract, a_node_with_domain_authority_may_publish_for_a_user) {
  ASSERT_FALSE(this->publish(0, this->ids().node_a, this->alice_binding()));
  EXPECT_EQ(valid_records(this->lookup(4, "sip:alice@p2psip.test")).size(), 1u);
}

// Spoofing: each attempt is made the way an attacker could, and checked
// both at the storers (nothing kept) and at readers (nothing valid).

TYPED_TEST(record_store_contract, a_binding_signed_under_another_ca_is_never_returned) {
  EXPECT_TRUE(this->publish(0, this->ids().alice_from_rogue, this->alice_binding()));
  for (std::size_t reader : {1u, 3u, 5u})
    EXPECT_TRUE(valid_records(this->lookup(reader, "sip:alice@p2psip.test")).empty());
  EXPECT_TRUE(this->raw_get(2, binding_key(overlay_id, "sip:alice@p2psip.test")).empty())
      << "a storer kept it";
}

TYPED_TEST(record_store_contract, a_binding_for_alice_signed_by_bob_is_never_returned) {
  EXPECT_TRUE(this->publish(0, this->ids().bob, this->alice_binding()));
  EXPECT_TRUE(this->publish(0, this->ids().node_b,
                            this->alice_binding()));  // a node without domain authority
  EXPECT_TRUE(valid_records(this->lookup(4, "sip:alice@p2psip.test")).empty());
  EXPECT_TRUE(this->raw_get(2, binding_key(overlay_id, "sip:alice@p2psip.test")).empty())
      << "a storer kept it";
}

TYPED_TEST(record_store_contract, a_tampered_binding_is_never_returned) {
  key k = binding_key(overlay_id, "sip:alice@p2psip.test");
  binding_record b = this->alice_binding();
  std::vector<std::uint8_t> sealed = seal(k, b, 1, this->ids().alice.key, this->ids().alice.cert);
  // Redirect alice's calls: change one byte of the contact inside the signed part.
  auto at = std::search(sealed.begin(), sealed.end(), b.contact.begin(), b.contact.end());
  ASSERT_NE(at, sealed.end());
  at[4] = '6';
  this->raw_put(0, k, value{value_id(k, b), value_type::binding, sealed});
  EXPECT_TRUE(valid_records(this->lookup(3, "sip:alice@p2psip.test")).empty());
  EXPECT_TRUE(this->raw_get(2, k).empty()) << "a storer kept it";
}

TYPED_TEST(record_store_contract, a_replayed_older_binding_never_wins_over_the_newer) {
  key k = binding_key(overlay_id, "sip:alice@p2psip.test");
  binding_record old_binding = this->alice_binding("sip:alice@203.0.113.66:5060");
  ASSERT_FALSE(this->publish(0, this->ids().alice, old_binding));
  std::vector<value> captured = this->raw_get(1, k);  // what an eavesdropping node keeps
  ASSERT_EQ(captured.size(), 1u);

  binding_record current = this->alice_binding("sip:alice@192.0.2.10:5060");
  ASSERT_FALSE(this->publish(0, this->ids().alice, current));
  this->raw_put(5, k, captured[0]);  // replayed from another node

  // A reader that never saw either version, on every node.
  for (std::size_t reader = 0; reader < this->backend_.size(); ++reader) {
    record_store fresh{this->backend_.node(reader), this->verifier_, this->clock()};
    std::optional<std::vector<checked<binding_record>>> found;
    fresh.lookup_bindings("sip:alice@p2psip.test",
                          [&](auto f, std::error_code) { found = std::move(f); });
    ASSERT_TRUE(run_until(this->io_, [&] { return found.has_value(); }));
    auto valid = valid_records(*found);
    ASSERT_EQ(valid.size(), 1u) << "reader " << reader;
    EXPECT_EQ(valid[0].contact, current.contact) << "reader " << reader;
  }
}

TYPED_TEST(record_store_contract, a_replayed_withdrawn_binding_stays_withdrawn) {
  key k = binding_key(overlay_id, "sip:alice@p2psip.test");
  binding_record b = this->alice_binding();
  ASSERT_FALSE(this->publish(0, this->ids().alice, b));
  std::vector<value> captured = this->raw_get(1, k);
  ASSERT_FALSE(this->withdraw(0, this->ids().alice, b));
  this->raw_put(4, k, captured.at(0));
  EXPECT_TRUE(valid_records(this->lookup(2, "sip:alice@p2psip.test")).empty());
}

// Contents: a signer whose certificate is good, buggy or hostile, still
// cannot store strings that readers would put into the requests they forward.
TYPED_TEST(record_store_contract, a_well_signed_binding_with_unusable_contents_is_never_stored) {
  for (const auto& bad : unusable_bindings(this->alice_binding()))
    EXPECT_TRUE(this->publish(0, this->ids().node_a, bad.record)) << bad.what << " was stored";
  EXPECT_TRUE(valid_records(this->lookup(3, "sip:alice@p2psip.test")).empty());
  EXPECT_TRUE(this->raw_get(2, binding_key(overlay_id, "sip:alice@p2psip.test")).empty())
      << "a storer kept one";
}

TYPED_TEST(record_store_contract, a_well_signed_node_record_with_a_crlf_uri_is_never_stored) {
  node_record n{.node_id = "node-a",
                .uris = {"sip:node-a@127.0.0.1:5070\r\nRoute: <sip:203.0.113.9;lr>"},
                .expires_at = this->in(std::chrono::seconds{600})};
  std::optional<std::error_code> result;
  this->stores_[0]->publish(this->ids().node_a, n, [&](std::error_code ec) { result = ec; });
  ASSERT_TRUE(run_until(this->io_, [&] { return result.has_value(); }));
  EXPECT_TRUE(*result) << "stored";
  EXPECT_TRUE(this->raw_get(4, node_key(overlay_id, "node-a")).empty()) << "a storer kept it";
}

TYPED_TEST(record_store_contract, a_node_record_is_only_valid_from_its_own_node) {
  node_record n{.node_id = "node-a",
                .uris = {"sip:node-a@127.0.0.1:5070"},
                .expires_at = this->in(std::chrono::seconds{600})};
  std::optional<std::error_code> result;
  this->stores_[0]->publish(this->ids().node_b, n, [&](std::error_code ec) { result = ec; });
  ASSERT_TRUE(run_until(this->io_, [&] { return result.has_value(); }));
  EXPECT_TRUE(*result) << "node-b published node-a's record";
  result.reset();
  this->stores_[0]->publish(this->ids().node_a, n, [&](std::error_code ec) { result = ec; });
  ASSERT_TRUE(run_until(this->io_, [&] { return result.has_value(); }));
  EXPECT_FALSE(*result);

  std::optional<std::vector<checked<node_record>>> found;
  this->stores_[4]->lookup_node("node-a", [&](auto f, std::error_code) { found = std::move(f); });
  ASSERT_TRUE(run_until(this->io_, [&] { return found.has_value(); }));
  auto valid = valid_records(*found);
  ASSERT_EQ(valid.size(), 1u);
  EXPECT_EQ(valid[0], n);
}

TYPED_TEST(record_store_contract, a_service_is_found_under_any_of_its_keys) {
  service_record svc{.service = "turn:p2psip.test",
                     .node_id = "node-a",
                     .uris = {"turn:127.0.0.1:3478?transport=udp"},
                     .capacity = 100,
                     .realm = "p2psip.test",
                     .auth_scheme = "turn-rest",
                     .expires_at = this->in(std::chrono::seconds{600})};
  std::optional<std::error_code> result;
  this->stores_[0]->publish(this->ids().node_a, svc, 4, [&](std::error_code ec) { result = ec; });
  ASSERT_TRUE(run_until(this->io_, [&] { return result.has_value(); }));
  ASSERT_FALSE(*result);
  for (unsigned i = 0; i < 4; ++i)
    EXPECT_FALSE(this->raw_get(3, service_key(overlay_id, "turn:p2psip.test", i)).empty())
        << "key " << i;
  for (int round = 0; round < 6; ++round) {
    std::optional<std::vector<checked<service_record>>> found;
    this->stores_[static_cast<std::size_t>(round) % this->backend_.size()]->find_service(
        "turn:p2psip.test", 4, 1, [&](auto f, std::error_code) { found = std::move(f); });
    ASSERT_TRUE(run_until(this->io_, [&] { return found.has_value(); }));
    auto valid = valid_records(*found);
    ASSERT_EQ(valid.size(), 1u);
    EXPECT_EQ(valid[0].uris, svc.uris);
  }
}

TYPED_TEST(record_store_contract, a_seeker_wanting_more_providers_reads_more_keys) {
  // node-a is under all four keys, node-b only under key 0: whichever key is
  // read first, a seeker that wants two providers reads on until key 0.
  const auto provider = [&](std::string node) {
    return service_record{.service = "turn:p2psip.test",
                          .node_id = std::move(node),
                          .uris = {"turn:127.0.0.1:3478?transport=udp"},
                          .realm = "p2psip.test",
                          .auth_scheme = "turn-rest",
                          .expires_at = this->in(std::chrono::seconds{600})};
  };
  const std::vector<std::tuple<const signer*, std::string, unsigned>> providers{
      {&this->ids().node_a, "node-a", 4u}, {&this->ids().node_b, "node-b", 1u}};
  for (const auto& [s, node, density] : providers) {
    std::optional<std::error_code> result;
    this->stores_[0]->publish(*s, provider(node), density,
                              [&](std::error_code ec) { result = ec; });
    ASSERT_TRUE(run_until(this->io_, [&] { return result.has_value(); }));
    ASSERT_FALSE(*result);
  }
  for (int round = 0; round < 8; ++round) {
    std::optional<std::vector<checked<service_record>>> found;
    this->stores_[1]->find_service("turn:p2psip.test", 4, 2,
                                   [&](auto f, std::error_code) { found = std::move(f); });
    ASSERT_TRUE(run_until(this->io_, [&] { return found.has_value(); }));
    std::set<std::string> nodes;
    for (const auto& r : valid_records(*found)) nodes.insert(r.node_id);
    EXPECT_EQ(nodes.size(), 2u) << "round " << round;
  }
}

TYPED_TEST(record_store_contract, an_absent_service_is_reported_after_trying_every_key) {
  std::optional<std::error_code> result;
  this->stores_[0]->find_service("sip:p2psip.test", 3, 1,
                                 [&](auto, std::error_code ec) { result = ec; });
  ASSERT_TRUE(run_until(this->io_, [&] { return result.has_value(); }));
  EXPECT_EQ(*result, make_error_code(error::no_service));
}

}  // namespace
}  // namespace p2psip::overlay::testing
