// Where a record lives in the DHT. Every key is a hash of a string that
// begins with the overlay identifier, so two overlays sharing a network can
// never read each other's records (DESIGN.md, "Keys and records").
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

namespace p2psip::overlay {

// 160 bits: the size of an OpenDHT InfoHash.
struct key {
  std::array<std::uint8_t, 20> bytes{};
  auto operator<=>(const key&) const = default;
  std::string hex() const;
};

// SHA-256("p2psip\0" overlay "\0" kind "\0" name) truncated to 160 bits.
key make_key(std::string_view overlay_id, std::string_view kind, std::string_view name);

key binding_key(std::string_view overlay_id, std::string_view aor);
key node_key(std::string_view overlay_id, std::string_view node_id);
// Where an enrolled user's record lives (user_record).
key user_key(std::string_view overlay_id, std::string_view aor);
// One of the `density` keys of a service ("sip:<overlay>" or "turn:<overlay>").
key service_key(std::string_view overlay_id, std::string_view service, unsigned index);

// The OpenDHT network id of an overlay: nodes of other overlays (and of the
// public OpenDHT network, id 0) drop our packets and we drop theirs.
std::uint64_t network_id(std::string_view overlay_id);

}  // namespace p2psip::overlay
