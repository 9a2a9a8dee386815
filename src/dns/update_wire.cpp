#include "dns/update_wire.hpp"

#include <string>

#include "dns/detail/ldns_handles.hpp"
#include "dns/detail/read_packet.hpp"
#include "dns/update_error.hpp"

namespace p2psip::dns {
namespace {

using detail::bytes_ptr;
using detail::pkt_ptr;
using detail::rdf_ptr;
using detail::rr_list_ptr;
using detail::rr_ptr;

// RFC 8945 §5.3.2 error values in the TSIG RR's Error field.
constexpr std::uint16_t tsig_badsig = 16;
constexpr std::uint16_t tsig_badkey = 17;
constexpr std::uint16_t tsig_badtime = 18;

// The TSIG RDATA fields, in ldns's order (RFC 8945 §4.2).
enum tsig_field : std::size_t { algorithm, time_signed, fudge_field, mac, original_id, error };

ldns_rr_class wire_class(rr_class c) {
  switch (c) {
    case rr_class::zone:
      return LDNS_RR_CLASS_IN;
    case rr_class::any:
      return LDNS_RR_CLASS_ANY;
    case rr_class::none:
      return LDNS_RR_CLASS_NONE;
  }
  return LDNS_RR_CLASS_IN;
}

bool absolute(const std::string& name) {
  return !name.empty() && name.back() == '.';
}

// A row without RDATA (RDLENGTH 0): ldns cannot read one from text.
rr_ptr empty_rr(const update_row& row) {
  rdf_ptr owner(ldns_dname_new_frm_str(row.rr.owner.c_str()));
  const auto type = ldns_get_rr_type_by_name(row.rr.type.c_str());
  if (!owner || type == 0) return nullptr;
  rr_ptr rr(ldns_rr_new());
  if (!rr) return nullptr;
  ldns_rr_set_owner(rr.get(), owner.release());
  ldns_rr_set_type(rr.get(), type);
  ldns_rr_set_class(rr.get(), wire_class(row.cls));
  ldns_rr_set_ttl(rr.get(), 0);
  return rr;
}

// A row with RDATA, read as a zone file line in class IN, then given the
// row's class (a deletion of one RR is class NONE, RFC 2136 §2.5.4).
rr_ptr full_rr(const update_row& row) {
  const auto line =
      row.rr.owner + " " + std::to_string(row.rr.ttl) + " IN " + row.rr.type + " " + row.rr.rdata;
  ldns_rr* parsed = nullptr;
  if (ldns_rr_new_frm_str(&parsed, line.c_str(), 0, nullptr, nullptr) != LDNS_STATUS_OK)
    return nullptr;
  rr_ptr rr(parsed);
  ldns_rr_set_class(rr.get(), wire_class(row.cls));
  return rr;
}

rr_list_ptr encode_rows(const std::vector<update_row>& rows) {
  rr_list_ptr list(ldns_rr_list_new());
  if (!list) return nullptr;
  for (const auto& row : rows) {
    if (!absolute(row.rr.owner)) return nullptr;
    auto rr = row.rr.rdata.empty() ? empty_rr(row) : full_rr(row);
    if (!rr || !ldns_rr_list_push_rr(list.get(), rr.get())) return nullptr;
    rr.release();  // the list owns it now
  }
  return list;
}

pkt_ptr encode(const update_message& m, std::uint16_t id) {
  auto prerequisites = encode_rows(m.prerequisites());
  auto updates = encode_rows(m.updates());
  if (!absolute(m.zone()) || !prerequisites || !updates) return nullptr;
  rdf_ptr zone(ldns_dname_new_frm_str(m.zone().c_str()));
  if (!zone) return nullptr;
  // ldns_update_pkt_new takes the zone name and copies the lists.
  pkt_ptr p(ldns_update_pkt_new(zone.release(), LDNS_RR_CLASS_IN, prerequisites.get(),
                                updates.get(), nullptr));
  if (!p) return nullptr;
  // It starts from a query, with RD set; an UPDATE has no use for it.
  ldns_pkt_set_rd(p.get(), false);
  ldns_pkt_set_id(p.get(), id);
  return p;
}

std::vector<std::uint8_t> rdf_bytes(const ldns_rdf* rdf) {
  const auto* data = ldns_rdf_data(rdf);
  return {data, data + ldns_rdf_size(rdf)};
}

std::int64_t seconds_of(const ldns_rdf* tsig_time) {
  // A 48-bit count of seconds since the epoch (RFC 8945 §4.2).
  if (ldns_rdf_size(tsig_time) != 6) return -1;
  std::int64_t t = 0;
  for (std::size_t i = 0; i < 6; ++i) t = (t << 8) | ldns_rdf_data(tsig_time)[i];
  return t;
}

std::error_code rcode_result(unsigned rcode) {
  if (rcode == LDNS_RCODE_NOERROR) return {};
  if (rcode >= 1 && rcode <= 10) return static_cast<update_error>(rcode);
  return update_error::unexpected_rcode;
}

response_check ignored() {
  return {response_kind::ignored, update_error::bad_response};
}
response_check answer(std::error_code result) {
  return {response_kind::answer, result};
}

bool same_name(const ldns_rdf* a, const std::string& b) {
  const rdf_ptr other(ldns_dname_new_frm_str(b.c_str()));
  return other && ldns_dname_compare(a, other.get()) == 0;
}

// The TSIG checks of RFC 8945 §5.3, on an answer already matched to the request.
response_check check_tsig(ldns_pkt* p, std::span<const std::uint8_t> wire,
                          const signed_request& request, const tsig_key& key,
                          std::chrono::system_clock::time_point now, std::chrono::seconds fudge) {
  const ldns_rr* tsig = ldns_pkt_tsig(p);
  // Signed with our key and algorithm: ldns would verify with whichever
  // algorithm the answer names.
  if (!tsig || ldns_rr_rd_count(tsig) <= error || !same_name(ldns_rr_owner(tsig), key.name) ||
      !same_name(ldns_rr_rdf(tsig, algorithm), wire_name(key.algorithm)))
    return ignored();
  const auto tsig_error = ldns_rdf2native_int16(ldns_rr_rdf(tsig, error));
  if (tsig_error == tsig_badsig || tsig_error == tsig_badkey)
    return answer(static_cast<update_error>(tsig_error));
  const rdf_ptr request_mac(
      ldns_rdf_new_frm_data(LDNS_RDF_TYPE_INT16_DATA, request.mac.size(), request.mac.data()));
  if (!request_mac || !ldns_pkt_tsig_verify(p, wire.data(), wire.size(), key.name.c_str(),
                                            key.secret.c_str(), request_mac.get()))
    return ignored();
  // ldns compares MACs only: the time is ours to check (§5.2.3).
  const auto signed_at = seconds_of(ldns_rr_rdf(tsig, time_signed));
  const auto at = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  if (tsig_error == tsig_badtime || signed_at < 0 || signed_at > at + fudge.count() ||
      signed_at < at - fudge.count())
    return answer(update_error::badtime);
  if (tsig_error != 0) return ignored();
  return answer(rcode_result(ldns_pkt_get_rcode(p)));
}

}  // namespace

signed_request sign_update(const update_message& m, const tsig_key& key, std::uint16_t id,
                           std::chrono::seconds fudge) {
  signed_request out;
  out.id = id;
  auto p = encode(m, id);
  if (!p) {
    out.error = update_error::bad_request;
    return out;
  }
  if (ldns_pkt_tsig_sign(p.get(), key.name.c_str(), key.secret.c_str(),
                         static_cast<std::uint16_t>(fudge.count()), wire_name(key.algorithm),
                         nullptr) != LDNS_STATUS_OK) {
    out.error = update_error::bad_request;
    return out;
  }
  std::uint8_t* bytes = nullptr;
  std::size_t size = 0;
  if (ldns_pkt2wire(&bytes, p.get(), &size) != LDNS_STATUS_OK) {
    out.error = update_error::bad_request;
    return out;
  }
  const bytes_ptr owned(bytes);
  out.wire.assign(bytes, bytes + size);
  out.mac = rdf_bytes(ldns_rr_rdf(ldns_pkt_tsig(p.get()), mac));
  return out;
}

response_check check_response(std::span<const std::uint8_t> wire, const signed_request& request,
                              const tsig_key& key, std::chrono::system_clock::time_point now,
                              std::chrono::seconds fudge) {
  const auto p = detail::read_packet(wire);
  if (!p) return ignored();
  if (!ldns_pkt_qr(p.get()) || ldns_pkt_id(p.get()) != request.id ||
      ldns_pkt_get_opcode(p.get()) != LDNS_PACKET_UPDATE)
    return ignored();
  // Believing a forged TC costs one TCP connection, where the answer is
  // checked in full.
  if (ldns_pkt_tc(p.get())) return {response_kind::truncated, {}};
  return check_tsig(p.get(), wire, request, key, now, fudge);
}

}  // namespace p2psip::dns
