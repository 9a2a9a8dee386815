// The request head parser as the pure function it is: bytes in, verdict out.
#include "ops/request_head.hpp"

#include <gtest/gtest.h>

#include "ops/http_server.hpp"
#include "ops/percent_encoding.hpp"

namespace p2psip::ops {
namespace {

using outcome = head_result::outcome;

head_result parse(std::string_view bytes, std::size_t max_head = 8192) {
  http_request request;
  return parse_request_head(bytes, max_head, request);
}

TEST(RequestHead, CompleteWithCrLfOrBareLf) {
  http_request request;
  const std::string head = "GET /a?x=1 HTTP/1.1\r\nHost: h\r\n\r\n";
  const auto r = parse_request_head(head, 8192, request);
  ASSERT_EQ(r.what, outcome::complete);
  EXPECT_EQ(r.size, head.size());
  EXPECT_EQ(request.path, "/a");
  EXPECT_EQ(request.query.at("x"), "1");
  EXPECT_EQ(parse("GET / HTTP/1.0\nHost: h\n\n").what, outcome::complete);
}

TEST(RequestHead, AuthorizationIsKeptAndNotGivenTwice) {
  http_request request;
  const auto r =
      parse_request_head("GET / HTTP/1.1\r\nauthorization:  Bearer abc \r\n\r\n", 8192, request);
  ASSERT_EQ(r.what, outcome::complete);
  EXPECT_EQ(request.authorization, "Bearer abc");
  EXPECT_EQ(
      parse("GET / HTTP/1.1\r\nAuthorization: Bearer a\r\nAuthorization: Bearer b\r\n\r\n").status,
      400);
}

TEST(RequestHead, EveryPrefixIsIncomplete) {
  const std::string head = "GET /status HTTP/1.1\r\nHost: h\r\nAccept: */*\r\n\r\n";
  for (std::size_t n = 0; n < head.size(); ++n)
    EXPECT_EQ(parse(head.substr(0, n)).what, outcome::incomplete) << n;
}

TEST(RequestHead, TooLargeAtTheLimit) {
  EXPECT_EQ(parse(std::string(64, 'a'), 64).status, 431);
  EXPECT_EQ(parse(std::string(63, 'a'), 64).what, outcome::incomplete);
  const std::string head = "GET / HTTP/1.1\r\nX: " + std::string(100, 'b') + "\r\n\r\n";
  EXPECT_EQ(parse(head, 64).status, 431);
}

TEST(RequestHead, MalformedIs400) {
  for (const std::string_view bad : {
           "\r\n\r\n",
           "GET\r\n\r\n",
           "GET /\r\n\r\n",
           "GET / HTTP/2.0\r\n\r\n",
           "GET  / HTTP/1.1\r\n\r\n",
           "GET http://h/ HTTP/1.1\r\n\r\n",
           "G(T / HTTP/1.1\r\n\r\n",
           "GET /%zz HTTP/1.1\r\n\r\n",
           "GET /?a=%4 HTTP/1.1\r\n\r\n",
           "GET /?a=%00 HTTP/1.1\r\n\r\n",
           "GET /?a=1&a=2 HTTP/1.1\r\n\r\n",
           "GET / HTTP/1.1\r\nHost : h\r\n\r\n",
           "GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n",
           "GET / HTTP/1.1\r\nNoColon\r\n\r\n",
           "GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n",
       }) {
    const auto r = parse(bad);
    EXPECT_EQ(r.what, outcome::rejected) << bad;
    EXPECT_EQ(r.status, 400) << bad;
  }
}

TEST(RequestHead, BodyIsFlagged) {
  EXPECT_TRUE(parse("GET / HTTP/1.1\r\nContent-Length: 1\r\n\r\n").has_body);
  EXPECT_TRUE(parse("GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n").has_body);
  const auto empty = parse("GET / HTTP/1.1\r\ncontent-length: 0\r\n\r\n");
  EXPECT_EQ(empty.what, outcome::complete);
  EXPECT_FALSE(empty.has_body);
}

TEST(RequestHead, MethodIsLeftToTheServer) {
  http_request request;
  EXPECT_EQ(parse_request_head("DELETE /x HTTP/1.1\r\n\r\n", 8192, request).what,
            outcome::complete);
  EXPECT_EQ(request.method, "DELETE");
}

TEST(PercentEncoding, EveryByteRoundTrips) {
  std::string all;
  for (int b = 1; b < 256; ++b) all += static_cast<char>(b);
  const auto encoded = percent_encode(all);
  EXPECT_EQ(encoded.find_first_not_of(
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~%"),
            std::string::npos);
  EXPECT_EQ(percent_decode(encoded), all);
  EXPECT_EQ(percent_encode("sip:+1@x;a=b"), "sip%3A%2B1%40x%3Ba%3Db");
  EXPECT_EQ(percent_decode("a+b%2b"), "a+b+");
  EXPECT_EQ(percent_decode("%"), std::nullopt);
  EXPECT_EQ(percent_decode("%a"), std::nullopt);
}

}  // namespace
}  // namespace p2psip::ops
