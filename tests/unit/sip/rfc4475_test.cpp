// RFC 4475 §3: every torture message with the verdict the RFC gives it.
// Well-formed messages must parse to the field values the RFC names;
// malformed ones must be refused with the answer its commentary asks for
// (400, or a silent drop for responses); messages that are syntactically
// fine but unacceptable must get the RFC's response code from the
// validator. Data: tests/data/rfc4475 (see tests/data/MANIFEST.md).
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "sip/parser.hpp"
#include "sip/validate.hpp"
#include "support/test_messages.hpp"

namespace p2psip::sip {
namespace {

using sample = test::parsed_sample;

// Parsed as one UDP datagram; `append` adds bytes after the file's own.
std::unique_ptr<sample> load(std::string_view name, std::string_view append = {}) {
  auto bytes = test::read_file(test::data_dir() / "rfc4475" / name);
  EXPECT_FALSE(bytes.empty()) << name;
  bytes.append(append);
  return test::parse_sample(std::move(bytes));
}

constexpr std::string_view our_extensions[] = {"100rel", "path", "outbound", "gruu"};
verdict as_uas(const message& m) {
  return validate_request(m, {our_extensions, false, true});
}
verdict as_proxy(const message& m) {
  return validate_request(m, {our_extensions, true, true});
}

std::vector<std::string> values_of(const message& m, header_id id) {
  std::vector<std::string> out;
  for (const auto& v : m.values(id)) out.emplace_back(v.text);
  return out;
}

// LWS that folds a value reads as a single SP (§7.3.1).
std::string unfold(std::string_view v) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '\r' || v[i] == '\n' || v[i] == ' ' || v[i] == '\t') {
      while (i + 1 < v.size() &&
             (v[i + 1] == '\r' || v[i + 1] == '\n' || v[i + 1] == ' ' || v[i + 1] == '\t'))
        ++i;
      out.push_back(' ');
    } else {
      out.push_back(v[i]);
    }
  }
  return out;
}

void expect_refused(const sample& s, parse_error error, disposition action) {
  EXPECT_FALSE(s.result);
  EXPECT_EQ(s.result.error, error) << describe(s.result.error);
  EXPECT_EQ(s.result.action, action);
}

// ---------------------------------------------------------------- 3.1.1 valid

TEST(Rfc4475, S3_1_1_1_wsinv_ShortTortuousInvite) {
  const auto s = load("wsinv.dat");
  ASSERT_TRUE(s->result) << describe(s->result.error);
  const auto& m = s->msg;
  EXPECT_EQ(m.method(), method::invite);
  EXPECT_EQ(m.request().uri.user, "vivekg");
  EXPECT_EQ(m.request().uri.host, "chair-dnrc.example.com");
  ASSERT_TRUE(m.request().uri.params.find("unknownparam"));
  EXPECT_FALSE(m.request().uri.params.find("unknownparam")->has_value);
  EXPECT_EQ(m.headers().size(), 14u);

  EXPECT_TRUE(m.to().display_name.empty());
  EXPECT_EQ(m.to().address.text, "sip:vivekg@chair-dnrc.example.com");
  EXPECT_EQ(m.to().tag(), "1918181833n");
  EXPECT_EQ(m.from().display_name, R"(J Rosenberg \\\")");
  EXPECT_EQ(m.from().address.text, "sip:jdrosen@example.com");
  EXPECT_EQ(m.from().tag(), "98asjd8");
  EXPECT_EQ(m.max_forwards(), 68u);
  EXPECT_EQ(m.call_id(), "wsinv.ndaksdj@192.0.2.1");
  EXPECT_EQ(m.content_length(), 150u);
  EXPECT_EQ(m.cseq().number, 9u);
  EXPECT_EQ(m.cseq().method, "INVITE");
  EXPECT_EQ(m.body().size(), 150u);

  struct expected_via {
    std::string_view transport, host, branch;
  };
  const expected_via vias[] = {{"UDP", "192.0.2.2", "390skdjuw"},
                               {"TCP", "spindle.example.com", "z9hG4bK9ikj8"},
                               {"UDP", "192.168.255.111", "z9hG4bK30239"}};
  const auto via_values = values_of(m, header_id::via);
  ASSERT_EQ(via_values.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    const auto v = parse_via(via_values[i]);
    ASSERT_TRUE(v) << via_values[i];
    EXPECT_EQ(v->transport, vias[i].transport);
    EXPECT_EQ(v->host, vias[i].host);
    EXPECT_EQ(v->branch, vias[i].branch);
  }

  ASSERT_NE(m.find(header_id::subject), nullptr);
  EXPECT_EQ(m.find(header_id::subject)->value, "");
  ASSERT_NE(m.find("NewFangledHeader"), nullptr);
  EXPECT_EQ(unfold(m.find("NewFangledHeader")->value),
            "newfangled value continued newfangled value");
  // Kept as one opaque value, never split into parameters or list items.
  ASSERT_NE(m.find("UnknownHeaderWithUnusualValue"), nullptr);
  EXPECT_EQ(m.find("UnknownHeaderWithUnusualValue")->value, ";;,,;;,;");

  const auto route = parse_name_addr(*m.values(header_id::route).front());
  ASSERT_TRUE(route);
  EXPECT_TRUE(route->address.params.contains("lr"));
  EXPECT_EQ(route->address.params.find("unknownwith")->value, "value");
  EXPECT_TRUE(route->address.params.contains("unknown-no-value"));

  const auto contact = parse_contact(*m.values(header_id::contact).front());
  ASSERT_TRUE(contact);
  EXPECT_EQ(contact->address.display_name, R"(Quoted string \"\")");
  EXPECT_EQ(contact->address.address.text, "sip:jdrosen@example.com");
  EXPECT_EQ(contact->address.params.find("newparam")->value, "newvalue");
  EXPECT_FALSE(contact->address.params.find("secondparam")->has_value);
  EXPECT_EQ(contact->q_thousandths, 330);

  EXPECT_TRUE(as_uas(m).acceptable()) << as_uas(m).reason;
}

TEST(Rfc4475, S3_1_1_2_intmeth_WideRangeOfValidCharacters) {
  const auto s = load("intmeth.dat");
  ASSERT_TRUE(s->result) << describe(s->result.error);
  const auto& m = s->msg;
  EXPECT_EQ(m.method(), method::other);
  EXPECT_EQ(m.request().method_text, "!interesting-Method0123456789_*+`.%indeed'~");
  EXPECT_EQ(m.request().uri.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
  EXPECT_EQ(m.request().uri.password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
  EXPECT_EQ(m.request().uri.host, "example.com");
  EXPECT_EQ(m.top_via().transport, "TCP");
  EXPECT_EQ(m.top_via().host, "host1.example.com");
  EXPECT_EQ(m.top_via().branch, "z9hG4bK-.!%66*_+`'~");
  // The To display name holds quoted-pairs escaping BEL, NUL and DEL.
  EXPECT_EQ(m.to().display_name, std::string_view("BEL:\\\x07 NUL:\\\0 DEL:\\\x7F", 20));
  EXPECT_EQ(m.to().address.user, m.request().uri.user);
  EXPECT_EQ(m.from().display_name, "token1~` token2'+_ token3*%!.-");
  EXPECT_EQ(m.from().address.text, "sip:mundane@example.com");
  EXPECT_EQ(m.from().tag(), "_token~1'+`*%!-.");
  EXPECT_EQ(m.from().params.find("fromParam''~+*_!.-%")->value,
            "\"\xD1\x80\xD0\xB0\xD0\xB1\xD0\xBE\xD1\x82\xD0\xB0\xD1\x8E\xD1\x89\xD0\xB8\xD0\xB9\"");
  EXPECT_EQ(m.call_id(), "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{");
  EXPECT_EQ(m.cseq().number, 139122385u);
  EXPECT_EQ(m.cseq().method, m.request().method_text);
  EXPECT_EQ(m.max_forwards(), 255u);
  const auto* ext = m.find("extensionHeader-!.%*+_`'~");
  ASSERT_NE(ext, nullptr);
  EXPECT_EQ(ext->value, "\xEF\xBB\xBF\xE5\xA4\xA7\xE5\x81\x9C\xE9\x9B\xBB");
  EXPECT_EQ(m.content_length(), 0u);
  // A proxy forwards it; an endpoint answers 501 for the method (UA layer).
  EXPECT_TRUE(as_proxy(m).acceptable()) << as_proxy(m).reason;
}

TEST(Rfc4475, S3_1_1_3_esc01_ValidUseOfPercentEscaping) {
  const auto s = load("esc01.dat");
  ASSERT_TRUE(s->result) << describe(s->result.error);
  const auto& m = s->msg;
  EXPECT_EQ(m.request().uri.user, "sips%3Auser%40example.com");
  EXPECT_EQ(unescape(m.request().uri.user), "sips:user@example.com");
  EXPECT_EQ(m.request().uri.host, "example.net");
  EXPECT_EQ(unescape(m.to().address.user), "user");
  EXPECT_EQ(unescape(m.from().address.user), "I have spaces");
  EXPECT_EQ(m.from().tag(), "938");
  const auto contact = parse_contact(*m.values(header_id::contact).front());
  ASSERT_TRUE(contact);
  const auto& uri = contact->address.address;
  EXPECT_EQ(unescape(uri.user), "caller");
  // Escapes are decoded once: "v%61lue%25%34%31" is "value%41", not "valueA".
  std::vector<std::pair<std::string, std::string>> params;
  for (const auto& p : uri.params) params.emplace_back(unescape(p.name), unescape(p.value));
  ASSERT_EQ(params.size(), 2u);
  EXPECT_EQ(params[0], (std::pair<std::string, std::string>{"lr", ""}));
  EXPECT_EQ(params[1], (std::pair<std::string, std::string>{"name", "value%41"}));
  EXPECT_EQ(m.call_id(), "esc01.239409asdfakjkn23onasd0-3234");
  EXPECT_EQ(m.max_forwards(), 87u);
  EXPECT_EQ(m.cseq().number, 234234u);
  EXPECT_EQ(parse_media_type(m.find(header_id::content_type)->value)->subtype, "sdp");
  EXPECT_EQ(m.content_length(), 150u);
  EXPECT_TRUE(as_uas(m).acceptable());
}

TEST(Rfc4475, S3_1_1_4_escnull_EscapedNullsInUris) {
  const auto s = load("escnull.dat");
  ASSERT_TRUE(s->result) << describe(s->result.error);
  const auto& m = s->msg;
  EXPECT_EQ(unescape(m.to().address.user), std::string("null-\0-null", 11));
  EXPECT_EQ(unescape(m.from().address.user).size(), 11u);
  EXPECT_EQ(m.from().tag(), "839923423");
  const auto contacts = values_of(m, header_id::contact);
  ASSERT_EQ(contacts.size(), 2u);
  const auto first = parse_contact(contacts[0]);
  const auto second = parse_contact(contacts[1]);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(unescape(first->address.address.user), std::string(1, '\0'));
  EXPECT_EQ(unescape(second->address.address.user), std::string(2, '\0'));
  EXPECT_FALSE(uri_equal(first->address.address, second->address.address));
  EXPECT_EQ(m.call_id(), "escnull.39203ndfvkjdasfkq3w4otrq0adsfdfnavd");
  EXPECT_EQ(m.cseq().number, 14398234u);
  EXPECT_EQ(m.method(), method::register_);
  EXPECT_EQ(m.content_length(), 0u);
  EXPECT_TRUE(as_uas(m).acceptable());
}

TEST(Rfc4475, S3_1_1_5_esc02_PercentThatIsNotAnEscape) {
  const auto s = load("esc02.dat");
  ASSERT_TRUE(s->result) << describe(s->result.error);
  const auto& m = s->msg;
  EXPECT_EQ(m.method(), method::other);
  EXPECT_EQ(m.request().method_text, "RE%47IST%45R");
  EXPECT_EQ(m.cseq().method, "RE%47IST%45R");
  EXPECT_EQ(m.to().display_name, "%Z%45");
  EXPECT_EQ(m.from().display_name, "%Z%45");
  EXPECT_EQ(m.from().tag(), "f232jadfj23");
  EXPECT_EQ(m.top_via().branch, "z9hG4bK209%fzsnel234");
  // "C%6Fntact" is an extension header, not a third Contact.
  const auto contacts = values_of(m, header_id::contact);
  ASSERT_EQ(contacts.size(), 2u);
  EXPECT_EQ(parse_contact(contacts[0])->address.address.host, "host1.example.com");
  EXPECT_EQ(parse_contact(contacts[1])->address.address.host, "host3.example.com");
  ASSERT_NE(m.find("C%6Fntact"), nullptr);
  EXPECT_EQ(m.find("C%6Fntact")->id, header_id::other);
  EXPECT_EQ(m.call_id(), "esc02.asdfnqwo34rq23i34jrjasdcnl23nrlknsdf");
  EXPECT_TRUE(as_proxy(m).acceptable());
}

TEST(Rfc4475, S3_1_1_6_lwsdisp_NoLwsBetweenDisplayNameAndAngle) {
  const auto s = load("lwsdisp.dat");
  ASSERT_TRUE(s->result) << describe(s->result.error);
  EXPECT_EQ(s->msg.from().display_name, "caller");
  EXPECT_EQ(s->msg.from().address.text, "sip:caller@example.com");
  EXPECT_EQ(s->msg.from().tag(), "323");
  EXPECT_EQ(s->msg.method(), method::options);
  EXPECT_EQ(s->msg.call_id(), "lwsdisp.1234abcd@funky.example.com");
  EXPECT_EQ(s->msg.cseq().number, 60u);
  EXPECT_TRUE(as_uas(s->msg).acceptable());
}

TEST(Rfc4475, S3_1_1_7_longreq_LongValuesInHeaderFields) {
  const auto s = load("longreq.dat");
  ASSERT_TRUE(s->result) << describe(s->result.error);
  const auto& m = s->msg;
  std::string extremes;
  for (int i = 0; i < 10; ++i) extremes += "extreme";
  EXPECT_EQ(m.to().display_name, "I have a user name of " + extremes + " proportion");
  EXPECT_EQ(m.to().address.port, 6000);
  EXPECT_EQ(std::distance(m.to().address.params.begin(), m.to().address.params.end()), 3);
  std::string caller;
  for (int i = 0; i < 5; ++i) caller += "amazinglylongcallername";
  EXPECT_EQ(m.from().address.user, caller);
  EXPECT_EQ(m.from().tag().size(), 155u);
  EXPECT_TRUE(m.from().tag().ends_with("982424"));
  std::string really;
  for (int i = 0; i < 20; ++i) really += "really";
  EXPECT_EQ(m.call_id(), "longreq.one" + really + "longcallid");
  const auto vias = values_of(m, header_id::via);
  ASSERT_EQ(vias.size(), 34u);
  EXPECT_EQ(parse_via(vias.front())->host, "sip33.example.com");
  EXPECT_EQ(parse_via(vias[32])->host, "sip1.example.com");
  EXPECT_EQ(parse_via(vias.back())->host, "host.example.com");
  EXPECT_EQ(parse_via(vias.back())->received, "192.0.2.5");
  EXPECT_EQ(m.max_forwards(), 70u);
  EXPECT_EQ(m.cseq().number, 3882340u);
  EXPECT_EQ(m.content_length(), 150u);
  EXPECT_TRUE(as_uas(m).acceptable());
}

TEST(Rfc4475, S3_1_1_8_dblreq_ExtraTrailingOctetsInUdpDatagram) {
  const auto s = load("dblreq.dat");
  ASSERT_TRUE(s->result) << describe(s->result.error);
  const auto& m = s->msg;
  EXPECT_EQ(m.method(), method::register_);
  EXPECT_EQ(m.request().uri_text, "sip:example.com");
  EXPECT_EQ(m.call_id(), "dblreq.0ha0isndaksdj99sdfafnl3lk233412");
  EXPECT_EQ(m.cseq().number, 8u);
  EXPECT_EQ(m.max_forwards(), 8u);
  EXPECT_EQ(parse_contact(*m.values(header_id::contact).front())->address.address.text,
            "sip:j.user@host.example.com");
  EXPECT_EQ(m.top_via().branch, "z9hG4bKkdjuw23492");
  EXPECT_EQ(m.content_length(), 0u);
  EXPECT_TRUE(m.body().empty());
  // The INVITE after the REGISTER is noise: not part of the message.
  EXPECT_LT(s->result.consumed, s->bytes.size());
  EXPECT_EQ(m.raw().find("INVITE"), std::string_view::npos);
  EXPECT_TRUE(as_uas(m).acceptable());
}

TEST(Rfc4475, S3_1_1_9_semiuri_SemicolonsInUriUserPart) {
  const auto s = load("semiuri.dat");
  ASSERT_TRUE(s->result) << describe(s->result.error);
  const auto& uri = s->msg.request().uri;
  EXPECT_EQ(unescape(uri.user), "user;par=u@example.net");
  EXPECT_EQ(uri.host, "example.com");
  EXPECT_TRUE(uri.params.empty());
  EXPECT_EQ(
      values_of(s->msg, header_id::accept),
      (std::vector<std::string>{"application/sdp", "application/pkcs7-mime", "multipart/mixed",
                                "multipart/signed", "message/sip", "message/sipfrag"}));
  EXPECT_EQ(s->msg.call_id(), "semiuri.0ha0isndaksdj");
  EXPECT_EQ(s->msg.max_forwards(), 3u);
  EXPECT_TRUE(as_uas(s->msg).acceptable());
}

TEST(Rfc4475, S3_1_1_10_transports_VariedAndUnknownTransports) {
  const auto s = load("transports.dat");
  ASSERT_TRUE(s->result) << describe(s->result.error);
  std::vector<std::string> transports;
  for (const auto& v : values_of(s->msg, header_id::via))
    transports.emplace_back(parse_via(v)->transport);
  EXPECT_EQ(transports, (std::vector<std::string>{"UDP", "SCTP", "TLS", "UNKNOWN", "TCP"}));
  EXPECT_EQ(s->msg.call_id(), "transports.kijh4akdnaqjkwendsasfdj");
  EXPECT_EQ(s->msg.cseq().number, 60u);
  EXPECT_TRUE(as_uas(s->msg).acceptable());
}

TEST(Rfc4475, S3_1_1_11_mpart01_MultipartMimeMessage) {
  const auto s = load("mpart01.dat");
  ASSERT_TRUE(s->result) << describe(s->result.error);
  const auto& m = s->msg;
  EXPECT_EQ(m.method(), method::message);
  const auto type = parse_media_type(m.find(header_id::content_type)->value);
  ASSERT_TRUE(type);
  EXPECT_EQ(type->type, "multipart");
  EXPECT_EQ(type->subtype, "mixed");
  EXPECT_EQ(type->params.find("boundary")->value, "7a9cbec02ceef655");
  EXPECT_EQ(m.content_length(), 553u);
  ASSERT_EQ(m.body().size(), 553u);
  EXPECT_NE(m.body().find(std::string_view("\x30\x82\x01\x52", 4)), std::string_view::npos);
  EXPECT_NE(m.body().find('\0'), std::string_view::npos);
  EXPECT_EQ(m.top_via().host, "127.0.0.1");
  EXPECT_EQ(m.top_via().port, 5070);
  EXPECT_EQ(m.top_via().branch, "z9hG4bK-d87543-4dade06d0bdb11ee-1--d87543-");
  EXPECT_TRUE(m.top_via().has_rport);
  EXPECT_FALSE(m.top_via().rport);
  EXPECT_EQ(m.call_id(), "3d9485ad0c49859b@Zmx1ZmZ5LW1hYy0xNi5sb2NhbA..");
  const auto date = parse_date(m.find(header_id::date)->value);
  ASSERT_TRUE(date);
  EXPECT_EQ(date->year, 2005);
  EXPECT_EQ(date->month, 10);
  EXPECT_EQ(date->hour, 4);
  EXPECT_TRUE(as_uas(m).acceptable());
}

TEST(Rfc4475, S3_1_1_12_unreason_UnusualReasonPhrase) {
  const auto s = load("unreason.dat");
  ASSERT_TRUE(s->result) << describe(s->result.error);
  EXPECT_TRUE(s->msg.is_response());
  EXPECT_EQ(s->msg.status().code, 200);
  EXPECT_EQ(s->msg.status().reason,
            "= 2**3 * 5**2 \xD0\xBD\xD0\xBE \xD1\x81\xD1\x82\xD0\xBE "
            "\xD0\xB4\xD0\xB5\xD0\xB2\xD1\x8F\xD0\xBD\xD0\xBE\xD1\x81\xD1\x82\xD0\xBE "
            "\xD0\xB4\xD0\xB5\xD0\xB2\xD1\x8F\xD1\x82\xD1\x8C - "
            "\xD0\xBF\xD1\x80\xD0\xBE\xD1\x81\xD1\x82\xD0\xBE\xD0\xB5");
  EXPECT_EQ(s->msg.call_id(), "unreason.1234ksdfak3j2erwedfsASdf");
  EXPECT_EQ(s->msg.to().tag(), "2229");
  EXPECT_EQ(s->msg.from().tag(), "11141343");
  EXPECT_EQ(s->msg.content_length(), 154u);
}

TEST(Rfc4475, S3_1_1_13_noreason_EmptyReasonPhrase) {
  const auto s = load("noreason.dat");
  ASSERT_TRUE(s->result) << describe(s->result.error);
  EXPECT_EQ(s->msg.status().code, 100);
  EXPECT_EQ(s->msg.status().reason, "");
  EXPECT_EQ(s->msg.call_id(), "noreason.asndj203insdf99223ndf");
  EXPECT_EQ(s->msg.cseq().number, 35u);
}

// -------------------------------------------------------------- 3.1.2 invalid

TEST(Rfc4475, S3_1_2_1_badinv01_ExtraneousHeaderFieldSeparators) {
  expect_refused(*load("badinv01.dat"), parse_error::bad_via, disposition::reply_400);
}

TEST(Rfc4475, S3_1_2_2_clerr_ContentLengthLargerThanMessage) {
  expect_refused(*load("clerr.dat"), parse_error::body_shorter_than_content_length,
                 disposition::reply_400);
}

TEST(Rfc4475, S3_1_2_3_ncl_NegativeContentLength) {
  expect_refused(*load("ncl.dat"), parse_error::bad_content_length, disposition::reply_400);
}

TEST(Rfc4475, S3_1_2_4_scalar02_RequestScalarFieldsWithOverlargeValues) {
  // The CSeq is the field that makes this a 400 (the first one refused).
  expect_refused(*load("scalar02.dat"), parse_error::bad_cseq, disposition::reply_400);
}

TEST(Rfc4475, S3_1_2_5_scalarlg_ResponseScalarFieldsWithOverlargeValues) {
  const auto s = load("scalarlg.dat");
  EXPECT_TRUE(s->msg.is_response());
  // Responses with errors are simply discarded.
  expect_refused(*s, parse_error::bad_cseq, disposition::drop);
  EXPECT_FALSE(parse_retry_after(s->msg.find(header_id::retry_after)->value));
}

TEST(Rfc4475, S3_1_2_6_quotbal_UnterminatedQuotedStringInDisplayName) {
  expect_refused(*load("quotbal.dat"), parse_error::bad_to, disposition::reply_400);
}

TEST(Rfc4475, S3_1_2_7_ltgtruri_AngleBracketsEnclosingRequestUri) {
  expect_refused(*load("ltgtruri.dat"), parse_error::bad_request_uri, disposition::reply_400);
}

TEST(Rfc4475, S3_1_2_8_lwsruri_EmbeddedLwsInRequestUri) {
  expect_refused(*load("lwsruri.dat"), parse_error::bad_start_line, disposition::reply_400);
}

TEST(Rfc4475, S3_1_2_9_lwsstart_MultipleSpSeparatingRequestLineElements) {
  expect_refused(*load("lwsstart.dat"), parse_error::bad_start_line, disposition::reply_400);
}

TEST(Rfc4475, S3_1_2_10_trws_SpCharactersAtEndOfRequestLine) {
  expect_refused(*load("trws.dat"), parse_error::bad_start_line, disposition::reply_400);
}

TEST(Rfc4475, S3_1_2_11_escruri_EscapedHeadersInRequestUri) {
  const auto s = load("escruri.dat");
  ASSERT_TRUE(s->result) << describe(s->result.error);
  const auto v = as_proxy(s->msg);
  EXPECT_EQ(v.code, 400);
  EXPECT_EQ(v.reason, "Headers Not Allowed In Request-URI");
}

TEST(Rfc4475, S3_1_2_12_baddate_InvalidTimeZoneInDate) {
  const auto s = load("baddate.dat");
  ASSERT_TRUE(s->result) << describe(s->result.error);
  // Flagged by the Date grammar; not a reason to refuse the request for an
  // element that does not use Date, as the RFC recommends.
  EXPECT_FALSE(parse_date(s->msg.find(header_id::date)->value));
  EXPECT_TRUE(as_uas(s->msg).acceptable());
}

TEST(Rfc4475, S3_1_2_13_regbadct_NameAddrUriNotEnclosedInAngles) {
  const auto s = load("regbadct.dat");
  ASSERT_TRUE(s->result) << describe(s->result.error);
  const auto v = as_uas(s->msg);
  EXPECT_EQ(v.code, 400);
  EXPECT_EQ(v.reason, "Malformed Contact");
}

TEST(Rfc4475, S3_1_2_14_badaspec_SpacesWithinAddrSpec) {
  expect_refused(*load("badaspec.dat"), parse_error::bad_to, disposition::reply_400);
}

TEST(Rfc4475, S3_1_2_15_baddn_NonTokenCharactersInDisplayName) {
  // As the RFC's archive ships it the header section never ends: nothing to answer.
  expect_refused(*load("baddn.dat"), parse_error::missing_header_end, disposition::drop);
  // With the empty line restored, the display name itself is refused.
  expect_refused(*load("baddn.dat", "\r\n"), parse_error::bad_from, disposition::reply_400);
}

TEST(Rfc4475, S3_1_2_16_badvers_UnknownProtocolVersion) {
  const auto s = load("badvers.dat");
  ASSERT_TRUE(s->result) << describe(s->result.error);
  EXPECT_EQ(s->msg.request().version, "SIP/7.0");
  EXPECT_EQ(as_uas(s->msg).code, 505);
  EXPECT_EQ(as_proxy(s->msg).code, 505);
}

TEST(Rfc4475, S3_1_2_17_mismatch01_StartLineAndCSeqMethodMismatch) {
  const auto s = load("mismatch01.dat");
  ASSERT_TRUE(s->result) << describe(s->result.error);
  const auto v = as_uas(s->msg);
  EXPECT_EQ(v.code, 400);
  EXPECT_EQ(v.reason, "CSeq Method Mismatch");
}

TEST(Rfc4475, S3_1_2_18_mismatch02_UnknownMethodWithCSeqMismatch) {
  const auto s = load("mismatch02.dat");
  ASSERT_TRUE(s->result) << describe(s->result.error);
  EXPECT_EQ(s->msg.request().method_text, "NEWMETHOD");
  EXPECT_EQ(as_proxy(s->msg).code, 501);
  EXPECT_EQ(as_uas(s->msg).code, 501);
}

TEST(Rfc4475, S3_1_2_19_bigcode_OverlargeResponseCode) {
  expect_refused(*load("bigcode.dat"), parse_error::bad_status_code, disposition::drop);
}

// ------------------------------------------------------ 3.2 transaction layer

TEST(Rfc4475, S3_2_1_badbranch_MissingTransactionIdentifier) {
  const auto s = load("badbranch.dat");
  ASSERT_TRUE(s->result) << describe(s->result.error);
  EXPECT_EQ(s->msg.top_via().branch, "z9hG4bK");
  // The cookie alone identifies nothing: match it the RFC 2543 way.
  EXPECT_FALSE(s->msg.top_via().rfc3261_branch());
  EXPECT_EQ(s->msg.call_id(), "badbranch.sadonfo23i420jv0as0derf3j3n");
  EXPECT_EQ(s->msg.cseq().number, 8u);
}

// ------------------------------------------------------ 3.3 application layer

TEST(Rfc4475, S3_3_1_insuf_MissingRequiredHeaderFields) {
  const auto s = load("insuf.dat");
  ASSERT_TRUE(s->result) << describe(s->result.error);
  const auto v = as_uas(s->msg);
  EXPECT_EQ(v.code, 400);
  EXPECT_EQ(v.reason, "Missing Required Header");
  EXPECT_FALSE(s->msg.answerable());
}

TEST(Rfc4475, S3_3_2_unkscm_RequestUriWithUnknownScheme) {
  const auto s = load("unkscm.dat");
  ASSERT_TRUE(s->result) << describe(s->result.error);
  EXPECT_EQ(s->msg.request().uri.scheme, uri_scheme::other);
  EXPECT_EQ(s->msg.request().uri.scheme_text, "nobodyKnowsThisScheme");
  EXPECT_EQ(as_proxy(s->msg).code, 416);
}

TEST(Rfc4475, S3_3_3_novelsc_RequestUriWithKnownButAtypicalScheme) {
  const auto s = load("novelsc.dat");
  ASSERT_TRUE(s->result) << describe(s->result.error);
  EXPECT_EQ(s->msg.request().uri.scheme_text, "soap.beep");
  EXPECT_EQ(as_proxy(s->msg).code, 416);
}

TEST(Rfc4475, S3_3_4_unksm2_UnknownUriSchemesInHeaderFields) {
  const auto s = load("unksm2.dat");
  ASSERT_TRUE(s->result) << describe(s->result.error);
  const auto& m = s->msg;
  EXPECT_EQ(m.to().address.scheme_text, "isbn");
  EXPECT_EQ(m.from().address.scheme_text, "http");
  EXPECT_EQ(m.from().tag(), "3234233");
  EXPECT_EQ(parse_contact(*m.values(header_id::contact).front())->address.address.scheme_text,
            "name");
  // Proxies treat it as any other request; a registrar refuses the To that
  // is not a SIP AOR (the registrar checks To's scheme).
  EXPECT_TRUE(as_proxy(m).acceptable());
  EXPECT_FALSE(m.to().address.is_sip());
}

TEST(Rfc4475, S3_3_5_bext01_ProxyRequireAndRequire) {
  const auto s = load("bext01.dat");
  ASSERT_TRUE(s->result) << describe(s->result.error);
  const validation_policy uas{our_extensions, false, true};
  const validation_policy proxy{our_extensions, true, true};
  EXPECT_EQ(validate_request(s->msg, uas).code, 420);
  EXPECT_EQ(unsupported_option_tags(s->msg, uas), "nothingSupportsThis, nothingSupportsThisEither");
  EXPECT_EQ(validate_request(s->msg, proxy).code, 420);
  EXPECT_EQ(unsupported_option_tags(s->msg, proxy),
            "noProxiesSupportThis, norDoAnyProxiesSupportThis");
}

TEST(Rfc4475, S3_3_6_invut_UnknownContentType) {
  const auto s = load("invut.dat");
  ASSERT_TRUE(s->result) << describe(s->result.error);
  const auto type = parse_media_type(s->msg.find(header_id::content_type)->value);
  ASSERT_TRUE(type);
  EXPECT_EQ(type->subtype, "unknownformat");
  EXPECT_EQ(s->msg.body().size(), 40u);
  // A proxy forwards it; the 415 is the endpoint's.
  EXPECT_TRUE(as_proxy(s->msg).acceptable());
}

TEST(Rfc4475, S3_3_7_regaut01_UnknownAuthorizationScheme) {
  const auto s = load("regaut01.dat");
  ASSERT_TRUE(s->result) << describe(s->result.error);
  const auto credentials = parse_credentials(s->msg.find(header_id::authorization)->value);
  ASSERT_TRUE(credentials);
  EXPECT_EQ(credentials->scheme, "NoOneKnowsThisScheme");
  EXPECT_EQ(credentials->param("opaque-data"), "here");
  EXPECT_EQ(s->msg.content_length(), 0u);
  EXPECT_TRUE(as_uas(s->msg).acceptable());
}

TEST(Rfc4475, S3_3_8_multi01_MultipleValuesInSingleValueFields) {
  const auto s = load("multi01.dat");
  ASSERT_TRUE(s->result) << describe(s->result.error);
  const auto v = as_uas(s->msg);
  EXPECT_EQ(v.code, 400);
  EXPECT_EQ(v.reason, "Multiple Values In Single-Value Header");
  EXPECT_EQ(s->msg.count(header_id::call_id), 2u);
}

TEST(Rfc4475, S3_3_9_mcl01_MultipleContentLengthValues) {
  expect_refused(*load("mcl01.dat"), parse_error::bad_content_length, disposition::reply_400);
}

TEST(Rfc4475, S3_3_10_bcast_200OkWithBroadcastVia) {
  const auto s = load("bcast.dat");
  ASSERT_TRUE(s->result) << describe(s->result.error);
  const auto vias = values_of(s->msg, header_id::via);
  ASSERT_EQ(vias.size(), 2u);
  const auto second = parse_via(vias[1]);
  EXPECT_EQ(second->host, "255.255.255.255");
  EXPECT_EQ(second->branch, "z9hG4bK1saber23");
  EXPECT_EQ(s->msg.call_id(), "bcast.0384840201234ksdfak3j2erwedfsASdf");
  EXPECT_EQ(s->msg.content_length(), 154u);
}

TEST(Rfc4475, S3_3_11_zeromf_MaxForwardsOfZero) {
  const auto s = load("zeromf.dat");
  ASSERT_TRUE(s->result) << describe(s->result.error);
  EXPECT_EQ(s->msg.max_forwards(), 0u);
  EXPECT_EQ(as_proxy(s->msg).code, 483);
  EXPECT_TRUE(as_uas(s->msg).acceptable());
}

TEST(Rfc4475, S3_3_12_cparam01_RegisterWithContactHeaderParameter) {
  const auto s = load("cparam01.dat");
  ASSERT_TRUE(s->result) << describe(s->result.error);
  const auto c = parse_contact(*s->msg.values(header_id::contact).front());
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->address.params.contains("unknownparam"));
  EXPECT_TRUE(c->address.address.params.empty());
  EXPECT_EQ(c->address.address.text, "sip:+19725552222@gw1.example.net");
  EXPECT_TRUE(as_uas(s->msg).acceptable());
}

TEST(Rfc4475, S3_3_13_cparam02_RegisterWithUrlParameter) {
  const auto s = load("cparam02.dat");
  ASSERT_TRUE(s->result) << describe(s->result.error);
  const auto c = parse_contact(*s->msg.values(header_id::contact).front());
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->address.address.params.contains("unknownparam"));
  EXPECT_FALSE(c->address.params.contains("unknownparam"));
  EXPECT_TRUE(as_uas(s->msg).acceptable());
}

TEST(Rfc4475, S3_3_14_regescrt_RegisterWithUrlEscapedHeader) {
  const auto s = load("regescrt.dat");
  ASSERT_TRUE(s->result) << describe(s->result.error);
  const auto c = parse_contact(*s->msg.values(header_id::contact).front());
  ASSERT_TRUE(c);
  int headers = 0;
  c->address.address.headers.for_each([&](std::string_view name, std::string_view value) {
    ++headers;
    EXPECT_EQ(name, "Route");
    EXPECT_EQ(unescape(value), "<sip:sip.example.com>");
  });
  EXPECT_EQ(headers, 1);
  EXPECT_EQ(s->msg.content_length(), 0u);
  EXPECT_TRUE(as_uas(s->msg).acceptable());
}

TEST(Rfc4475, S3_3_15_sdp01_UnacceptableAcceptOffering) {
  const auto s = load("sdp01.dat");
  ASSERT_TRUE(s->result) << describe(s->result.error);
  // The 406 is the endpoint's answer to an Accept it cannot satisfy.
  EXPECT_EQ(values_of(s->msg, header_id::accept),
            (std::vector<std::string>{"text/nobodyKnowsThis"}));
  EXPECT_TRUE(as_proxy(s->msg).acceptable());
}

// ------------------------------------------------ 3.4 backward compatibility

TEST(Rfc4475, S3_4_1_inv2543_InviteWithRfc2543Syntax) {
  const auto s = load("inv2543.dat");
  ASSERT_TRUE(s->result) << describe(s->result.error);
  const auto& m = s->msg;
  EXPECT_TRUE(m.top_via().branch.empty());
  EXPECT_FALSE(m.top_via().rfc3261_branch());
  EXPECT_EQ(m.top_via().host, "iftgw.example.com");
  EXPECT_TRUE(m.from().tag().empty());
  EXPECT_FALSE(m.content_length());
  EXPECT_FALSE(m.max_forwards());
  EXPECT_EQ(m.body().size(), 105u);
  EXPECT_TRUE(m.body().ends_with("m=audio 49217 RTP/AVP 0\r\n"));
  // Unbracketed, ";user=phone" is a header parameter (§20.10), not a URI one.
  EXPECT_EQ(m.to().params.find("user")->value, "phone");
  EXPECT_TRUE(m.to().address.params.empty());
  EXPECT_EQ(m.cseq().number, 56u);
  EXPECT_TRUE(as_uas(m).acceptable()) << as_uas(m).reason;
}

}  // namespace
}  // namespace p2psip::sip
