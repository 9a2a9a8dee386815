// What the proxy knows about one request it is handling: the request
// itself (owned), where it came from, the targets chosen for it, and the
// branches it was forked to. Processors read and fill it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sip/message.hpp"
#include "transport/endpoint.hpp"

namespace p2psip::proxy {

using transaction_id = std::uint64_t;

// Why a next hop's host name gave no destination (next_hop.hpp), worst
// last: each becomes its own answer to the caller.
enum class resolve_failure : std::uint8_t {
  none,
  not_found,  // the name does not exist or offers no SIP service: 404
  timed_out,  // no answer from the resolvers, or they failed: 504 (§21.5.5)
  busy,       // too many resolutions at once: 503 with Retry-After
};

// Where to send a forwarded copy (§16.5): the new Request-URI, the Route set
// to put in front (a registered Path), and the flow to reach it on when the
// target registered over one.
// Which way a request passes the overlay's boundary at a proxy peer.
enum class crossing : std::uint8_t { none, into_overlay, out_of_overlay };

struct target {
  std::string uri;
  std::vector<std::string> route;
  std::optional<transport::endpoint> flow;
  std::uint16_t q = 1000;
  // The flow came from a flow token (RFC 5626 §5.3): it is the only way to
  // the UA, so when it is gone the answer is 430, not a retry elsewhere.
  bool by_token = false;
  // RFC 3263: the destinations of a next hop that names a host, best first,
  // and the one being tried (§4.3). Empty: the next hop is an address.
  std::vector<transport::endpoint> hops{};
  std::size_t hop = 0;
  bool unresolvable = false;  // a host name that gave no destination
};

struct branch {
  transaction_id client = 0;
  std::size_t target_index = 0;
  bool via_flow = false;  // sent over the target's registered flow
  std::string request;    // the forwarded request, kept to build a CANCEL from
  transport::endpoint next_hop;
  std::uint16_t status = 0;  // highest status seen; 0 before any response
  std::string final_response;
  bool cancel_when_provisional = false;
  bool cancel_sent = false;
  bool done = false;
};

struct request_context {
  transaction_id server = 0;
  std::string bytes;
  std::unique_ptr<sip::message> request = std::make_unique<sip::message>();
  transport::endpoint source;
  std::chrono::steady_clock::time_point received_at;
  std::string authenticated_user;
  std::vector<target> targets;
  std::vector<branch> branches;
  std::size_t next_processor = 0;
  std::string to_tag;  // for responses this proxy generates
  bool cancelled = false;
  bool final_sent = false;
  // A lookup may complete inside process() (the in-memory store does):
  // resume() then only sets resume_pending and the running chain goes on.
  bool running = false;
  bool resume_pending = false;
  // §16.4: the Request-URI was ours and the last Route value became it.
  bool strict_route = false;
  // Next hops being resolved (next_hop.hpp), and the worst reason so far
  // one gave nothing.
  std::size_t resolving = 0;
  resolve_failure unresolved = resolve_failure::none;
  // The request passes between the overlay and the public network at this
  // proxy peer: its Record-Route names the overlay, not this node.
  crossing crosses = crossing::none;

  const sip::message& msg() const { return *request; }
};

}  // namespace p2psip::proxy
