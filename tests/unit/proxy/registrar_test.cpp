#include "proxy/registrar.hpp"

#include <gtest/gtest.h>

#include <memory>

#include "sip/parser.hpp"

namespace p2psip::proxy {
namespace {

using namespace std::chrono_literals;

struct parsed {
  std::string bytes;
  sip::message msg;
};

// A REGISTER from alice with the given extra header lines and CSeq.
std::unique_ptr<parsed> register_request(std::string_view headers, std::uint32_t cseq = 1,
                                         std::string_view call_id = "reg-1@phone") {
  auto p = std::make_unique<parsed>();
  p->bytes =
      "REGISTER sip:p2psip.test SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKreg" +
      std::to_string(cseq) +
      "\r\n"
      "Max-Forwards: 70\r\n"
      "To: <sip:alice@p2psip.test>\r\n"
      "From: <sip:alice@p2psip.test>;tag=456248\r\n"
      "Call-ID: " +
      std::string(call_id) +
      "\r\n"
      "CSeq: " +
      std::to_string(cseq) + " REGISTER\r\n" + std::string(headers) + "Content-Length: 0\r\n\r\n";
  const auto r = sip::parse(p->bytes, p->msg);
  EXPECT_TRUE(r) << sip::describe(r.error) << "\n" << p->bytes;
  return p;
}

class Registrar : public ::testing::Test {
 protected:
  register_outcome run(const parsed& p, std::string_view user = "alice") {
    auto out = process_register(p.msg, user, current, source, now, policy);
    if (out.code == 200) current = out.bindings;
    return out;
  }

  registrar_policy policy{{"p2psip.test"}, 3600, 60, 86400, 4};
  std::vector<binding> current;
  transport::endpoint source{transport::protocol::udp, asio::ip::make_address("192.0.2.10"), 5060,
                             0};
  wall_clock::time_point now = wall_clock::time_point{} + 1'700'000'000s;
};

TEST_F(Registrar, AddsABindingWithTheDefaultExpiryAndTheFlow) {
  const auto r = run(*register_request("Contact: <sip:alice@192.0.2.10:5060>\r\n"));
  ASSERT_EQ(r.code, 200) << r.reason;
  EXPECT_TRUE(r.changed);
  EXPECT_EQ(r.aor, "sip:alice@p2psip.test");
  ASSERT_EQ(current.size(), 1u);
  EXPECT_EQ(current[0].contact, "sip:alice@192.0.2.10:5060");
  EXPECT_EQ(current[0].expires, now + 3600s);
  EXPECT_EQ(current[0].flow, source);
  EXPECT_EQ(current[0].call_id, "reg-1@phone");
}

TEST_F(Registrar, RefreshReplacesAndOlderCSeqIsRefused) {
  run(*register_request("Contact: <sip:alice@192.0.2.10:5060>;expires=600\r\n", 1));
  now += 100s;
  const auto refresh =
      run(*register_request("Contact: <sip:alice@192.0.2.10:5060>;expires=600\r\n", 2));
  ASSERT_EQ(refresh.code, 200);
  ASSERT_EQ(current.size(), 1u);
  EXPECT_EQ(current[0].expires, now + 600s);
  EXPECT_EQ(current[0].cseq, 2u);
  const auto replay = run(*register_request("Contact: <sip:alice@192.0.2.10:5060>\r\n", 2));
  EXPECT_EQ(replay.code, 400);
  EXPECT_EQ(current[0].cseq, 2u);
}

TEST_F(Registrar, RemovesOneOrAll) {
  run(*register_request("Contact: <sip:alice@192.0.2.10:5060>, <sip:alice@198.51.100.7>\r\n", 1));
  ASSERT_EQ(current.size(), 2u);
  ASSERT_EQ(run(*register_request("Contact: <sip:alice@198.51.100.7>;expires=0\r\n", 2)).code, 200);
  ASSERT_EQ(current.size(), 1u);
  EXPECT_EQ(current[0].contact, "sip:alice@192.0.2.10:5060");

  const auto bad_wildcard = run(*register_request("Contact: *\r\nExpires: 60\r\n", 3));
  EXPECT_EQ(bad_wildcard.code, 400);
  const auto all = run(*register_request("Contact: *\r\nExpires: 0\r\n", 4));
  ASSERT_EQ(all.code, 200);
  EXPECT_TRUE(all.changed);
  EXPECT_TRUE(current.empty());
}

TEST_F(Registrar, ExpiryBounds) {
  const auto brief = run(*register_request("Contact: <sip:alice@192.0.2.10>;expires=30\r\n"));
  EXPECT_EQ(brief.code, 423);
  const auto response = registrar_response(register_request("")->msg, brief, now, "t", policy);
  EXPECT_NE(response.find("Min-Expires: 60\r\n"), std::string::npos);
  EXPECT_TRUE(current.empty());

  ASSERT_EQ(run(*register_request("Contact: <sip:alice@192.0.2.10>\r\nExpires: 999999\r\n")).code,
            200);
  EXPECT_EQ(current[0].expires, now + 86400s);
}

TEST_F(Registrar, QueryReturnsTheBindingsAndChangesNothing) {
  run(*register_request("Contact: <sip:alice@192.0.2.10>;expires=600\r\n", 1));
  now += 100s;
  const auto query = register_request("", 2);
  const auto r = run(*query);
  ASSERT_EQ(r.code, 200);
  EXPECT_FALSE(r.changed);
  const auto text = registrar_response(query->msg, r, now, "abc", policy);
  sip::message reply;
  ASSERT_TRUE(sip::parse(text, reply));
  EXPECT_EQ(reply.status().code, 200);
  EXPECT_EQ(reply.to().tag(), "abc");
  const auto contact = sip::parse_contact(*reply.values(sip::header_id::contact).front());
  ASSERT_TRUE(contact);
  EXPECT_EQ(contact->expires, 500u);
  ASSERT_NE(reply.find(sip::header_id::date), nullptr);
  EXPECT_TRUE(sip::parse_date(reply.find(sip::header_id::date)->value));
}

TEST_F(Registrar, DomainAorAndOwnership) {
  auto foreign = register_request("Contact: <sip:alice@192.0.2.10>\r\n");
  foreign->bytes.replace(foreign->bytes.find("sip:p2psip.test"), 15, "sip:example.com");
  ASSERT_TRUE(sip::parse(foreign->bytes, foreign->msg));
  EXPECT_EQ(run(*foreign).code, 403);

  auto other_to = register_request("Contact: <sip:alice@192.0.2.10>\r\n");
  other_to->bytes.replace(other_to->bytes.find("To: <sip:alice@p2psip.test>"), 27,
                          "To: <sip:alice@example.com>");
  ASSERT_TRUE(sip::parse(other_to->bytes, other_to->msg));
  EXPECT_EQ(run(*other_to).code, 404);

  EXPECT_EQ(run(*register_request("Contact: <sip:alice@192.0.2.10>\r\n"), "bob").code, 403);
  EXPECT_EQ(run(*register_request("Contact: <mailto:alice@example.com>\r\n")).code, 400);
  EXPECT_TRUE(current.empty());
}

TEST_F(Registrar, PathIsStoredAndEchoedToAUaThatSupportsIt) {
  const auto req = register_request(
      "Supported: path\r\nPath: <sip:edge.p2psip.test;lr>\r\n"
      "Contact: <sip:alice@192.0.2.10>\r\n");
  const auto r = run(*req);
  ASSERT_EQ(r.code, 200);
  EXPECT_EQ(current[0].path, (std::vector<std::string>{"<sip:edge.p2psip.test;lr>"}));
  EXPECT_NE(
      registrar_response(req->msg, r, now, "t", policy).find("Path: <sip:edge.p2psip.test;lr>"),
      std::string::npos);
}

TEST_F(Registrar, OutboundInstanceAndRegIdReplaceTheFlow) {
  const std::string instance = "+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-000A95A0E128>\"";
  run(*register_request("Supported: outbound\r\nContact: <sip:alice@192.0.2.10:5060;ob>;" +
                            instance + ";reg-id=1\r\n",
                        1, "c1"));
  // The phone moved: a new Contact URI, same instance and reg-id, new Call-ID.
  source.port = 6000;
  const auto moved =
      register_request("Supported: outbound\r\nContact: <sip:alice@192.0.2.10:6000;ob>;" +
                           instance + ";reg-id=1\r\n",
                       1, "c2");
  const auto r = run(*moved);
  ASSERT_EQ(r.code, 200);
  ASSERT_EQ(current.size(), 1u);
  EXPECT_EQ(current[0].contact, "sip:alice@192.0.2.10:6000;ob");
  EXPECT_EQ(current[0].flow.port, 6000);
  EXPECT_EQ(current[0].reg_id, 1u);
  const auto text = registrar_response(moved->msg, r, now, "t", policy);
  EXPECT_NE(text.find("Require: outbound\r\n"), std::string::npos);
  EXPECT_NE(text.find(";reg-id=1"), std::string::npos);
}

TEST_F(Registrar, TooManyBindings) {
  const auto r = run(*register_request(
      "Contact: <sip:a@192.0.2.1>, <sip:a@192.0.2.2>, <sip:a@192.0.2.3>, <sip:a@192.0.2.4>, "
      "<sip:a@192.0.2.5>\r\n"));
  EXPECT_EQ(r.code, 403);
  EXPECT_TRUE(current.empty());
}

TEST(CanonicalAor, FoldsSchemeCaseEscapesAndParameters) {
  const auto u = sip::parse_uri("sips:%61lice@P2PSIP.Test:5061;transport=tls?subject=x");
  ASSERT_TRUE(u);
  EXPECT_EQ(canonical_aor(*u), "sip:alice@p2psip.test");
  EXPECT_FALSE(canonical_aor(*sip::parse_uri("sip:p2psip.test")));
  EXPECT_FALSE(canonical_aor(*sip::parse_uri("tel:+15551234")));
}

TEST(MemoryLocation, ExpiredBindingsAreNotReturned) {
  memory_location store;
  const auto now = wall_clock::time_point{} + 1000s;
  binding b;
  b.contact = "sip:alice@192.0.2.10";
  b.expires = now + 10s;
  bool stored = false;
  store.store("sip:alice@p2psip.test", {b}, [&](std::error_code ec) { stored = !ec; });
  EXPECT_TRUE(stored);
  std::vector<binding> seen;
  store.fetch("sip:alice@p2psip.test", now + 9s,
              [&](std::vector<binding> v, std::error_code) { seen = std::move(v); });
  EXPECT_EQ(seen.size(), 1u);
  store.fetch("sip:alice@p2psip.test", now + 10s,
              [&](std::vector<binding> v, std::error_code) { seen = std::move(v); });
  EXPECT_TRUE(seen.empty());
  EXPECT_EQ(store.aor_count(), 0u);
}

}  // namespace
}  // namespace p2psip::proxy
