#include "relay/stun_message.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "message_builder.hpp"
#include "relay/error.hpp"
#include "rfc5769_vectors.hpp"

namespace p2psip::relay {
namespace {

bytes of(std::span<const std::uint8_t> s) {
  return {s.begin(), s.end()};
}

constexpr std::uint16_t allocate_error = 0x0113;
constexpr std::uint16_t binding_success = 0x0101;

// --- RFC 5769 ---

TEST(StunRfc5769, SampleRequestVerifiesWithTheShortTermKey) {
  const auto d = decode(rfc5769::request, rfc5769::short_term_password);
  ASSERT_FALSE(d.error) << d.error.message();
  const auto& m = d.message;
  EXPECT_EQ(m.cls, stun_class::request);
  EXPECT_EQ(m.method, stun_method::binding);
  EXPECT_EQ(m.id, (transaction_id{0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf,
                                  0xae}));
  EXPECT_EQ(m.username, "evtj:h6vY");
  EXPECT_EQ(m.integrity_state, integrity::verified);
  EXPECT_TRUE(m.fingerprint);
  // PRIORITY (RFC 8445) is comprehension-required and not ours to read.
  EXPECT_EQ(m.unknown_required, std::vector<std::uint16_t>{0x0024});
}

TEST(StunRfc5769, Ipv4ResponseGivesTheMappedAddress) {
  const auto d = decode(rfc5769::ipv4_response, rfc5769::short_term_password);
  ASSERT_FALSE(d.error) << d.error.message();
  EXPECT_EQ(d.message.cls, stun_class::success);
  EXPECT_EQ(d.message.method, stun_method::binding);
  ASSERT_TRUE(d.message.mapped);
  EXPECT_EQ(*d.message.mapped, (transport_address{asio::ip::make_address("192.0.2.1"), 32853}));
  EXPECT_EQ(d.message.integrity_state, integrity::verified);
  EXPECT_TRUE(d.message.fingerprint);
  EXPECT_TRUE(d.message.unknown_required.empty());
}

TEST(StunRfc5769, Ipv6ResponseGivesTheMappedAddress) {
  const auto d = decode(rfc5769::ipv6_response, rfc5769::short_term_password);
  ASSERT_FALSE(d.error) << d.error.message();
  ASSERT_TRUE(d.message.mapped);
  EXPECT_EQ(
      *d.message.mapped,
      (transport_address{asio::ip::make_address("2001:db8:1234:5678:11:2233:4455:6677"), 32853}));
  EXPECT_EQ(d.message.integrity_state, integrity::verified);
  EXPECT_TRUE(d.message.fingerprint);
}

TEST(StunRfc5769, LongTermRequestVerifiesWithTheMd5Key) {
  const auto key = long_term_key(rfc5769::long_term_username, rfc5769::long_term_realm,
                                 rfc5769::long_term_password);
  const auto d = decode(rfc5769::long_term_request, key);
  ASSERT_FALSE(d.error) << d.error.message();
  EXPECT_EQ(d.message.username, rfc5769::long_term_username);
  EXPECT_EQ(d.message.realm, rfc5769::long_term_realm);
  EXPECT_EQ(d.message.nonce, rfc5769::long_term_nonce);
  EXPECT_EQ(d.message.integrity_state, integrity::verified);
  EXPECT_FALSE(d.message.fingerprint);
}

// Our encoder, given §2.4's parameters, writes §2.4's bytes, then its
// FINGERPRINT (which only changes the header's length).
TEST(StunRfc5769, EncoderWritesTheLongTermRequest) {
  stun_request r;
  r.id = rfc5769::long_term_id;
  r.auth =
      long_term_auth{std::string(rfc5769::long_term_username),
                     std::string(rfc5769::long_term_realm), std::string(rfc5769::long_term_nonce),
                     long_term_key(rfc5769::long_term_username, rfc5769::long_term_realm,
                                   rfc5769::long_term_password)};
  const auto e = encode(r);
  ASSERT_FALSE(e.error);
  ASSERT_EQ(e.wire.size(), rfc5769::long_term_request.size() + 8);
  auto prefix = bytes(e.wire.begin(), e.wire.begin() + rfc5769::long_term_request.size());
  EXPECT_EQ(prefix[3], 0x68);
  prefix[3] = 0x60;
  EXPECT_EQ(prefix, of(rfc5769::long_term_request));
}

TEST(StunRfc5769, WrongOrNoKey) {
  EXPECT_EQ(decode(rfc5769::ipv4_response, "not the password").message.integrity_state,
            integrity::mismatch);
  EXPECT_EQ(decode(rfc5769::ipv4_response).message.integrity_state, integrity::unchecked);
}

// --- encoding ---

TEST(StunEncode, BindingIsHeaderAndFingerprint) {
  const transaction_id id{0xa, 0xb, 0xc, 0xd, 0xe, 0xf, 1, 2, 3, 4, 5, 6};
  const auto e = encode(binding_request(id));
  ASSERT_FALSE(e.error);
  ASSERT_EQ(e.wire.size(), 28u);
  EXPECT_EQ(bytes(e.wire.begin(), e.wire.begin() + 8),
            (bytes{0x00, 0x01, 0x00, 0x08, 0x21, 0x12, 0xa4, 0x42}));
  EXPECT_EQ(e.wire[20], 0x80);
  EXPECT_EQ(e.wire[21], 0x28);
  const auto d = decode(e.wire);
  ASSERT_FALSE(d.error);
  EXPECT_EQ(d.message.id, id);
  EXPECT_TRUE(d.message.fingerprint);
  EXPECT_EQ(d.message.integrity_state, integrity::absent);
}

TEST(StunEncode, AllocateWithCredentialRoundTrips) {
  const transaction_id id{1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144};
  const auto key = long_term_key("1700000060:probe", "probe.test", "pw");
  const auto e = encode(allocate_request(
      id, std::chrono::seconds{600}, long_term_auth{"1700000060:probe", "probe.test", "abc", key}));
  ASSERT_FALSE(e.error);
  const auto d = decode(e.wire, key);
  ASSERT_FALSE(d.error) << d.error.message();
  EXPECT_EQ(d.message.cls, stun_class::request);
  EXPECT_EQ(d.message.method, stun_method::allocate);
  EXPECT_EQ(d.message.lifetime, 600u);
  EXPECT_EQ(d.message.username, "1700000060:probe");
  EXPECT_EQ(d.message.realm, "probe.test");
  EXPECT_EQ(d.message.nonce, "abc");
  EXPECT_EQ(d.message.integrity_state, integrity::verified);
  EXPECT_TRUE(d.message.fingerprint);
  // REQUESTED-TRANSPORT is known, if not read.
  EXPECT_TRUE(d.message.unknown_required.empty());
}

TEST(StunEncode, RefreshToZeroAndWithoutCredential) {
  const auto refresh =
      decode(encode(refresh_request({}, std::chrono::seconds{0}, {"u", "r", "n", "k"})).wire, "k");
  ASSERT_FALSE(refresh.error);
  EXPECT_EQ(refresh.message.method, stun_method::refresh);
  EXPECT_EQ(refresh.message.lifetime, 0u);
  EXPECT_EQ(refresh.message.integrity_state, integrity::verified);

  const auto bare = decode(encode(allocate_request({}, std::chrono::seconds{60}, {})).wire);
  ASSERT_FALSE(bare.error);
  EXPECT_EQ(bare.message.integrity_state, integrity::absent);
  EXPECT_FALSE(bare.message.username);
}

TEST(StunEncode, OverlongCredentialIsRefused) {
  const auto e = encode(allocate_request({}, std::chrono::seconds{60},
                                         long_term_auth{std::string(509, 'u'), "r", "n", "k"}));
  EXPECT_EQ(e.error, error::value_too_long);
  EXPECT_TRUE(e.wire.empty());
}

TEST(StunEncode, AnyChangedByteBreaksTheFingerprintOrIntegrity) {
  const auto wire =
      encode(allocate_request({}, std::chrono::seconds{60}, long_term_auth{"u", "r", "n", "k"}))
          .wire;
  for (std::size_t i = 0; i < wire.size(); ++i) {
    auto changed = wire;
    changed[i] ^= 0x01;
    const auto d = decode(changed, "k");
    // A changed FINGERPRINT type leaves an unknown attribute after
    // MESSAGE-INTEGRITY, which is not read: the message is whole without it.
    EXPECT_TRUE(d.error || d.message.integrity_state != integrity::verified ||
                !d.message.fingerprint)
        << "byte " << i;
  }
}

// --- decoding what servers answer ---

TEST(StunDecode, ErrorResponseWithChallenge) {
  const auto wire = message_builder(allocate_error)
                        .attribute(0x0009, error_code(4, 1, "Unauthorized"))
                        .text(0x0014, "probe.test")
                        .text(0x0015, "nonce-1")
                        .attribute(0x8022, {'c', 'o', 't', 'u', 'r', 'n'})
                        .build();
  const auto d = decode(wire);
  ASSERT_FALSE(d.error) << d.error.message();
  EXPECT_EQ(d.message.cls, stun_class::error);
  EXPECT_EQ(d.message.method, stun_method::allocate);
  EXPECT_EQ(d.message.error_code, 401);
  EXPECT_EQ(d.message.error_reason, "Unauthorized");
  EXPECT_EQ(d.message.realm, "probe.test");
  EXPECT_EQ(d.message.nonce, "nonce-1");
}

TEST(StunDecode, RelayedAddressAndLifetime) {
  // The XOR-MAPPED-ADDRESS value of RFC 5769 §2.3 under XOR-RELAYED-ADDRESS,
  // with §2.3's transaction id: the same address comes out.
  const transaction_id id{0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae};
  const bytes v6(rfc5769::ipv6_response.begin() + 40, rfc5769::ipv6_response.begin() + 60);
  const bytes v4(rfc5769::ipv4_response.begin() + 40, rfc5769::ipv4_response.begin() + 48);
  const auto wire = message_builder(0x0103, id)
                        .attribute(0x0016, v6)
                        .attribute(0x000D, {0, 0, 0x02, 0x58})
                        .attribute(0x0020, v4)
                        .build();
  const auto d = decode(wire);
  ASSERT_FALSE(d.error) << d.error.message();
  ASSERT_TRUE(d.message.relayed);
  EXPECT_EQ(d.message.relayed->address.to_string(), "2001:db8:1234:5678:11:2233:4455:6677");
  EXPECT_EQ(d.message.relayed->port, 32853);
  EXPECT_EQ(d.message.lifetime, 600u);
  ASSERT_TRUE(d.message.mapped);
  EXPECT_EQ(d.message.mapped->address.to_string(), "192.0.2.1");
}

TEST(StunDecode, AttributesAfterIntegrityAreNotRead) {
  auto wire = message_builder(binding_success)
                  .attribute(0x0008, bytes(20, 0))
                  .text(0x0014, "late realm")
                  .build();
  const auto d = decode(wire);
  ASSERT_FALSE(d.error);
  EXPECT_FALSE(d.message.realm);
  EXPECT_EQ(d.message.integrity_state, integrity::unchecked);
}

TEST(StunDecode, FirstOfRepeatedAttributesCounts) {
  const auto d =
      decode(message_builder(allocate_error).text(0x0015, "first").text(0x0015, "second").build());
  ASSERT_FALSE(d.error);
  EXPECT_EQ(d.message.nonce, "first");
}

TEST(StunDecode, FrameSizeReadsTheHeader) {
  EXPECT_EQ(frame_size(rfc5769::ipv4_response).size, 80u);
  EXPECT_EQ(frame_size(std::span(rfc5769::ipv4_response).first(20)).size, 80u);
  EXPECT_EQ(frame_size(std::span(rfc5769::ipv4_response).first(19)).error, error::too_short);
}

// --- malformed input ---

TEST(StunMalformed, HeaderRules) {
  auto v = of(rfc5769::ipv4_response);
  EXPECT_EQ(decode(std::span(v).first(19)).error, error::too_short);
  auto top_bits = v;
  top_bits[0] |= 0x40;
  EXPECT_EQ(decode(top_bits).error, error::not_stun);
  auto cookie = v;
  cookie[5] ^= 0xff;
  EXPECT_EQ(decode(cookie).error, error::not_stun);
  auto odd_length = v;
  odd_length[3] = 0x3d;
  EXPECT_EQ(decode(odd_length).error, error::bad_length);
  auto longer = v;
  longer.push_back(0);
  EXPECT_EQ(decode(longer).error, error::bad_length);
  auto claims_more = v;
  claims_more[3] = 0x40;
  EXPECT_EQ(decode(claims_more).error, error::bad_length);
}

TEST(StunMalformed, AttributePastTheEnd) {
  auto wire = message_builder(binding_success).text(0x0014, "realm").build();
  wire[23] = 0x09;  // REALM claims 9 bytes, 8 are there
  EXPECT_EQ(decode(wire).error, error::truncated_attribute);
  auto tail = message_builder(binding_success).build();
  tail.insert(tail.end(), {0x00, 0x14});  // half an attribute header
  tail[3] = 4;
  tail.insert(tail.end(), {0x00, 0x00});
  EXPECT_FALSE(decode(tail).error);  // a whole, empty REALM
  tail[23] = 0x04;
  EXPECT_EQ(decode(tail).error, error::truncated_attribute);
}

TEST(StunMalformed, TooManyAttributes) {
  message_builder many(binding_success);
  for (std::size_t i = 0; i < max_attributes; ++i) many.attribute(0x8022, {'x'});
  EXPECT_FALSE(decode(many.build()).error);
  many.attribute(0x8022, {'x'});
  EXPECT_EQ(decode(many.build()).error, error::too_many_attributes);
}

TEST(StunMalformed, BadAttributeValues) {
  const auto bad = [](std::uint16_t type, const bytes& value) {
    return decode(message_builder(binding_success).attribute(type, value).build()).error;
  };
  EXPECT_EQ(bad(0x0020, {0, 3, 0, 0, 1, 2, 3, 4}), error::bad_attribute);  // family 3
  EXPECT_EQ(bad(0x0020, {0, 1, 0, 0, 1, 2, 3}), error::bad_attribute);     // IPv4, 3 bytes
  EXPECT_EQ(bad(0x0016, {0, 2, 0, 0, 1, 2, 3, 4}), error::bad_attribute);
  EXPECT_EQ(bad(0x0009, error_code(7, 1, "x")), error::bad_attribute);
  EXPECT_EQ(bad(0x0009, error_code(4, 100, "x")), error::bad_attribute);
  EXPECT_EQ(bad(0x0009, {0, 0, 4}), error::bad_attribute);
  EXPECT_EQ(bad(0x000D, {0, 0, 1}), error::bad_attribute);
  EXPECT_EQ(bad(0x0008, bytes(19, 0)), error::bad_attribute);
  EXPECT_EQ(bad(0x0014, bytes(764, 'r')), error::bad_attribute);
  EXPECT_FALSE(bad(0x0014, bytes(763, 'r')));
}

TEST(StunMalformed, FingerprintMustMatchAndBeLast) {
  auto v = of(rfc5769::ipv4_response);
  v.back() ^= 1;
  EXPECT_EQ(decode(v).error, error::bad_fingerprint);
  const auto not_last = message_builder(binding_success)
                            .attribute(0x8028, {0, 0, 0, 0})
                            .text(0x8022, "after")
                            .build();
  EXPECT_EQ(decode(not_last).error, error::bad_fingerprint);
}

// Every prefix of every vector is refused, and none is read past.
TEST(StunMalformed, EveryTruncationIsAnError) {
  for (const auto& vector : {of(rfc5769::request), of(rfc5769::ipv4_response),
                             of(rfc5769::ipv6_response), of(rfc5769::long_term_request)}) {
    for (std::size_t n = 0; n < vector.size(); ++n) {
      const bytes prefix(vector.begin(), vector.begin() + n);  // its own buffer, for ASan
      EXPECT_TRUE(decode(prefix).error) << "prefix of " << n;
    }
  }
}

}  // namespace
}  // namespace p2psip::relay
