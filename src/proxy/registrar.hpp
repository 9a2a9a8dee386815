// The registrar's decision for a REGISTER (RFC 3261 §10.3), as a pure
// function of the request, the AOR's current bindings and the time. Storing
// the result and answering are the caller's: the answer is sent only once
// the store has taken the new binding set.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/location.hpp"
#include "sip/message.hpp"

namespace p2psip::proxy {

struct registrar_policy {
  std::vector<std::string> domains;  // the domains registered here (the overlay identifier)
  std::uint32_t default_expires = 3600;
  std::uint32_t min_expires = 60;
  std::uint32_t max_expires = 86400;
  std::size_t max_bindings_per_aor = 16;
};

// An AOR in the form bindings are keyed by (§10.3 step 5): "sip:user@host",
// the user unescaped, the host in lower case, sips folded into sip, no port,
// parameters or headers. nullopt for URIs that cannot be an AOR.
std::optional<std::string> canonical_aor(const sip::uri& u);

struct register_outcome {
  std::uint16_t code = 200;
  std::string reason = "OK";
  std::string aor;
  std::vector<binding> bindings;  // the AOR's set after this REGISTER (when code is 200)
  bool changed = false;           // false for a query: nothing to store
};

// Steps 1 and 5-7 of §10.3: the domain, the AOR and the user's right to it,
// then the Contact processing. `authenticated_user` is the digest user name,
// empty when this registrar does not authenticate.
register_outcome process_register(const sip::message& request, std::string_view authenticated_user,
                                  const std::vector<binding>& current,
                                  const transport::endpoint& source, wall_clock::time_point now,
                                  const registrar_policy& policy);

// The answer for the outcome (§10.3 step 8): the current bindings in Contact
// with their remaining expiry, Date, Path echoed to a UA that supports it,
// Min-Expires on a 423.
std::string registrar_response(const sip::message& request, const register_outcome& outcome,
                               wall_clock::time_point now, std::string_view to_tag,
                               const registrar_policy& policy);

}  // namespace p2psip::proxy
