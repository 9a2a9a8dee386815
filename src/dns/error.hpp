// Why a DNS question or an RFC 3263 resolution found nothing to use.
// not_found and no_data are answers (RFC 2308 caches them); the rest say
// the question could not be answered or the URI cannot be resolved.
#pragma once

#include <system_error>

namespace p2psip::dns {

enum class error : int {
  not_found = 1,   // NXDOMAIN: the name does not exist (RFC 2308 §2.1)
  no_data,         // the name exists but has no records of the type (RFC 2308 §2.2)
  timeout,         // no answer within the query's time
  server_failure,  // SERVFAIL (where the resolver can tell: see refused)
  // REFUSED, or no server could be reached. c-ares 1.18 also reports
  // SERVFAIL from every server this way (ARES_ECONNREFUSED): both are transient.
  refused,
  bad_response,           // FORMERR, NOTIMP, or an answer that does not parse
  bad_name,               // a name that cannot be put in a question
  cancelled,              // the resolver was stopped before an answer came
  bad_configuration,      // a server address that does not parse, or c-ares would not start
  bad_uri,                // locate(): not a SIP or SIPS URI
  unsupported_transport,  // locate(): the URI needs a transport the node has not
  all_blocklisted,        // locate(): every destination asked us to wait (503 Retry-After)
};

const std::error_category& dns_category() noexcept;
std::error_code make_error_code(error e) noexcept;

// Whether asking again later may give another answer: false for the
// answers (not_found, no_data) and for the caller's own mistakes.
bool is_transient(std::error_code ec) noexcept;

}  // namespace p2psip::dns

template <>
struct std::is_error_code_enum<p2psip::dns::error> : std::true_type {};
