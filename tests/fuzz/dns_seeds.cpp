// Writes the seed corpora of the DNS fuzzers (dns_seeds.hpp says how their
// inputs are laid out): responses as a server sends them, built and
// encoded by ldns (names compressed), answers to an UPDATE signed with the
// fuzzers' key over their request's MAC.
//
//   dns_seeds tests/fuzz/corpus
//
// writes corpus/answer_parser, corpus/zone_answer and corpus/update_response.
// Run it again only when an input layout changes; it replaces the files.
#include "dns_seeds.hpp"

#include <ldns/ldns.h>

#include <array>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "dns/detail/ldns_handles.hpp"

namespace {

using namespace p2psip;
using dns::detail::bytes_ptr;
using dns::detail::pkt_ptr;
using dns::detail::rdf_ptr;
namespace fs = std::filesystem;

using bytes = std::vector<std::uint8_t>;

struct sections {
  std::vector<std::string> answer;
  std::vector<std::string> authority;
  std::vector<std::string> additional;
};

void push(ldns_pkt* p, ldns_pkt_section section, const std::string& text) {
  ldns_rr* rr = nullptr;
  if (ldns_rr_new_frm_str(&rr, text.c_str(), 0, nullptr, nullptr) != LDNS_STATUS_OK)
    throw std::runtime_error("not a record: " + text);
  ldns_pkt_push_rr(p, section, rr);
}

bytes wire_of(const ldns_pkt* p) {
  std::uint8_t* data = nullptr;
  std::size_t size = 0;
  if (ldns_pkt2wire(&data, p, &size) != LDNS_STATUS_OK) throw std::runtime_error("ldns_pkt2wire");
  const bytes_ptr owned(data);
  return {data, data + size};
}

// A response to `name` `type`, as an authoritative server gives it when
// `authoritative`.
bytes response(const std::string& name, const std::string& type, std::uint16_t id,
               ldns_pkt_rcode rcode, bool authoritative, const sections& s) {
  const pkt_ptr p(ldns_pkt_query_new(ldns_dname_new_frm_str(name.c_str()),
                                     ldns_get_rr_type_by_name(type.c_str()), LDNS_RR_CLASS_IN, 0));
  if (!p) throw std::runtime_error("ldns_pkt_query_new");
  ldns_pkt_set_id(p.get(), id);
  ldns_pkt_set_qr(p.get(), true);
  ldns_pkt_set_aa(p.get(), authoritative);
  ldns_pkt_set_rcode(p.get(), rcode);
  for (const auto& rr : s.answer) push(p.get(), LDNS_SECTION_ANSWER, rr);
  for (const auto& rr : s.authority) push(p.get(), LDNS_SECTION_AUTHORITY, rr);
  for (const auto& rr : s.additional) push(p.get(), LDNS_SECTION_ADDITIONAL, rr);
  return wire_of(p.get());
}

// An answer to the fuzzers' UPDATE of p2psip.test. (RFC 2136 §3.8: the
// zone section echoed, nothing else).
pkt_ptr update_answer(ldns_pkt_rcode rcode) {
  pkt_ptr p(ldns_pkt_new());
  if (!p) throw std::runtime_error("ldns_pkt_new");
  ldns_pkt_set_id(p.get(), fuzz::update_request().id);
  ldns_pkt_set_qr(p.get(), true);
  ldns_pkt_set_opcode(p.get(), LDNS_PACKET_UPDATE);
  ldns_pkt_set_rcode(p.get(), rcode);
  ldns_rr* zone = ldns_rr_new();
  ldns_rr_set_owner(zone, ldns_dname_new_frm_str("p2psip.test."));
  ldns_rr_set_type(zone, LDNS_RR_TYPE_SOA);
  ldns_rr_set_class(zone, LDNS_RR_CLASS_IN);
  ldns_rr_set_question(zone, true);
  ldns_pkt_push_rr(p.get(), LDNS_SECTION_QUESTION, zone);
  return p;
}

// Signed as the server signs an answer: with the key, over the request's MAC.
bytes signed_update_answer(ldns_pkt_rcode rcode) {
  auto p = update_answer(rcode);
  const auto key = fuzz::update_key();
  const auto mac = fuzz::update_request().mac;
  const rdf_ptr request_mac(
      ldns_rdf_new_frm_data(LDNS_RDF_TYPE_INT16_DATA, mac.size(), mac.data()));
  if (ldns_pkt_tsig_sign(p.get(), key.name.c_str(), key.secret.c_str(),
                         static_cast<std::uint16_t>(fuzz::update_fudge.count()),
                         dns::wire_name(key.algorithm), request_mac.get()) != LDNS_STATUS_OK)
    throw std::runtime_error("ldns_pkt_tsig_sign");
  return wire_of(p.get());
}

// RFC 8945 §5.3.2: a server that cannot use the key answers with a TSIG
// that names the error and carries no MAC.
bytes unsigned_update_answer(std::uint16_t tsig_error, std::int64_t now) {
  auto p = update_answer(LDNS_RCODE_NOTAUTH);
  const auto key = fuzz::update_key();
  ldns_rr* tsig = ldns_rr_new();
  ldns_rr_set_owner(tsig, ldns_dname_new_frm_str(key.name.c_str()));
  ldns_rr_set_type(tsig, LDNS_RR_TYPE_TSIG);
  ldns_rr_set_class(tsig, LDNS_RR_CLASS_ANY);
  ldns_rr_set_ttl(tsig, 0);
  std::array<std::uint8_t, 6> time{};
  for (std::size_t i = 0; i < time.size(); ++i)
    time[i] = static_cast<std::uint8_t>(now >> (8 * (time.size() - 1 - i)));
  const std::array<std::uint8_t, 2> empty{};
  ldns_rr_push_rdf(tsig, ldns_dname_new_frm_str(dns::wire_name(key.algorithm)));
  ldns_rr_push_rdf(tsig, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_TSIGTIME, time.size(), time.data()));
  ldns_rr_push_rdf(tsig,
                   ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16,
                                         static_cast<std::uint16_t>(fuzz::update_fudge.count())));
  ldns_rr_push_rdf(tsig,
                   ldns_rdf_new_frm_data(LDNS_RDF_TYPE_INT16_DATA, empty.size(), empty.data()));
  ldns_rr_push_rdf(tsig, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, fuzz::update_request().id));
  ldns_rr_push_rdf(tsig, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, tsig_error));
  ldns_rr_push_rdf(tsig,
                   ldns_rdf_new_frm_data(LDNS_RDF_TYPE_INT16_DATA, empty.size(), empty.data()));
  ldns_pkt_set_tsig(p.get(), tsig);
  return wire_of(p.get());
}

bytes truncated_update_answer() {
  auto p = update_answer(LDNS_RCODE_NOERROR);
  ldns_pkt_set_tc(p.get(), true);
  return wire_of(p.get());
}

bytes with_clock(std::int64_t seconds, const bytes& wire) {
  bytes out;
  for (std::size_t i = 0; i < fuzz::clock_bytes; ++i)
    out.push_back(static_cast<std::uint8_t>(seconds >> (8 * (fuzz::clock_bytes - 1 - i))));
  out.insert(out.end(), wire.begin(), wire.end());
  return out;
}

bytes with_selector(std::uint8_t selector, const bytes& wire) {
  bytes out{selector};
  out.insert(out.end(), wire.begin(), wire.end());
  return out;
}

void write(const fs::path& file, const bytes& data) {
  fs::create_directories(file.parent_path());
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  if (!out) throw std::runtime_error("cannot write " + file.string());
}

// Indexes into answer_types and zone_questions.
constexpr std::uint8_t a = 0, aaaa = 1, srv = 2, naptr = 3;
constexpr std::uint8_t zone_srv = 0, zone_a = 1, zone_aaaa = 2, zone_naptr = 3;

const std::string soa =
    "example.test. 300 IN SOA ns.example.test. admin.example.test. 1 3600 600 86400 30";
const std::string zone_soa =
    "p2psip.test. 300 IN SOA ns.p2psip.test. hostmaster.p2psip.test. 7 3600 600 86400 60";

void write_answers(const fs::path& dir) {
  write(dir / "naptr-with-srv-and-a",
        with_selector(naptr, response("example.test.", "NAPTR", 0x1a2b, LDNS_RCODE_NOERROR, true,
                                      {{"example.test. 1234 IN NAPTR 10 20 \"S\" \"SIP+D2U\" \"\" "
                                        "_sip._udp.example.test.",
                                        "example.test. 1234 IN NAPTR 20 10 \"s\" \"SIPS+D2T\" \"\" "
                                        "_sips._tcp.example.test."},
                                       {"example.test. 300 IN NS ns.example.test."},
                                       {"_sip._udp.example.test. 300 IN SRV 10 60 5060 "
                                        "p1.example.test.",
                                        "p1.example.test. 300 IN A 192.0.2.1"}})));
  write(dir / "srv-two-targets",
        with_selector(srv,
                      response("_sip._udp.example.test.", "SRV", 0x0101, LDNS_RCODE_NOERROR, true,
                               {{"_sip._udp.example.test. 300 IN SRV 10 60 5060 p1.example.test.",
                                 "_sip._udp.example.test. 300 IN SRV 20 0 5070 p2.example.test."},
                                {},
                                {"p1.example.test. 300 IN A 192.0.2.1",
                                 "p1.example.test. 300 IN AAAA 2001:db8::1"}})));
  write(
      dir / "srv-not-offered",
      with_selector(srv, response("_sip._tcp.example.test.", "SRV", 0x0102, LDNS_RCODE_NOERROR,
                                  true, {{"_sip._tcp.example.test. 300 IN SRV 0 0 0 ."}, {}, {}})));
  write(dir / "a",
        with_selector(a, response("p1.example.test.", "A", 0x0201, LDNS_RCODE_NOERROR, true,
                                  {{"p1.example.test. 300 IN A 192.0.2.1"}, {}, {}})));
  write(dir / "aaaa",
        with_selector(aaaa, response("p1.example.test.", "AAAA", 0x0202, LDNS_RCODE_NOERROR, true,
                                     {{"p1.example.test. 300 IN AAAA 2001:db8::1"}, {}, {}})));
  write(dir / "a-through-cname",
        with_selector(a, response("alias.example.test.", "A", 0x0203, LDNS_RCODE_NOERROR, true,
                                  {{"alias.example.test. 100 IN CNAME p1.example.test.",
                                    "p1.example.test. 300 IN A 192.0.2.1"},
                                   {},
                                   {}})));
  write(dir / "nxdomain-with-soa",
        with_selector(a, response("nobody.example.test.", "A", 0x0301, LDNS_RCODE_NXDOMAIN, true,
                                  {{}, {soa}, {}})));
  write(dir / "nodata-with-soa",
        with_selector(aaaa, response("p2.example.test.", "AAAA", 0x0302, LDNS_RCODE_NOERROR, true,
                                     {{}, {soa}, {}})));
  write(dir / "servfail", with_selector(naptr, response("example.test.", "NAPTR", 0x0303,
                                                        LDNS_RCODE_SERVFAIL, false, {})));
}

void write_zone_answers(const fs::path& dir) {
  write(dir / "srv-of-three-peers",
        with_selector(zone_srv,
                      response("_sip._udp.p2psip.test.", "SRV", 0x2001, LDNS_RCODE_NOERROR, true,
                               {{"_sip._udp.p2psip.test. 60 IN SRV 10 10 5060 pp1.p2psip.test.",
                                 "_sip._udp.p2psip.test. 60 IN SRV 10 10 5060 pp2.p2psip.test.",
                                 "_sip._udp.p2psip.test. 60 IN SRV 10 10 5070 pp3.p2psip.test."},
                                {"p2psip.test. 300 IN NS ns.p2psip.test."},
                                {"ns.p2psip.test. 300 IN A 127.0.0.1"}})));
  write(dir / "a",
        with_selector(zone_a, response("pp1.p2psip.test.", "A", 0x2002, LDNS_RCODE_NOERROR, true,
                                       {{"pp1.p2psip.test. 60 IN A 192.0.2.1",
                                         "pp1.p2psip.test. 60 IN A 192.0.2.7"},
                                        {},
                                        {}})));
  write(dir / "aaaa",
        with_selector(zone_aaaa,
                      response("pp1.p2psip.test.", "AAAA", 0x2003, LDNS_RCODE_NOERROR, true,
                               {{"pp1.p2psip.test. 60 IN AAAA 2001:db8::1"}, {}, {}})));
  write(
      dir / "naptr",
      with_selector(zone_naptr, response("p2psip.test.", "NAPTR", 0x2004, LDNS_RCODE_NOERROR, true,
                                         {{"p2psip.test. 60 IN NAPTR 100 50 \"s\" \"SIP+D2U\" \"\" "
                                           "_sip._udp.p2psip.test.",
                                           "p2psip.test. 60 IN NAPTR 50 50 \"s\" \"SIPS+D2T\" \"\" "
                                           "_sips._tcp.p2psip.test."},
                                          {},
                                          {}})));
  write(dir / "nodata-with-soa",
        with_selector(zone_aaaa, response("pp1.p2psip.test.", "AAAA", 0x2005, LDNS_RCODE_NOERROR,
                                          true, {{}, {zone_soa}, {}})));
  write(dir / "nxdomain",
        with_selector(zone_a, response("pp1.p2psip.test.", "A", 0x2006, LDNS_RCODE_NXDOMAIN, true,
                                       {{}, {zone_soa}, {}})));
  write(dir / "not-authoritative",
        with_selector(zone_a, response("pp1.p2psip.test.", "A", 0x2007, LDNS_RCODE_NOERROR, false,
                                       {{"pp1.p2psip.test. 60 IN A 192.0.2.1"}, {}, {}})));
  write(dir / "refused", with_selector(zone_srv, response("_sip._udp.p2psip.test.", "SRV", 0x2008,
                                                          LDNS_RCODE_REFUSED, false, {})));
}

void write_update_answers(const fs::path& dir) {
  const std::int64_t now = std::time(nullptr);
  write(dir / "noerror", with_clock(now, signed_update_answer(LDNS_RCODE_NOERROR)));
  write(dir / "refused", with_clock(now, signed_update_answer(LDNS_RCODE_REFUSED)));
  write(dir / "nxrrset", with_clock(now, signed_update_answer(LDNS_RCODE_NXRRSET)));
  write(dir / "noerror-clock-ahead",
        with_clock(now + 1000, signed_update_answer(LDNS_RCODE_NOERROR)));
  write(dir / "badsig", with_clock(now, unsigned_update_answer(16, now)));
  write(dir / "badkey", with_clock(now, unsigned_update_answer(17, now)));
  write(dir / "truncated", with_clock(now, truncated_update_answer()));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  try {
    const fs::path corpus = argv[1];
    write_answers(corpus / "answer_parser");
    write_zone_answers(corpus / "zone_answer");
    write_update_answers(corpus / "update_response");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "dns_seeds: %s\n", e.what());
    return 1;
  }
  return 0;
}
