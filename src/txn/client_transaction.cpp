// The client transactions: INVITE (RFC 3261 §17.1.1, Figure 5, with the
// Accepted state of RFC 6026 §8.4) and non-INVITE (§17.1.2, Figure 6).
#include "sip/parser.hpp"
#include "txn/detail/ack.hpp"
#include "txn/transaction_layer.hpp"

namespace p2psip::txn {

using detail::kind;
using detail::state;

// §17.1.1.2, §17.1.2.2: the request leaves at once. Over an unreliable
// transport Timer A (E) repeats it; Timer B (F) bounds the wait for an
// answer on any transport.
void transaction_layer::start_client(transaction& t, time_point now) {
  const bool invite = t.type == kind::invite_client;
  t.current = invite ? state::calling : state::trying;
  if (!t.reliable) {
    t.interval = invite ? config_.timer_a() : config_.timer_e();
    arm(t, timer_slot::repeat, invite ? timer_name::a : timer_name::e, now + t.interval);
  }
  arm(t, timer_slot::expiry, invite ? timer_name::b : timer_name::f,
      now + (invite ? config_.timer_b() : config_.timer_f()));
  transmit(t);
}

void transaction_layer::invite_client_response(transaction& t, const sip::message& response,
                                               time_point now) {
  const auto code = response.status().code;
  if (t.current == state::completed) {
    // §17.1.1.2: a repeated final response means our ACK was lost.
    if (code >= 300) retransmit(t);
    ++stats_.absorbed_responses;
    return;
  }
  if (t.current == state::accepted) {
    // RFC 6026 §8.4: a retransmitted 2xx, or another fork's, goes to the TU,
    // which ACKs each.
    if (code >= 200 && code < 300) {
      tu_.on_response(t.id, response);
    } else {
      ++stats_.absorbed_responses;
    }
    return;
  }
  // Calling or Proceeding.
  if (code < 200) {
    // No more retransmissions and no timeout: in Proceeding the TU (a
    // proxy's Timer C) decides how long to wait.
    disarm_all(t);
    t.current = state::proceeding;
  } else if (code < 300) {
    accept(t, now);
  } else {
    send_ack(t, response, now);
  }
  tu_.on_response(t.id, response);
}

// RFC 6026 §8.4: the ACK of a 2xx is the TU's (§13.2.2.4); the transaction
// stays for Timer M only to pass further 2xx responses up.
void transaction_layer::accept(transaction& t, time_point now) {
  disarm_all(t);
  t.current = state::accepted;
  detail::release(t.bytes);
  linger(t, timer_name::m, config_.timer_m(), now);
}

// §17.1.1.3: the ACK of a 300-699 response goes to the INVITE's next hop.
// It replaces the INVITE in the transaction, to answer retransmissions of
// the response until Timer D fires.
void transaction_layer::send_ack(transaction& t, const sip::message& response, time_point now) {
  sip::message invite;
  sip::parse(t.bytes, invite);  // our own request, which send_request() parsed already
  t.bytes = detail::make_ack(invite, response);
  disarm_all(t);
  t.current = state::completed;
  transmit(t);
  linger(t, timer_name::d, config_.timer_d(t.reliable), now);
}

void transaction_layer::non_invite_client_response(transaction& t, const sip::message& response,
                                                   time_point now) {
  if (t.current == state::completed) {
    // §17.1.2.2: Timer K absorbs retransmitted responses.
    ++stats_.absorbed_responses;
    return;
  }
  if (response.status().code < 200) {
    // Timers E and F keep running; E now repeats every T2.
    t.current = state::proceeding;
  } else {
    disarm_all(t);
    t.current = state::completed;
    detail::release(t.bytes);
    linger(t, timer_name::k, config_.timer_k(t.reliable), now);
  }
  tu_.on_response(t.id, response);
}

}  // namespace p2psip::txn
