#include "dns/answer_parser.hpp"

#include <ldns/ldns.h>

#include <algorithm>
#include <cstring>
#include <optional>

#include "dns/detail/ldns_handles.hpp"
#include "dns/detail/read_packet.hpp"
#include "dns/error.hpp"

namespace p2psip::dns {
namespace {

// "<character-string>": a length byte, then that many bytes.
std::optional<std::string> character_string(const ldns_rdf* rdf) {
  if (rdf == nullptr || ldns_rdf_get_type(rdf) != LDNS_RDF_TYPE_STR || ldns_rdf_size(rdf) < 1)
    return std::nullopt;
  const auto* data = ldns_rdf_data(rdf);
  const std::size_t length = data[0];
  if (length + 1 > ldns_rdf_size(rdf)) return std::nullopt;
  return std::string(reinterpret_cast<const char*>(data + 1), length);
}

std::optional<std::string> domain_name(const ldns_rdf* rdf) {
  if (rdf == nullptr || ldns_rdf_get_type(rdf) != LDNS_RDF_TYPE_DNAME) return std::nullopt;
  const detail::text_ptr text(ldns_rdf2str(rdf));
  if (!text) return std::nullopt;
  std::string name(text.get());
  if (name.size() > 1 && name.back() == '.') name.pop_back();
  return name;
}

std::optional<std::uint16_t> int16(const ldns_rdf* rdf) {
  if (rdf == nullptr || ldns_rdf_size(rdf) != 2) return std::nullopt;
  return ldns_rdf2native_int16(rdf);
}

bool add_naptr(const ldns_rr* rr, answer& out) {
  if (ldns_rr_rd_count(rr) != 6) return false;
  const auto order = int16(ldns_rr_rdf(rr, 0));
  const auto preference = int16(ldns_rr_rdf(rr, 1));
  auto flags = character_string(ldns_rr_rdf(rr, 2));
  auto service = character_string(ldns_rr_rdf(rr, 3));
  auto regexp = character_string(ldns_rr_rdf(rr, 4));
  auto replacement = domain_name(ldns_rr_rdf(rr, 5));
  if (!order || !preference || !flags || !service || !regexp || !replacement) return false;
  out.naptrs.push_back({*order, *preference, std::move(*flags), std::move(*service),
                        std::move(*regexp), std::move(*replacement)});
  return true;
}

bool add_srv(const ldns_rr* rr, answer& out) {
  if (ldns_rr_rd_count(rr) != 4) return false;
  const auto priority = int16(ldns_rr_rdf(rr, 0));
  const auto weight = int16(ldns_rr_rdf(rr, 1));
  const auto port = int16(ldns_rr_rdf(rr, 2));
  auto target = domain_name(ldns_rr_rdf(rr, 3));
  if (!priority || !weight || !port || !target) return false;
  out.srvs.push_back({*priority, *weight, *port, std::move(*target)});
  return true;
}

bool add_address(const ldns_rr* rr, rr_type type, answer& out) {
  const auto* rdf = ldns_rr_rdf(rr, 0);
  if (ldns_rr_rd_count(rr) != 1 || rdf == nullptr) return false;
  if (type == rr_type::a) {
    asio::ip::address_v4::bytes_type bytes;
    if (ldns_rdf_size(rdf) != bytes.size()) return false;
    std::memcpy(bytes.data(), ldns_rdf_data(rdf), bytes.size());
    out.addresses.emplace_back(asio::ip::address_v4(bytes));
  } else {
    asio::ip::address_v6::bytes_type bytes;
    if (ldns_rdf_size(rdf) != bytes.size()) return false;
    std::memcpy(bytes.data(), ldns_rdf_data(rdf), bytes.size());
    out.addresses.emplace_back(asio::ip::address_v6(bytes));
  }
  return true;
}

// RFC 2308 §5: the negative TTL is the SOA record's TTL, capped by its
// MINIMUM field.
std::optional<std::chrono::seconds> negative_ttl(const ldns_pkt* pkt) {
  const auto* authority = ldns_pkt_authority(pkt);
  for (std::size_t i = 0; i < ldns_rr_list_rr_count(authority); ++i) {
    const auto* rr = ldns_rr_list_rr(authority, i);
    if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_SOA || ldns_rr_rd_count(rr) != 7) continue;
    const auto* minimum = ldns_rr_rdf(rr, 6);
    if (minimum == nullptr || ldns_rdf_size(minimum) != 4) continue;
    return std::chrono::seconds{std::min(ldns_rr_ttl(rr), ldns_rdf2native_int32(minimum))};
  }
  return std::nullopt;
}

}  // namespace

parsed_answer parse_answer(const std::uint8_t* wire, std::size_t size, rr_type type) {
  parsed_answer out;
  const auto pkt = detail::read_packet({wire, size});
  if (!pkt) {
    out.error = error::bad_response;
    return out;
  }
  switch (ldns_pkt_get_rcode(pkt.get())) {
    case LDNS_RCODE_NOERROR:
      break;
    case LDNS_RCODE_NXDOMAIN:
      out.error = error::not_found;
      out.result.ttl = negative_ttl(pkt.get());
      return out;
    case LDNS_RCODE_SERVFAIL:
      out.error = error::server_failure;
      return out;
    case LDNS_RCODE_REFUSED:
      out.error = error::refused;
      return out;
    default:
      out.error = error::bad_response;
      return out;
  }
  const auto* records = ldns_pkt_answer(pkt.get());
  std::optional<std::uint32_t> smallest_ttl;
  for (std::size_t i = 0; i < ldns_rr_list_rr_count(records); ++i) {
    const auto* rr = ldns_rr_list_rr(records, i);
    smallest_ttl = std::min(smallest_ttl.value_or(ldns_rr_ttl(rr)), ldns_rr_ttl(rr));
    if (ldns_rr_get_type(rr) != static_cast<ldns_rr_type>(type)) continue;
    bool ok = false;
    switch (type) {
      case rr_type::naptr:
        ok = add_naptr(rr, out.result);
        break;
      case rr_type::srv:
        ok = add_srv(rr, out.result);
        break;
      case rr_type::a:
      case rr_type::aaaa:
        ok = add_address(rr, type, out.result);
        break;
    }
    if (!ok) {
      out = {error::bad_response, {}};
      return out;
    }
  }
  const bool none =
      out.result.naptrs.empty() && out.result.srvs.empty() && out.result.addresses.empty();
  if (none) {
    out.error = error::no_data;
    out.result.ttl = negative_ttl(pkt.get());
    return out;
  }
  out.result.ttl = std::chrono::seconds{*smallest_ttl};
  return out;
}

}  // namespace p2psip::dns
