// Records signed by a certificate the overlay trusts, whose contents are not
// fit to go into a SIP message: the contents check names the fault, the
// verifier refuses them (verdict::bad_content) for storers and for readers,
// and bounds are exact.
#include "overlay/record_content.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <set>

#include "backends.hpp"
#include "overlay/record_codec.hpp"
#include "overlay/record_store.hpp"
#include "overlay/record_verifier.hpp"
#include "test_identities.hpp"
#include "unusable_bindings.hpp"

namespace p2psip::overlay::testing {
namespace {

using std::chrono::seconds;

unix_seconds unix_in(seconds s) {
  return std::chrono::duration_cast<seconds>((wall_clock::now() + s).time_since_epoch()).count();
}

binding_record good_binding() {
  return binding_record{.aor = "sip:alice@p2psip.test",
                        .contact = "sip:alice@192.0.2.10:52044;transport=tcp;ob",
                        .path = {"<sip:QUJDRA@192.0.2.20:5070;transport=tcp;lr>"},
                        .instance = "<urn:uuid:00000000-0000-1000-8000-000a95a0e128>",
                        .reg_id = 1,
                        .q = 1000,
                        .expires_at = unix_in(seconds{3600})};
}

node_record good_node() {
  return node_record{.node_id = "node-a",
                     .uris = {"sip:node-a@127.0.0.1:5070", "sips:node-a@127.0.0.1:5071"},
                     .expires_at = unix_in(seconds{600})};
}

service_record good_relay() {
  return service_record{.service = "turn:p2psip.test",
                        .node_id = "node-a",
                        .uris = {"turn:127.0.0.1:3478?transport=udp", "turns:127.0.0.1:5349"},
                        .capacity = 100,
                        .realm = "p2psip.test",
                        .auth_scheme = "turn-rest",
                        .expires_at = unix_in(seconds{600})};
}

// A value exactly as record_store would put it.
value sealed(const key& k, const record& body, const signer& s) {
  return value{value_id(k, body), type_of(body), seal(k, body, 1, s.key, s.cert)};
}

class record_content : public ::testing::Test {
 protected:
  const identities& ids() const { return identities::get(); }
  record_verifier verifier_{overlay_id, identity::trust_anchor{identities::get().ca.cert()}};

  checked_value check(const key& k, const record& body, const signer& s) const {
    return verifier_.check(k, sealed(k, body, s), wall_clock::now());
  }
  checked_value check_binding(const binding_record& b) const {
    return check(binding_key(overlay_id, b.aor), b, ids().alice);
  }
};

TEST_F(record_content, good_records_have_no_fault_and_verify) {
  EXPECT_EQ(content_fault_of(good_binding()), content_fault::none);
  EXPECT_EQ(check_binding(good_binding()).status, verdict::valid);
  // As the fixtures and the node write them: an addr-spec path and no instance.
  binding_record plain = good_binding();
  plain.path = {"sip:node-a@127.0.0.1:5070;lr;ob"};
  plain.instance.clear();
  EXPECT_EQ(content_fault_of(plain), content_fault::none);
  plain.path.clear();
  EXPECT_EQ(content_fault_of(plain), content_fault::none);
  EXPECT_EQ(check(node_key(overlay_id, "node-a"), good_node(), ids().node_a).status,
            verdict::valid);
  EXPECT_EQ(content_fault_of(good_relay()), content_fault::none);
}

TEST_F(record_content, a_well_signed_binding_with_unusable_contents_is_refused_with_its_fault) {
  for (const auto& bad : unusable_bindings(good_binding())) {
    EXPECT_EQ(content_fault_of(bad.record), bad.fault) << bad.what;
    checked_value c = check_binding(bad.record);
    EXPECT_EQ(c.status, verdict::bad_content) << bad.what;
    EXPECT_EQ(c.fault, bad.fault) << bad.what;
    // A node with authority over the domain gets no further.
    key k = binding_key(overlay_id, bad.record.aor);
    EXPECT_EQ(check(k, bad.record, ids().node_a).status, verdict::bad_content) << bad.what;
  }
}

TEST_F(record_content, storers_refuse_unusable_contents) {
  auto policies = storage_policies(
      std::make_shared<record_verifier>(overlay_id, identity::trust_anchor{ids().ca.cert()}),
      [] { return wall_clock::now(); });
  const type_policy& binding_policy = policies.at(0);
  ASSERT_EQ(binding_policy.type, value_type::binding);
  key k = binding_key(overlay_id, "sip:alice@p2psip.test");
  value good = sealed(k, good_binding(), ids().alice);
  EXPECT_TRUE(binding_policy.accept_store(k, good));
  for (const auto& bad : unusable_bindings(good_binding())) {
    value v = sealed(k, bad.record, ids().alice);
    EXPECT_FALSE(binding_policy.accept_store(k, v)) << bad.what;
    // Nor may it replace a good version under the same id.
    value older = sealed(k, good_binding(), ids().alice);
    older.id = v.id;
    EXPECT_FALSE(binding_policy.accept_edit(k, older, v)) << bad.what;
  }
}

TEST_F(record_content, every_fault_has_its_own_name) {
  std::set<std::string_view> names;
  for (auto f = static_cast<int>(content_fault::none);
       f <= static_cast<int>(content_fault::bad_number_pattern); ++f)
    names.insert(to_string(static_cast<content_fault>(f)));
  EXPECT_EQ(names.size(), static_cast<std::size_t>(content_fault::bad_number_pattern) + 1);
  EXPECT_FALSE(names.contains("unknown"));
  EXPECT_EQ(to_string(verdict::bad_content), "bad_content");
}

TEST_F(record_content, bounds_admit_the_limit_and_refuse_one_more) {
  binding_record b = good_binding();
  b.path.assign(content_limits::path_entries, "<sip:127.0.0.1:5070;lr>");
  EXPECT_EQ(content_fault_of(b), content_fault::none);
  b.path.push_back(b.path.front());
  EXPECT_EQ(content_fault_of(b), content_fault::too_many_path_entries);

  const std::string frame = "<sip:@127.0.0.1;lr>";
  b = good_binding();
  b.path = {"<sip:" + std::string(content_limits::path_entry - frame.size(), 'a') +
            "@127.0.0.1;lr>"};
  ASSERT_EQ(b.path[0].size(), content_limits::path_entry);
  EXPECT_EQ(content_fault_of(b), content_fault::none);
  b.path[0].insert(5, "a");
  EXPECT_EQ(content_fault_of(b), content_fault::path_entry_too_long);

  b = good_binding();
  b.contact = "sip:" + std::string(content_limits::contact - 14, 'a') + "@192.0.2.1";
  ASSERT_EQ(b.contact.size(), content_limits::contact);
  EXPECT_EQ(content_fault_of(b), content_fault::none);
  b.contact.insert(4, "a");
  EXPECT_EQ(content_fault_of(b), content_fault::contact_too_long);

  b = good_binding();
  b.instance = "<urn:x:" + std::string(content_limits::instance - 8, 'a') + ">";
  ASSERT_EQ(b.instance.size(), content_limits::instance);
  EXPECT_EQ(content_fault_of(b), content_fault::none);
  b.instance.insert(7, "a");
  EXPECT_EQ(content_fault_of(b), content_fault::instance_too_long);

  b = good_binding();
  b.aor = "sip:" + std::string(content_limits::aor - 16, 'a') + "@p2psip.test";
  ASSERT_EQ(b.aor.size(), content_limits::aor);
  EXPECT_EQ(content_fault_of(b), content_fault::none);
  b.aor.insert(4, "a");
  EXPECT_EQ(content_fault_of(b), content_fault::aor_too_long);
}

TEST_F(record_content, every_control_character_is_refused_in_every_binding_field) {
  for (int c = 0; c < 0x80; ++c) {
    if (c >= 0x20 && c < 0x7f) continue;
    const std::string ctl(1, static_cast<char>(c));
    std::vector<binding_record> spoiled(4, good_binding());
    spoiled[0].aor.insert(4, ctl);
    spoiled[1].contact += ctl;
    spoiled[2].path[0].insert(1, ctl);
    spoiled[3].instance.insert(1, ctl);
    for (const auto& b : spoiled)
      EXPECT_EQ(content_fault_of(b), content_fault::control_character) << "byte " << c;
  }
}

TEST_F(record_content, the_instance_may_hold_escaped_quotes_only) {
  binding_record b = good_binding();
  b.instance = R"(<urn:x:a\"b\\c>)";
  EXPECT_EQ(content_fault_of(b), content_fault::none);
  b.instance = R"(<urn:x:a\>)";
  EXPECT_EQ(content_fault_of(b), content_fault::none);
  b.instance = R"(<urn:x:a>\)";
  EXPECT_EQ(content_fault_of(b), content_fault::instance_not_quotable);
}

TEST_F(record_content, a_node_record_holds_sip_uris_only) {
  key k = node_key(overlay_id, "node-a");
  auto with_uris = [](std::vector<std::string> uris) {
    node_record n = good_node();
    n.uris = std::move(uris);
    return n;
  };
  struct bad_node {
    node_record n;
    content_fault fault;
  };
  for (const auto& [n, fault] : std::vector<bad_node>{
           {with_uris({"sip:node-a@127.0.0.1:5070\r\nRoute: <sip:evil>"}),
            content_fault::control_character},
           {with_uris({"tel:+1-555-0100"}), content_fault::uri_wrong_scheme},
           {with_uris({"turn:127.0.0.1:3478"}), content_fault::uri_wrong_scheme},
           {with_uris({"sip:node-a@127.0.0.1:5070;lr>"}), content_fault::uri_wrong_scheme},
           {with_uris({"sip:node-a@127.0.0.1:5070?Route=x"}), content_fault::uri_has_headers},
           {with_uris(std::vector<std::string>(content_limits::uris + 1, "sip:127.0.0.1")),
            content_fault::too_many_uris},
           {with_uris({"sip:" + std::string(content_limits::uri, 'a') + "@127.0.0.1"}),
            content_fault::uri_too_long},
       }) {
    checked_value c = check(k, n, ids().node_a);
    EXPECT_EQ(c.status, verdict::bad_content) << n.uris.front().substr(0, 40);
    EXPECT_EQ(c.fault, fault) << n.uris.front().substr(0, 40);
  }
}

TEST_F(record_content, a_service_record_holds_uris_of_its_service_and_plain_names) {
  service_record relay = good_relay();
  relay.uris = {"sip:127.0.0.1:5060"};
  EXPECT_EQ(content_fault_of(relay), content_fault::uri_wrong_scheme);
  service_record proxy = good_relay();
  proxy.service = "sip:p2psip.test";
  EXPECT_EQ(content_fault_of(proxy), content_fault::uri_wrong_scheme);
  proxy.uris = {"sip:198.51.100.1", "sips:198.51.100.1"};
  EXPECT_EQ(content_fault_of(proxy), content_fault::none);

  service_record s = good_relay();
  s.realm = "p2psip.test\r\n";
  EXPECT_EQ(content_fault_of(s), content_fault::control_character);
  s = good_relay();
  s.auth_scheme = "turn rest";
  EXPECT_EQ(content_fault_of(s), content_fault::bad_auth_scheme);
  s = good_relay();
  s.realm = std::string(content_limits::name + 1, 'r');
  EXPECT_EQ(content_fault_of(s), content_fault::name_too_long);
  s = good_relay();
  s.node_id = "node a";
  EXPECT_EQ(content_fault_of(s), content_fault::bad_node_id);
}

// Every node matches a gateway peer's patterns against the numbers its
// users dial: they are held to the pattern syntax, and bounded.
TEST_F(record_content, gateway_numbers_must_be_patterns) {
  service_record s = good_relay();
  s.service = "tel:p2psip.test";
  s.uris = {"sip:198.51.100.2:5061;transport=tls"};
  s.numbers = {"+1*", "00*", "*", "+4930123456"};
  EXPECT_EQ(content_fault_of(s), content_fault::none);
  for (const char* bad : {"", "1*2", "+", "**", "abc", "+1-555*"}) {
    s.numbers = {bad};
    EXPECT_EQ(content_fault_of(s), content_fault::bad_number_pattern) << bad;
  }
  s.numbers.assign(content_limits::numbers + 1, "+1*");
  EXPECT_EQ(content_fault_of(s), content_fault::too_many_numbers);
}

// Already refused before contents were checked, and still: a binding whose
// AOR is not the one its key was made from.
TEST_F(record_content, a_binding_under_another_aors_key_is_refused) {
  binding_record b = good_binding();
  b.aor = "sip:bob@p2psip.test";
  key alices = binding_key(overlay_id, "sip:alice@p2psip.test");
  EXPECT_EQ(check(alices, b, ids().node_a).status, verdict::wrong_name);
}

// Readers do not rely on storers: a storer that keeps anything (an old
// version, or a hostile node) still cannot hand a reader unusable contents.
TEST_F(record_content, readers_refuse_unusable_contents_that_a_storer_kept) {
  asio::io_context io;
  auto verifier =
      std::make_shared<record_verifier>(overlay_id, identity::trust_anchor{ids().ca.cert()});
  auto careless = storage_policies(verifier, [] { return wall_clock::now(); });
  for (type_policy& p : careless) p.accept_store = nullptr;
  memory_backend backend;
  backend.start(
      io, careless, [] { return wall_clock::now(); }, 3);
  record_store reader{backend.node(2), verifier, [] { return wall_clock::now(); }};

  key k = binding_key(overlay_id, "sip:alice@p2psip.test");
  auto cases = unusable_bindings(good_binding());
  for (const auto& bad : cases) {
    bool put = false;
    backend.node(0).put(k, sealed(k, bad.record, ids().alice),
                        [&](std::error_code) { put = true; });
    ASSERT_TRUE(run_until(io, [&] { return put; }));
  }
  std::optional<std::vector<checked<binding_record>>> found;
  reader.lookup_bindings("sip:alice@p2psip.test",
                         [&](auto f, std::error_code) { found = std::move(f); });
  ASSERT_TRUE(run_until(io, [&] { return found.has_value(); }));
  EXPECT_EQ(found->size(), cases.size()) << "the careless storers kept them all";
  EXPECT_TRUE(valid_records(*found).empty());
  std::multiset<content_fault> faults, expected;
  for (const auto& c : *found) {
    EXPECT_EQ(c.status, verdict::bad_content);
    faults.insert(c.fault);
  }
  for (const auto& bad : cases) expected.insert(bad.fault);
  EXPECT_EQ(faults, expected);
}

}  // namespace
}  // namespace p2psip::overlay::testing
