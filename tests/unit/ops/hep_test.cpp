// HEPv3 packets as a collector walks them: "HEP3", the total length, then
// chunks of (vendor, type, length with header, value) in network order.
#include "ops/hep.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace p2psip::ops {
namespace {

std::uint16_t u16_at(const std::vector<std::uint8_t>& p, std::size_t at) {
  return static_cast<std::uint16_t>(p[at] << 8 | p[at + 1]);
}

std::uint32_t u32_at(const std::string& v) {
  return static_cast<std::uint32_t>(static_cast<std::uint8_t>(v[0])) << 24 |
         static_cast<std::uint32_t>(static_cast<std::uint8_t>(v[1])) << 16 |
         static_cast<std::uint32_t>(static_cast<std::uint8_t>(v[2])) << 8 |
         static_cast<std::uint8_t>(v[3]);
}

// type -> value; fails the test when a chunk overruns the packet.
std::map<std::uint16_t, std::string> chunks(const std::vector<std::uint8_t>& p) {
  std::map<std::uint16_t, std::string> out;
  EXPECT_EQ(std::string(p.begin(), p.begin() + 4), "HEP3");
  EXPECT_EQ(u16_at(p, 4), p.size());
  std::size_t at = 6;
  while (at + 6 <= p.size()) {
    EXPECT_EQ(u16_at(p, at), 0) << "vendor of the chunk at " << at;
    const auto type = u16_at(p, at + 2);
    const auto length = u16_at(p, at + 4);
    EXPECT_GE(length, 6);
    EXPECT_LE(at + length, p.size());
    if (length < 6 || at + length > p.size()) return out;
    out[type] = std::string(p.begin() + static_cast<long>(at) + 6,
                            p.begin() + static_cast<long>(at + length));
    at += length;
  }
  EXPECT_EQ(at, p.size());
  return out;
}

hep_message invite_from_phone() {
  hep_message m;
  m.source = asio::ip::make_address("192.0.2.10");
  m.source_port = 5062;
  m.destination = asio::ip::make_address("127.0.0.1");
  m.destination_port = 5060;
  m.at = std::chrono::system_clock::time_point(std::chrono::microseconds(1'700'000'000'123'456));
  m.capture_id = 2001;
  m.correlation = "a84b4c76e66710";
  m.payload = "INVITE sip:bob@p2psip.test SIP/2.0\r\nCall-ID: a84b4c76e66710\r\n\r\n";
  return m;
}

TEST(Hep3, AnIpv4UdpMessageHasItsAddressesPortsTimeAndPayload) {
  const auto packet = encode_hep3(invite_from_phone());
  ASSERT_TRUE(packet);
  auto c = chunks(*packet);
  EXPECT_EQ(c[0x0001], std::string(1, '\x02'));  // AF_INET
  EXPECT_EQ(c[0x0002], std::string(1, '\x11'));  // UDP
  EXPECT_EQ(c[0x0003], std::string("\xc0\x00\x02\x0a", 4));
  EXPECT_EQ(c[0x0004], std::string("\x7f\x00\x00\x01", 4));
  EXPECT_EQ(c[0x0007], std::string("\x13\xc6", 2));  // 5062
  EXPECT_EQ(c[0x0008], std::string("\x13\xc4", 2));  // 5060
  EXPECT_EQ(u32_at(c[0x0009]), 1'700'000'000u);
  EXPECT_EQ(u32_at(c[0x000a]), 123'456u);
  EXPECT_EQ(c[0x000b], std::string(1, '\x01'));  // SIP
  EXPECT_EQ(u32_at(c[0x000c]), 2001u);
  EXPECT_EQ(c[0x0011], "a84b4c76e66710");
  EXPECT_EQ(c[0x000f], invite_from_phone().payload);
  EXPECT_FALSE(c.contains(0x000e));  // no password asked for, none sent
}

TEST(Hep3, Ipv6OverTlsCarriesTcpAndThePassword) {
  auto m = invite_from_phone();
  m.source = asio::ip::make_address("2001:db8::1");
  m.destination = asio::ip::make_address("2001:db8::2");
  m.over_tcp = true;
  m.password = "myHep";
  const auto packet = encode_hep3(m);
  ASSERT_TRUE(packet);
  auto c = chunks(*packet);
  EXPECT_EQ(c[0x0001], std::string(1, '\x0a'));  // AF_INET6
  EXPECT_EQ(c[0x0002], std::string(1, '\x06'));  // TCP
  ASSERT_EQ(c[0x0005].size(), 16u);
  EXPECT_EQ(static_cast<std::uint8_t>(c[0x0005][15]), 1);
  EXPECT_EQ(static_cast<std::uint8_t>(c[0x0006][15]), 2);
  EXPECT_FALSE(c.contains(0x0003));
  EXPECT_EQ(c[0x000e], "myHep");
}

TEST(Hep3, AMessageBeyondSixteenBitsOfLengthIsNotEncoded) {
  auto m = invite_from_phone();
  const std::string huge(65'500, 'x');
  m.payload = huge;
  EXPECT_FALSE(encode_hep3(m));
  const std::string fits(65'000, 'x');
  m.payload = fits;
  EXPECT_TRUE(encode_hep3(m));
}

}  // namespace
}  // namespace p2psip::ops
