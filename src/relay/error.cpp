#include "relay/error.hpp"

#include <string>

namespace p2psip::relay {
namespace {

class category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "relay"; }
  std::string message(int ev) const override {
    switch (static_cast<error>(ev)) {
      case error::too_short:
        return "STUN message shorter than its header";
      case error::not_stun:
        return "not a STUN message";
      case error::bad_length:
        return "STUN message length does not match";
      case error::truncated_attribute:
        return "STUN attribute runs past the message";
      case error::too_many_attributes:
        return "too many STUN attributes";
      case error::bad_attribute:
        return "malformed STUN attribute";
      case error::bad_fingerprint:
        return "STUN FINGERPRINT does not match";
      case error::value_too_long:
        return "STUN attribute value too long";
      case error::bad_uri_scheme:
        return "not a turn: or turns: URI";
      case error::bad_uri_host:
        return "bad host in TURN URI";
      case error::bad_uri_port:
        return "bad port in TURN URI";
      case error::bad_uri_query:
        return "TURN URI query is not ?transport=udp or ?transport=tcp";
      case error::timeout:
        return "no answer from the TURN server";
      case error::malformed_response:
        return "malformed answer from the TURN server";
      case error::server_error:
        return "the TURN server answered with an error";
      case error::no_challenge:
        return "the TURN server did not ask for credentials";
      case error::bad_integrity:
        return "the TURN server's answer does not carry a valid MESSAGE-INTEGRITY";
      case error::missing_address:
        return "the TURN server's answer lacks its address attribute";
      case error::no_secret:
        return "no usable TURN secret";
    }
    return "unknown relay error";
  }
};

}  // namespace

const std::error_category& relay_category() noexcept {
  static const category instance;
  return instance;
}

std::error_code make_error_code(error e) noexcept {
  return {static_cast<int>(e), relay_category()};
}

}  // namespace p2psip::relay
