#include "sip/validate.hpp"

#include <gtest/gtest.h>

#include <string>

#include "sip/parser.hpp"

namespace p2psip::sip {
namespace {

const std::string base =
    "OPTIONS sip:carol@chicago.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bKhjhs8ass877\r\n"
    "Max-Forwards: 70\r\n"
    "To: <sip:carol@chicago.com>\r\n"
    "From: Alice <sip:alice@atlanta.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710\r\n"
    "CSeq: 63104 OPTIONS\r\n"
    "Require: 100rel\r\n"
    "Contact: <sip:alice@pc33.atlanta.com>\r\n"
    "Content-Length: 0\r\n\r\n";

std::string with(std::string_view from, std::string_view to) {
  std::string out = base;
  out.replace(out.find(from), from.size(), to);
  return out;
}

verdict check(const std::string& text, const validation_policy& policy = {}) {
  message m;
  const auto r = parse(text, m);
  EXPECT_TRUE(r) << describe(r.error) << "\n" << text;
  return validate_request(m, policy);
}

constexpr std::string_view supported[] = {"100rel", "path", "outbound"};
const validation_policy uas{supported, false, true};

TEST(Validate, AcceptsAWellFormedRequest) {
  EXPECT_TRUE(check(base, uas).acceptable());
}

TEST(Validate, UnsupportedRequireGets420NamingTheTag) {
  const auto v = check(base);
  EXPECT_EQ(v.code, 420);
  EXPECT_EQ(v.detail, "100rel");
  // A proxy looks at Proxy-Require instead.
  EXPECT_TRUE(check(base, {{}, true, true}).acceptable());
  EXPECT_EQ(check(with("Require:", "Proxy-Require:"), {{}, true, true}).code, 420);
}

TEST(Validate, VersionAndScheme) {
  EXPECT_EQ(check(with("SIP/2.0\r\nVia", "SIP/7.0\r\nVia"), uas).code, 505);
  EXPECT_EQ(check(with("sip:carol@chicago.com SIP", "mailto:carol@chicago.com SIP"), uas).code,
            416);
  EXPECT_EQ(
      check(with("sip:carol@chicago.com SIP", "tel:+1-555 SIP"), {supported, false, false}).code,
      416);
  EXPECT_TRUE(check(with("sip:carol@chicago.com SIP", "tel:+1-555 SIP"), uas).acceptable());
}

TEST(Validate, MissingOrDuplicatedFields) {
  auto v = check(with("Call-ID: a84b4c76e66710\r\n", ""), uas);
  EXPECT_EQ(v.code, 400);
  EXPECT_EQ(v.detail, "Call-ID");
  v = check(with("Max-Forwards: 70\r\n", "Max-Forwards: 70\r\nMax-Forwards: 69\r\n"), uas);
  EXPECT_EQ(v.code, 400);
  EXPECT_EQ(v.detail, "Max-Forwards");
}

TEST(Validate, CSeqMethodMustMatch) {
  const auto v = check(with("CSeq: 63104 OPTIONS", "CSeq: 63104 INVITE"), uas);
  EXPECT_EQ(v.code, 400);
  EXPECT_EQ(v.reason, "CSeq Method Mismatch");
}

TEST(Validate, EveryKnownHeaderIsCheckedAgainstItsGrammar) {
  const std::pair<std::string_view, std::string_view> bad[] = {
      {"Contact: <sip:alice@pc33.atlanta.com>", "Contact: <sip:alice@pc33.atlanta.com"},
      {"Contact: <sip:alice@pc33.atlanta.com>", "Contact: <sip:a@b>;q=2"},
      {"Content-Length: 0", "Expires: soon\r\nContent-Length: 0"},
      {"Content-Length: 0", "Content-Type: text\r\nContent-Length: 0"},
      {"Content-Length: 0", "Route: <sip:p1;lr\r\nContent-Length: 0"},
      {"Content-Length: 0", "Authorization: Digest realm\r\nContent-Length: 0"},
      {"Content-Length: 0", "Via: SIP/2.0/UDP\r\nContent-Length: 0"},
  };
  for (const auto& [from, to] : bad) {
    const auto v = check(with(from, to), uas);
    EXPECT_EQ(v.code, 400) << to;
  }
}

}  // namespace
}  // namespace p2psip::sip
