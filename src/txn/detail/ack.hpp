// The ACK an INVITE client transaction sends for a 300-699 response.
#pragma once

#include <string>

#include "sip/message.hpp"

namespace p2psip::txn::detail {

// §17.1.1.3: Request-URI, Call-ID, From and CSeq number of the INVITE, the
// To of the response (with its tag), the INVITE's top Via alone and its
// Route header fields. Max-Forwards is the INVITE's, as the ACK takes the
// same hop (§8.1.1.6 asks for one in every request).
std::string make_ack(const sip::message& invite, const sip::message& response);

}  // namespace p2psip::txn::detail
