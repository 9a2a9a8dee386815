// The record the transaction layer keeps per transaction: which of the four
// state machines it runs, its state, its timers, and only the bytes it may
// have to send again. Internal to transaction_layer.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <string>

#include "transport/endpoint.hpp"
#include "txn/timer_config.hpp"
#include "txn/transaction_id.hpp"

namespace p2psip::txn::detail {

enum class kind : std::uint8_t {
  invite_client,
  non_invite_client,
  invite_server,
  non_invite_server
};

constexpr bool is_client(kind k) {
  return k == kind::invite_client || k == kind::non_invite_client;
}

// The states of RFC 3261 Figures 5 to 8 with RFC 6026's Accepted.
enum class state : std::uint8_t {
  calling,     // INVITE client: request sent, nothing heard
  trying,      // non-INVITE client and server: request sent / received, nothing answered
  proceeding,  // a provisional response went by
  completed,   // a final response went by (not a 2xx to an INVITE)
  confirmed,   // INVITE server: the ACK of its non-2xx final arrived
  accepted,    // INVITE: a 2xx went by (RFC 6026)
  terminated,  // unindexed; erased once the current call into the layer returns
};

// RFC 3261 Table 4 and RFC 6026 Timers L and M, plus the 100 Trying delay.
enum class timer_name : std::uint8_t { a, b, d, e, f, g, h, i, j, k, l, m, trying };

// No state runs more than two timers: one that repeats a send (A, E, G, or
// the single 100 Trying) and one that ends the state (all others).
enum class timer_slot : std::uint8_t { repeat, expiry };
inline constexpr std::size_t timer_slot_count = 2;

struct armed_timer {
  timer_name name = timer_name::a;
  time_point due;
  bool active = false;
};

struct transaction {
  transaction_id id = 0;
  kind type = kind::non_invite_client;
  state current = state::trying;
  bool reliable = false;
  // Server: `bytes` holds a response already sent, which answers a
  // retransmitted request (rather than the 100 Trying waiting for its timer).
  bool response_sent = false;
  transport::endpoint peer;  // client: the next hop; server: where the request came from
  // Client: the request, then (INVITE, Completed) the ACK of the final
  // response. Server: the last response, or the 100 Trying waiting to go.
  std::string bytes;
  std::string key;  // the matching key (see matching.hpp); the index holds views of it
  // RFC 2543 INVITE server transactions only: the key an ACK carrying the
  // final response's To tag produces (§17.2.3).
  std::string ack_key;
  timer_config::duration interval{};  // the current interval of Timer A, E or G
  std::array<armed_timer, timer_slot_count> timers{};

  armed_timer& timer(timer_slot slot) { return timers[static_cast<std::size_t>(slot)]; }
};

// Gives the memory back: a transaction that will send nothing more keeps
// no bytes.
inline void release(std::string& bytes) {
  std::string().swap(bytes);
}

}  // namespace p2psip::txn::detail
