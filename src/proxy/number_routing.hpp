// Calls to telephone numbers (issue 14 §3): a tel: URI, or a sip:/sips: URI
// of one of our domains with user=phone (sip/telephone_number.hpp), goes to
// a gateway peer of the overlay, a node that owns a trunk to a telephone
// network gateway; at that gateway peer, to its trunk.
//
// Precedence: only tel: and user=phone name a number. A user part of
// digits without user=phone is an overlay user as any other (located, 404
// or 480), so a registered "5551234" is never shadowed by a gateway and no
// call pays for a second lookup; a phone that dials numbers sets user=phone
// (or dials tel:).
//
// Trust, as for requests that leave the overlay (interworking): only a
// user of the overlay reaches a trunk. Digest at the user's node (407,
// digest_authentication's `numbers`), then the node's authenticated link
// to the gateway peer, which takes a number only from another node or
// from a user it authenticated itself; anything else gets 403.
//
// The user's node finds the gateway peers whose patterns match the number
// (gateway_finder: the overlay's "tel:<overlay>" records), the most
// specific first, and sends the request to the first one's node-link
// endpoint with its Request-URI unchanged, the others as the target's
// failover destinations (target::hops): a 503 or a timeout moves the
// branch on, as RFC 3263 §4.3 does for a Route to "any proxy peer"
// (proxy_core::fail_over). No Route is added: it would name one gateway
// peer, and a branch failing over to the next would carry it there; the
// Request-URI already says what every gateway peer needs to know. A
// gateway peer sends a number from another node to its own trunk or
// answers 404, never on to a third node, so two gateway peers with
// different views of the records cannot pass a call back and forth.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/processor.hpp"
#include "sip/message.hpp"
#include "transport/endpoint.hpp"

namespace p2psip::proxy {

// The gateway peers that serve a number, as the node finds them.
class gateway_finder {
 public:
  using found_handler = std::function<void(std::vector<transport::endpoint> gateways)>;
  virtual ~gateway_finder() = default;
  // Where to send a call to `number` (normalized, sip::telephone_number):
  // the node-link endpoints of the other gateway peers that serve it, best
  // first; empty when none does. `done` is called exactly once, possibly
  // before find() returns (from a cache); never after the finder is
  // destroyed.
  virtual void find(const std::string& number, found_handler done) = 0;
};

// This node's own trunk, when it is a gateway peer.
struct trunk {
  std::string uri;                   // "sip:192.0.2.5:5060;transport=udp"
  std::vector<std::string> numbers;  // patterns (sip::valid_number_pattern)
};

// Whether `m` asks for a telephone number routed by number_routing: its
// Request-URI is a tel: URI, or names one of our domains (or this node)
// with user=phone.
bool dials_number(const sip::message& m, const proxy_core& core);

// The Request-URI a trunk gets for `number`: the trunk's URI with the number
// as its user part and user=phone. Empty when `trunk_uri` is not a sip: or
// sips: URI without a user part.
std::string trunk_request_uri(std::string_view trunk_uri, std::string_view number);

// Whether `t` serves `number`: one of its patterns matches.
bool serves(const trunk& t, std::string_view number);

class number_routing final : public processor {
 public:
  // `gateways` outlives the processor; null: only `own` is known.
  number_routing(gateway_finder* gateways, std::optional<trunk> own)
      : gateways_(gateways), own_(std::move(own)) {}
  std::string_view name() const override { return "number-routing"; }
  processor_result process(request_context& ctx, proxy_core& core) override;

 private:
  void found(transaction_id server, std::vector<transport::endpoint> gateways, proxy_core& core);

  gateway_finder* gateways_;
  std::optional<trunk> own_;
};

}  // namespace p2psip::proxy
