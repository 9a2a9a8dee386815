// Telling keep-alives from SIP on a UDP port.
#include "transport/keepalive.hpp"

#include <gtest/gtest.h>

#include <string>

namespace p2psip::transport {
namespace {

const std::string binding_request(
    "\x00\x01\x00\x00\x21\x12\xa4\x42"
    "abcdefghijkl",
    20);

TEST(keepalive, stun_binding_request_is_recognised) {
  EXPECT_TRUE(is_stun_message(binding_request));
}

TEST(keepalive, stun_needs_cookie_and_consistent_length) {
  auto no_cookie = binding_request;
  no_cookie[4] = 0;
  EXPECT_FALSE(is_stun_message(no_cookie));
  auto longer = binding_request + "1234";  // length field still says 0
  EXPECT_FALSE(is_stun_message(longer));
  EXPECT_FALSE(is_stun_message(binding_request.substr(0, 19)));
}

TEST(keepalive, sip_is_neither) {
  const std::string sip = "OPTIONS sip:bob@p2psip.test SIP/2.0\r\n\r\n";
  EXPECT_FALSE(is_stun_message(sip));
  EXPECT_FALSE(is_crlf_keepalive(sip));
}

TEST(keepalive, bare_crlf_datagrams_are_keepalives) {
  EXPECT_TRUE(is_crlf_keepalive("\r\n"));
  EXPECT_TRUE(is_crlf_keepalive("\r\n\r\n"));
  EXPECT_FALSE(is_crlf_keepalive("\r\n\r\n\r\n"));
  EXPECT_FALSE(is_crlf_keepalive(""));
}

}  // namespace
}  // namespace p2psip::transport
