// How a DNS UPDATE ended, as a std::error_code of the "p2psip.dns_update"
// category. NOERROR is the empty error_code; the server's RCODEs (RFC 1035
// §4.1.1, RFC 2136 §2.2) and TSIG errors (RFC 8945 §5.3.2) keep their
// numbers, so a counter indexed by the value counts by RCODE; what the
// client itself concluded is numbered above 255.
#pragma once

#include <system_error>

namespace p2psip::dns {

enum class update_error : int {
  formerr = 1,   // the server could not parse the request
  servfail = 2,  // the server failed (e.g. could not write its journal)
  nxdomain = 3,  // prerequisite failed: a name that must be in use is not
  notimp = 4,    // the server does not do UPDATE
  refused = 5,   // policy: the key may not make this change
  yxdomain = 6,  // prerequisite failed: a name that must not be in use is
  yxrrset = 7,   // prerequisite failed: an RRset that must not exist does
  nxrrset = 8,   // prerequisite failed: an RRset that must exist (with these RRs) does not
  notauth = 9,   // the server is not authoritative for the zone, or the key is unknown
  notzone = 10,  // a name is outside the zone
  badsig = 16,   // the server has the key with another secret
  badkey = 17,   // the server does not know the key or its algorithm
  badtime = 18,  // the clocks differ by more than the fudge
  unexpected_rcode = 256,  // an RCODE UPDATE does not define
  timeout,                 // no answer within the tries
  bad_response,            // only answers that were unsigned or whose TSIG did not verify
  bad_request,             // a record the request could not be built from
};

const std::error_category& update_category() noexcept;
std::error_code make_error_code(update_error e) noexcept;

}  // namespace p2psip::dns

template <>
struct std::is_error_code_enum<p2psip::dns::update_error> : std::true_type {};
