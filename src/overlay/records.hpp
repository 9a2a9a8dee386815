// The records the overlay holds (DESIGN.md, "Keys and records"). These are
// the bodies; record_codec wraps each in a signed envelope, and the
// envelope's sequence number orders versions of the same record.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace p2psip::overlay {

// Times in records are Unix seconds: records are read by other machines.
using unix_seconds = std::int64_t;

// Where one contact of an AOR can be reached. Several bindings of one AOR
// live under the same key; a binding is identified by its instance id
// (RFC 5626) or, without one, by its contact URI.
struct binding_record {
  std::string aor;                // canonical "sip:user@overlay"
  std::string contact;            // Contact URI as registered
  std::vector<std::string> path;  // node URIs that lead to the contact, first hop first
  std::string instance;           // +sip.instance, empty when absent
  std::uint32_t reg_id = 0;
  std::uint16_t q = 1000;  // thousandths
  unix_seconds expires_at = 0;
  bool removed = false;  // a withdrawal: newer than, and cancels, the binding it names

  const std::string& identity() const { return instance.empty() ? contact : instance; }
  bool operator==(const binding_record&) const = default;
};

// How to reach a node by SIP.
struct node_record {
  std::string node_id;
  std::vector<std::string> uris;  // one per transport
  unix_seconds expires_at = 0;
  bool operator==(const node_record&) const = default;
};

// A node offering a service to the overlay: a proxy peer ("sip:<overlay>")
// or a relay peer ("turn:<overlay>"), stored under `density` keys.
struct service_record {
  std::string service;      // "sip:p2psip.test" or "turn:p2psip.test"
  std::uint32_t index = 0;  // which of the service's keys this copy is under
  std::string node_id;
  std::vector<std::string> uris;  // public SIP URIs, or TURN URIs
  std::uint32_t capacity = 0;
  std::uint32_t load = 0;
  std::string realm;        // TURN realm, empty for SIP
  std::string auth_scheme;  // e.g. "turn-rest", empty for SIP
  unix_seconds expires_at = 0;
  // The numbers a gateway peer ("tel:<overlay>") serves, as patterns
  // (sip/telephone_number.hpp); empty for other services.
  std::vector<std::string> numbers{};
  bool operator==(const service_record&) const = default;
};

// An enrolled user's digest secrets (docs/identity.md, "Enrolled users"),
// made and signed by the enrollment authority (the overlay CA itself), stored
// under the AOR's user key. Everything that names the user or could
// authenticate as them is in `sealed`, under the users key of `epoch`
// (identity/users_keyring.hpp): storers check the CA's signature without
// learning whose record it is. One record per user; a newer sequence (a
// password change, a removal) replaces it.
struct user_record {
  std::uint32_t epoch = 0;           // of the users key that sealed it
  std::vector<std::uint8_t> sealed;  // secrets::seal_box of user_secrets (enrollment.hpp)
  unix_seconds expires_at = 0;
  bool operator==(const user_record&) const = default;
};

using record = std::variant<binding_record, node_record, service_record, user_record>;

inline unix_seconds expires_at(const record& r) {
  return std::visit([](const auto& body) { return body.expires_at; }, r);
}

}  // namespace p2psip::overlay
