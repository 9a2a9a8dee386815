// Owners for what ldns allocates, so that every early return frees it.
#pragma once

#include <ldns/ldns.h>

#include <cstdint>
#include <cstdlib>
#include <memory>

namespace p2psip::dns::detail {

struct ldns_free {
  void operator()(ldns_pkt* p) const { ldns_pkt_free(p); }
  void operator()(ldns_rr* rr) const { ldns_rr_free(rr); }
  void operator()(ldns_rr_list* l) const { ldns_rr_list_deep_free(l); }
  void operator()(ldns_rdf* rdf) const { ldns_rdf_deep_free(rdf); }
  void operator()(std::uint8_t* bytes) const { std::free(bytes); }
  void operator()(char* text) const { std::free(text); }
};

using pkt_ptr = std::unique_ptr<ldns_pkt, ldns_free>;
using rr_ptr = std::unique_ptr<ldns_rr, ldns_free>;
using rr_list_ptr = std::unique_ptr<ldns_rr_list, ldns_free>;
using rdf_ptr = std::unique_ptr<ldns_rdf, ldns_free>;
using bytes_ptr = std::unique_ptr<std::uint8_t, ldns_free>;
using text_ptr = std::unique_ptr<char, ldns_free>;

}  // namespace p2psip::dns::detail
