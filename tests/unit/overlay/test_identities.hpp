// Certificates for overlay tests: one overlay CA and its users and nodes,
// plus a second CA that nobody trusts. Made once per test program (Ed25519
// issuance is cheap, but there is no reason to repeat it).
#pragma once

#include <memory>
#include <string>

#include "identity/authority.hpp"
#include "identity/trust.hpp"
#include "overlay/record_store.hpp"

namespace p2psip::overlay::testing {

inline constexpr const char* overlay_id = "p2psip.test";

struct identities {
  identity::certificate_authority ca = identity::certificate_authority::create(overlay_id);
  identity::certificate_authority rogue_ca = identity::certificate_authority::create(overlay_id);

  signer alice = make(ca.issue_user("sip:alice@p2psip.test"));
  signer bob = make(ca.issue_user("sip:bob@p2psip.test"));
  signer alice_from_rogue = make(rogue_ca.issue_user("sip:alice@p2psip.test"));
  signer node_a = make(ca.issue_node("node-a", /*domain_authority=*/true));
  signer node_b = make(ca.issue_node("node-b", /*domain_authority=*/false));

  static signer make(identity::issued i) { return signer{std::move(i.key), std::move(i.cert)}; }

  static const identities& get() {
    static const identities instance;
    return instance;
  }
};

}  // namespace p2psip::overlay::testing
