// The timers of the transaction layer: RFC 3261 §17 Table 4, RFC 6026
// Timers L and M, and the 100 Trying delay of §17.2.1. Every value derives
// from T1, T2, T4 and D, so a test (or a link with a long RTT) changes one
// field and every timer follows.
#pragma once

#include <chrono>
#include <optional>

namespace p2psip::txn {

// The layer never reads a clock: every call brings the time.
using clock = std::chrono::steady_clock;
using time_point = clock::time_point;

struct timer_config {
  using duration = std::chrono::milliseconds;

  duration t1{500};   // RTT estimate; must be positive
  duration t2{4000};  // the longest retransmission interval of non-INVITE requests and responses
  duration t4{5000};  // how long a message may stay in the network
  duration d{32000};  // Timer D over unreliable transports (Table 4: "> 32 s")
  // How long an INVITE server transaction waits for the TU's first
  // provisional response before sending 100 Trying itself (§17.2.1); nullopt
  // never sends one.
  std::optional<duration> trying{std::chrono::milliseconds{200}};

  // Initial retransmission intervals of Timers A, E and G.
  duration timer_a() const { return t1; }
  duration timer_e() const { return t1; }
  duration timer_g() const { return t1; }
  // Transaction timeouts.
  duration timer_b() const { return 64 * t1; }
  duration timer_f() const { return 64 * t1; }
  duration timer_h() const { return 64 * t1; }
  // How long a finished transaction lingers to absorb retransmissions. A
  // reliable transport does not retransmit, so those are zero there.
  duration timer_d(bool reliable) const { return reliable ? duration::zero() : d; }
  duration timer_i(bool reliable) const { return reliable ? duration::zero() : t4; }
  duration timer_j(bool reliable) const { return reliable ? duration::zero() : 64 * t1; }
  duration timer_k(bool reliable) const { return reliable ? duration::zero() : t4; }
  // RFC 6026 §8.7 and §8.4: the Accepted states last 64*T1 on any transport,
  // because 2xx responses are retransmitted end to end by the UAS core
  // (§13.3.1.4) and other forks may still answer, whatever this hop runs on.
  duration timer_l() const { return 64 * t1; }
  duration timer_m() const { return 64 * t1; }
};

}  // namespace p2psip::txn
