// A DNS response in wire format, turned into the records of one question's
// type with their TTL, or into the error the response code says. ldns does
// the decoding (names decompressed, RDATA checked); c-ares's own parsers
// drop the TTLs of NAPTR and SRV records, which the cache needs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <system_error>

#include "dns/records.hpp"

namespace p2psip::dns {

struct parsed_answer {
  std::error_code error;  // not_found, no_data, server_failure, refused, bad_response
  answer result;          // for not_found and no_data: only the negative TTL
};

// NOERROR with records of `type` in the answer section: those records, TTL
// the smallest of the answer section (CNAMEs that led there included).
// NOERROR without: no_data. NXDOMAIN: not_found. Both negative ones carry
// the SOA's negative TTL when the authority section has one.
parsed_answer parse_answer(const std::uint8_t* wire, std::size_t size, rr_type type);

}  // namespace p2psip::dns
