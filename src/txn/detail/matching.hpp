// The keys that match messages to transactions. Each key is a string built
// from exactly the fields the RFC compares, so matching is one hash lookup.
// Fields are joined with NUL, which their grammars exclude (bar a
// quoted-pair in a Via parameter of an RFC 2543 request, which gains a
// forger nothing: whoever knows those fields can match them anyway).
#pragma once

#include <string>
#include <string_view>

#include "sip/message.hpp"

namespace p2psip::txn::detail {

// §17.1.3: a response belongs to the client transaction whose request had
// the same top Via branch and whose method is the response's CSeq method
// (so a CANCEL, which shares its INVITE's branch, is a transaction of its
// own).
std::string client_key(std::string_view branch, std::string_view cseq_method);

// §17.2.3: the key of the server transaction `request` belongs to, were it
// created by a request of method `method` (the caller passes "INVITE" for an
// ACK, and for the INVITE a CANCEL cancels, §9.2).
// With a magic-cookie branch: branch, sent-by and method. Without one, the
// RFC 2543 fields: Request-URI, From tag, Call-ID, CSeq number, top Via,
// method and To tag.
std::string server_key(const sip::message& request, std::string_view method);

// An RFC 2543 ACK matches its INVITE by the To tag of the final response
// rather than that of the INVITE (§17.2.3), so the INVITE's transaction
// also answers to the key such an ACK produces. Returns that key, or an
// empty string when `invite_key` is not an RFC 2543 key or the ACK's key
// would be `invite_key` itself (a request that already carried that tag).
std::string legacy_ack_key(std::string_view invite_key, std::string_view response_to_tag);

}  // namespace p2psip::txn::detail
