// What the record fuzzer and the program that makes its seeds share: the
// overlay the seeds belong to, the CA certificate they chain to, and the
// instant they are judged at. That instant is reckoned from the CA (a day
// after its notBefore), and so are the signers' certificates and the records'
// expiry, so the seeds never age: they stay valid records for as long as the
// codec keeps their format.
#pragma once

#include <chrono>
#include <string>
#include <type_traits>
#include <variant>

#include "identity/certificate.hpp"
#include "overlay/key.hpp"
#include "overlay/records.hpp"

namespace p2psip::fuzz {

inline constexpr const char* record_overlay = "p2psip.test";
inline constexpr const char* record_user = "sip:alice@p2psip.test";

inline std::chrono::system_clock::time_point record_clock(const identity::certificate& ca) {
  return ca.not_before() + std::chrono::hours{24};
}

// The key a reader looks `body` up under.
inline overlay::key reader_key(const overlay::record& body) {
  const std::string overlay_id = record_overlay;
  return std::visit(
      [&](const auto& b) {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, overlay::binding_record>)
          return overlay::binding_key(overlay_id, b.aor);
        else if constexpr (std::is_same_v<T, overlay::node_record>)
          return overlay::node_key(overlay_id, b.node_id);
        else if constexpr (std::is_same_v<T, overlay::user_record>)
          // Its AOR is sealed: a user record seed is always alice's.
          return overlay::user_key(overlay_id, record_user);
        else
          return overlay::service_key(overlay_id, b.service, b.index);
      },
      body);
}

}  // namespace p2psip::fuzz
