// The verifier's memory of valid values: a value found valid is answered
// from memory while it stays valid, and never past the moment it would stop
// being valid (its expiry, its signer's certificate), nor for other bytes,
// another key or another id.
#include "overlay/record_verifier.hpp"

#include <gtest/gtest.h>

#include "overlay/record_codec.hpp"
#include "overlay/record_store.hpp"
#include "test_identities.hpp"

namespace p2psip::overlay::testing {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

const wall_clock::time_point t0 = wall_clock::now();

unix_seconds unix_at(wall_clock::time_point t) {
  return std::chrono::duration_cast<seconds>(t.time_since_epoch()).count();
}

binding_record binding_until(wall_clock::time_point expiry) {
  binding_record b;
  b.aor = "sip:alice@p2psip.test";
  b.contact = "sip:alice@192.0.2.10:5060";
  b.expires_at = unix_at(expiry);
  return b;
}

value sealed(const key& k, const record& body, const signer& s, std::uint64_t sequence = 1) {
  return value{value_id(k, body), type_of(body), seal(k, body, sequence, s.key, s.cert)};
}

class record_verifier_memory : public ::testing::Test {
 protected:
  const identities& ids() const { return identities::get(); }
  record_verifier verifier_{overlay_id, identity::trust_anchor{identities::get().ca.cert()}};
  key k_ = binding_key(overlay_id, "sip:alice@p2psip.test");
};

TEST_F(record_verifier_memory, a_valid_value_is_remembered_and_answered_alike) {
  value v = sealed(k_, binding_until(t0 + hours{1}), ids().alice);
  checked_value first = verifier_.check(k_, v, t0);
  ASSERT_EQ(first.status, verdict::valid);
  EXPECT_EQ(verifier_.remembered(), 1u);
  checked_value again = verifier_.check(k_, v, t0 + seconds{1});
  EXPECT_EQ(again.status, verdict::valid);
  EXPECT_EQ(again.env->sequence, first.env->sequence);
  EXPECT_EQ(verifier_.remembered(), 1u);
}

TEST_F(record_verifier_memory, a_remembered_value_expires_when_its_record_does) {
  value v = sealed(k_, binding_until(t0 + seconds{60}), ids().alice);
  ASSERT_EQ(verifier_.check(k_, v, t0).status, verdict::valid);
  EXPECT_EQ(verifier_.check(k_, v, t0 + seconds{61}).status, verdict::expired);
  EXPECT_EQ(verifier_.remembered(), 0u);
}

TEST_F(record_verifier_memory, nothing_is_valid_from_memory_past_the_signers_certificate) {
  // A certificate that ends in 30 minutes signs a binding for an hour: valid
  // now, and refused once the certificate has ended although the memory
  // holds it and the record has not expired.
  const signer short_lived = identities::make(ids().ca.issue_user(
      "sip:alice@p2psip.test", identity::validity_window{t0 - hours{1}, t0 + seconds{1800}}));
  value v = sealed(k_, binding_until(t0 + hours{1}), short_lived);
  ASSERT_EQ(verifier_.check(k_, v, t0).status, verdict::valid);
  EXPECT_EQ(verifier_.check(k_, v, t0 + seconds{1700}).status, verdict::valid);
  EXPECT_EQ(verifier_.check(k_, v, t0 + seconds{1900}).status, verdict::untrusted_signer);
}

TEST_F(record_verifier_memory, other_bytes_key_or_id_are_checked_afresh) {
  value v = sealed(k_, binding_until(t0 + hours{1}), ids().alice);
  ASSERT_EQ(verifier_.check(k_, v, t0).status, verdict::valid);

  value tampered = v;
  tampered.data[tampered.data.size() / 2] ^= 0x01;
  EXPECT_NE(verifier_.check(k_, tampered, t0).status, verdict::valid);

  key elsewhere = binding_key(overlay_id, "sip:bob@p2psip.test");
  EXPECT_NE(verifier_.check(elsewhere, v, t0).status, verdict::valid);

  value other_id = v;
  ++other_id.id;
  EXPECT_EQ(verifier_.check(k_, other_id, t0).status, verdict::wrong_name);

  value forged = sealed(k_, binding_until(t0 + hours{1}), ids().alice_from_rogue);
  EXPECT_EQ(verifier_.check(k_, forged, t0).status, verdict::untrusted_signer);
  EXPECT_EQ(verifier_.remembered(), 1u);  // refusals are not remembered
}

TEST_F(record_verifier_memory, the_memory_is_bounded) {
  record_verifier small{overlay_id, identity::trust_anchor{ids().ca.cert()}, lifetimes{}, 4};
  for (std::uint64_t sequence = 1; sequence <= 10; ++sequence) {
    value v = sealed(k_, binding_until(t0 + hours{1}), ids().alice, sequence);
    ASSERT_EQ(small.check(k_, v, t0).status, verdict::valid);
    EXPECT_LE(small.remembered(), 4u);
  }
}

}  // namespace
}  // namespace p2psip::overlay::testing
