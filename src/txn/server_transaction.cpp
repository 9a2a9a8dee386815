// The server transactions: INVITE (RFC 3261 §17.2.1 with the Accepted state
// of RFC 6026 §8.7, Figure 7) and non-INVITE (§17.2.2, Figure 8).
#include "sip/editor.hpp"
#include "txn/transaction_layer.hpp"

namespace p2psip::txn {

using detail::kind;
using detail::state;

// An INVITE server transaction starts in Proceeding and, unless the TU
// answers first, sends 100 Trying after a short delay so that the client
// stops retransmitting (§17.2.1). The request is not kept, so the 100 is
// built now. A non-INVITE one starts in Trying (§17.2.2).
void transaction_layer::start_server(transaction& t, const sip::message& request, time_point now) {
  if (t.type == kind::non_invite_server) {
    t.current = state::trying;
    return;
  }
  t.current = state::proceeding;
  if (!config_.trying) return;
  // §8.2.6.1: a 100 Trying copies the request's Timestamp.
  std::string timestamp;
  if (const auto* field = request.find(sip::header_id::timestamp))
    timestamp.append("Timestamp: ").append(field->value).append("\r\n");
  t.bytes = sip::make_response(request, 100, "Trying", {}, timestamp);
  arm(t, timer_slot::repeat, timer_name::trying, now + *config_.trying);
}

void transaction_layer::send_trying(transaction& t) {
  ++stats_.trying_sent;
  t.response_sent = true;
  transmit(t);
}

// §17.2.1, §17.2.2: a retransmitted request is answered with the last
// response sent in Proceeding and Completed; in Trying, Confirmed and
// Accepted (RFC 6026 §8.7) it is absorbed.
void transaction_layer::server_retransmission(const transaction& t) {
  ++stats_.absorbed_requests;
  if (t.response_sent && (t.current == state::proceeding || t.current == state::completed))
    retransmit(t);
}

// §17.2.1: the ACK of the non-2xx final response stops its retransmissions;
// Confirmed absorbs the ACKs still on their way until Timer I fires. In
// Accepted an ACK (from a client reusing the INVITE's branch for the ACK of
// a 2xx) is the TU's (RFC 6026 §8.7).
void transaction_layer::invite_server_ack(transaction& t, const sip::message& ack,
                                          const transport::endpoint& source, time_point now) {
  if (t.current == state::accepted) {
    tu_.on_ack(ack, source);
    return;
  }
  ++stats_.absorbed_acks;
  if (t.current != state::completed) return;
  disarm_all(t);
  t.current = state::confirmed;
  detail::release(t.bytes);
  linger(t, timer_name::i, config_.timer_i(t.reliable), now);
}

bool transaction_layer::invite_server_response(transaction& t, std::string&& response,
                                               const sip::message& parsed, time_point now) {
  const auto code = parsed.status().code;
  if (t.current == state::accepted) {
    // RFC 6026 §8.7: the TU retransmits its 2xx itself (§13.3.1.4), through
    // here; nothing else may follow a 2xx.
    if (code < 200 || code >= 300) return false;
    send_(response, t.peer, t.id);
    return true;
  }
  if (t.current != state::proceeding) return false;
  if (code < 200) {
    disarm_all(t);  // the TU answered: no 100 Trying from us
    store_and_send(t, std::move(response));
    return true;
  }
  expect_legacy_ack(t, parsed.to().tag());
  disarm_all(t);
  if (code < 300) {
    // RFC 6026 §8.7: Accepted absorbs the INVITE's retransmissions until
    // Timer L fires, so that they are not taken for new requests.
    t.current = state::accepted;
    detail::release(t.bytes);
    send_(response, t.peer, t.id);
    linger(t, timer_name::l, config_.timer_l(), now);
    return true;
  }
  // §17.2.1: Timer G repeats the final response over unreliable transports
  // until the ACK comes; Timer H gives up on it.
  t.current = state::completed;
  store_and_send(t, std::move(response));
  if (!t.reliable) {
    t.interval = config_.timer_g();
    arm(t, timer_slot::repeat, timer_name::g, now + t.interval);
  }
  arm(t, timer_slot::expiry, timer_name::h, now + config_.timer_h());
  return true;
}

// §17.2.2: provisional responses keep the transaction in Proceeding; the
// final one completes it, and Timer J absorbs the request's
// retransmissions. Any later response is discarded.
bool transaction_layer::non_invite_server_response(transaction& t, std::string&& response,
                                                   const sip::message& parsed, time_point now) {
  if (t.current == state::completed) return false;
  const bool provisional = parsed.status().code < 200;
  t.current = provisional ? state::proceeding : state::completed;
  store_and_send(t, std::move(response));
  if (!provisional) linger(t, timer_name::j, config_.timer_j(t.reliable), now);
  return true;
}

void transaction_layer::store_and_send(transaction& t, std::string response) {
  t.bytes = std::move(response);
  t.response_sent = true;
  transmit(t);
}

}  // namespace p2psip::txn
