// The signed envelope: round trips, size, and refusal of anything that is
// not exactly an envelope of a version we know.
#include "overlay/record_codec.hpp"

#include <gtest/gtest.h>

#include <msgpack.hpp>

#include "test_identities.hpp"

namespace p2psip::overlay::testing {
namespace {

binding_record typical_binding() {
  return binding_record{.aor = "sip:alice@p2psip.test",
                        .contact = "sip:alice@192.0.2.10:52044;transport=tcp;ob",
                        .path = {"sip:192.0.2.20:5070;transport=tcp;lr"},
                        .instance = "<urn:uuid:00000000-0000-1000-8000-000a95a0e128>",
                        .reg_id = 1,
                        .q = 1000,
                        .expires_at = 1'800'000'000};
}

TEST(record_codec, every_record_kind_round_trips) {
  const auto& ids = identities::get();
  key k = make_key(overlay_id, "test", "round-trip");
  std::vector<record> bodies = {
      typical_binding(),
      node_record{.node_id = "node-a",
                  .uris = {"sip:node-a@127.0.0.1:5070", "sips:node-a@127.0.0.1:5071"},
                  .expires_at = 5},
      service_record{.service = "sip:p2psip.test",
                     .index = 3,
                     .node_id = "node-a",
                     .uris = {"sip:198.51.100.1"},
                     .capacity = 10,
                     .load = 2,
                     .realm = "",
                     .auth_scheme = "",
                     .expires_at = 9},
      service_record{.service = "tel:p2psip.test",
                     .index = 1,
                     .node_id = "node-b",
                     .uris = {"sip:198.51.100.2:5061;transport=tls"},
                     .realm = "",
                     .auth_scheme = "",
                     .expires_at = 9,
                     .numbers = {"+1*", "00*"}}};
  for (const record& body : bodies) {
    auto sealed = seal(k, body, 42, ids.alice.key, ids.alice.cert);
    std::optional<envelope> env = open(k, sealed);
    ASSERT_TRUE(env);
    EXPECT_EQ(env->body, body);
    EXPECT_EQ(env->sequence, 42u);
    EXPECT_EQ(env->signer.der(), ids.alice.cert.der());
    EXPECT_TRUE(env->signer.verify(env->signed_bytes, env->signature));
  }
}

TEST(record_codec, a_typical_binding_is_well_under_600_bytes) {
  const auto& ids = identities::get();
  key k = binding_key(overlay_id, "sip:alice@p2psip.test");
  auto sealed = seal(k, typical_binding(), 1'763'000'000'000'000, ids.alice.key, ids.alice.cert);
  std::cout << "sealed binding: " << sealed.size() << " bytes (certificate "
            << ids.alice.cert.der().size() << ", signature 64)\n";
  EXPECT_LT(sealed.size(), 600u);
}

TEST(record_codec, the_signature_covers_the_key) {
  const auto& ids = identities::get();
  key k = binding_key(overlay_id, "sip:alice@p2psip.test");
  key other = binding_key(overlay_id, "sip:bob@p2psip.test");
  auto sealed = seal(k, typical_binding(), 1, ids.alice.key, ids.alice.cert);
  std::optional<envelope> moved = open(other, sealed);
  ASSERT_TRUE(moved);
  EXPECT_FALSE(moved->signer.verify(moved->signed_bytes, moved->signature));
}

TEST(record_codec, every_truncation_is_refused) {
  const auto& ids = identities::get();
  key k = make_key(overlay_id, "test", "truncation");
  auto sealed = seal(k, typical_binding(), 1, ids.alice.key, ids.alice.cert);
  for (std::size_t n = 0; n < sealed.size(); ++n)
    EXPECT_FALSE(open(k, std::span(sealed).first(n)))
        << "accepted " << n << " of " << sealed.size() << " bytes";
}

TEST(record_codec, an_unknown_version_or_kind_is_refused) {
  const auto& ids = identities::get();
  key k = make_key(overlay_id, "test", "version");
  for (auto [version, kind] : {std::pair{2, 1}, std::pair{1, 9}}) {
    msgpack::sbuffer tbs;
    msgpack::packer<msgpack::sbuffer> p{tbs};
    p.pack_array(4);
    p.pack(version);
    p.pack(kind);
    p.pack(1);
    p.pack_array(0);
    msgpack::sbuffer out;
    msgpack::packer<msgpack::sbuffer> o{out};
    o.pack_array(3);
    o.pack_bin(static_cast<std::uint32_t>(tbs.size()));
    o.pack_bin_body(tbs.data(), static_cast<std::uint32_t>(tbs.size()));
    const auto& der = ids.alice.cert.der();
    o.pack_bin(static_cast<std::uint32_t>(der.size()));
    o.pack_bin_body(reinterpret_cast<const char*>(der.data()),
                    static_cast<std::uint32_t>(der.size()));
    o.pack_bin(0);
    std::span<const std::uint8_t> data{reinterpret_cast<const std::uint8_t*>(out.data()),
                                       out.size()};
    EXPECT_FALSE(open(k, data)) << "version " << version << " kind " << kind;
  }
}

// Nodes from before gateway peers write service bodies of nine fields; they
// are read as services with no numbers, not refused.
TEST(record_codec, a_service_body_of_nine_fields_has_no_numbers) {
  const auto& ids = identities::get();
  key k = make_key(overlay_id, "test", "nine");
  msgpack::sbuffer tbs;
  msgpack::packer<msgpack::sbuffer> p{tbs};
  p.pack_array(4);
  p.pack(1);
  p.pack(3);
  p.pack(7);
  p.pack_array(9);
  p.pack(std::string("sip:p2psip.test"));
  p.pack(2);
  p.pack(std::string("node-a"));
  p.pack_array(1);
  p.pack(std::string("sip:198.51.100.1"));
  p.pack(0);
  p.pack(0);
  p.pack(std::string());
  p.pack(std::string());
  p.pack(99);
  msgpack::sbuffer out;
  msgpack::packer<msgpack::sbuffer> o{out};
  o.pack_array(3);
  o.pack_bin(static_cast<std::uint32_t>(tbs.size()));
  o.pack_bin_body(tbs.data(), static_cast<std::uint32_t>(tbs.size()));
  const auto& der = ids.alice.cert.der();
  o.pack_bin(static_cast<std::uint32_t>(der.size()));
  o.pack_bin_body(reinterpret_cast<const char*>(der.data()),
                  static_cast<std::uint32_t>(der.size()));
  o.pack_bin(0);
  const std::span<const std::uint8_t> data{reinterpret_cast<const std::uint8_t*>(out.data()),
                                           out.size()};
  const auto env = open(k, data);
  ASSERT_TRUE(env);
  const auto* s = std::get_if<service_record>(&env->body);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->node_id, "node-a");
  EXPECT_EQ(s->expires_at, 99);
  EXPECT_TRUE(s->numbers.empty());
}

TEST(record_codec, oversize_input_is_refused_before_decoding) {
  std::vector<std::uint8_t> big(max_record_bytes + 1, 0x90);
  EXPECT_FALSE(open(make_key(overlay_id, "test", "big"), big));
}

TEST(overlay_keys, keys_are_separated_by_overlay_kind_and_index) {
  EXPECT_NE(binding_key("p2psip.test", "sip:a@p2psip.test"),
            binding_key("other.test", "sip:a@p2psip.test"));
  EXPECT_NE(make_key("o", "ab", "c"), make_key("o", "a", "bc"));
  EXPECT_NE(service_key("o", "sip:o", 0), service_key("o", "sip:o", 1));
  EXPECT_EQ(binding_key("o", "sip:a@o"), binding_key("o", "sip:a@o"));
  EXPECT_NE(network_id("p2psip.test"), 0u);
  EXPECT_NE(network_id("p2psip.test"), network_id("other.test"));
}

}  // namespace
}  // namespace p2psip::overlay::testing
