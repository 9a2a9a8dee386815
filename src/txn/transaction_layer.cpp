// Matching, lifetime and timers of the transaction layer. The four state
// machines are in client_transaction.cpp and server_transaction.cpp.
#include "txn/transaction_layer.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <utility>

#include "sip/editor.hpp"
#include "sip/parser.hpp"
#include "txn/detail/matching.hpp"

namespace p2psip::txn {

using detail::kind;
using detail::state;

namespace {

// What matching and the ACK read: the fields every request and response
// carries (§8.1.1, §8.2.6.2).
bool routable(const sip::message& m) {
  return !m.top_via().text.empty() && !m.cseq().method.empty() && !m.call_id().empty() &&
         !m.from().text.empty() && !m.to().text.empty();
}

}  // namespace

transaction_layer::call_scope::call_scope(transaction_layer& layer) : layer_(layer) {
  ++layer_.depth_;
}

transaction_layer::call_scope::~call_scope() {
  if (layer_.depth_ == 1) layer_.erase_terminated();
  --layer_.depth_;
}

transaction_layer::transaction_layer(timer_config config, send_function send, transaction_user& tu,
                                     layer_limits limits)
    : config_(config), limits_(limits), send_(std::move(send)), tu_(tu) {
  if (config_.t1 <= timer_config::duration::zero() || config_.t2 <= timer_config::duration::zero())
    throw std::invalid_argument("txn::timer_config: T1 and T2 must be positive");
}

// ---------------------------------------------------------------------------
// Entry points

void transaction_layer::receive(const sip::message& m, const transport::endpoint& source,
                                time_point now) {
  const call_scope scope(*this);
  if (!routable(m)) {
    ++stats_.malformed;
    return;
  }
  if (m.is_response()) {
    receive_response(m, now);
  } else if (m.method() == sip::method::ack) {
    receive_ack(m, source, now);
  } else {
    receive_request(m, source, now);
  }
}

transaction_id transaction_layer::send_request(std::string request,
                                               const transport::endpoint& next_hop,
                                               time_point now) {
  const call_scope scope(*this);
  sip::message parsed;
  const bool valid = sip::parse(request, parsed) && parsed.is_request() &&
                     parsed.method() != sip::method::ack && parsed.top_via().rfc3261_branch() &&
                     routable(parsed);
  auto key =
      valid ? detail::client_key(parsed.top_via().branch, parsed.cseq().method) : std::string();
  if (!valid || clients_.contains(key)) {
    ++stats_.refused_requests;
    return 0;
  }
  const auto type =
      parsed.method() == sip::method::invite ? kind::invite_client : kind::non_invite_client;
  auto& t = create(type, next_hop, std::move(key));
  t.bytes = std::move(request);
  start_client(t, now);
  return t.id;
}

bool transaction_layer::send_response(transaction_id server, std::string response, time_point now) {
  const call_scope scope(*this);
  auto* t = live(server);
  sip::message parsed;
  bool sent = false;
  if (t != nullptr && !detail::is_client(t->type) && sip::parse(response, parsed) &&
      parsed.is_response()) {
    if (t->type == kind::invite_server) {
      sent = invite_server_response(*t, std::move(response), parsed, now);
    } else {
      sent = non_invite_server_response(*t, std::move(response), parsed, now);
    }
  }
  if (!sent) ++stats_.refused_responses;
  return sent;
}

void transaction_layer::transport_failed(transaction_id id) {
  const call_scope scope(*this);
  auto* t = live(id);
  if (t == nullptr) return;
  ++stats_.transport_errors;
  // §17.1.4 and §17.2.4 end the transaction. RFC 6026 §8.7 keeps an INVITE
  // server transaction in its state instead, so that it still absorbs the
  // INVITE's retransmissions until the TU's final response and Timers H or
  // L end it.
  if (t->type != kind::invite_server) terminate(*t);
  tu_.on_transport_error(id);
}

void transaction_layer::abandon(transaction_id client) {
  const call_scope scope(*this);
  if (auto* t = live(client)) terminate(*t);
}

std::optional<time_point> transaction_layer::next_deadline() const {
  if (timers_.empty()) return std::nullopt;
  return timers_.begin()->due;
}

void transaction_layer::advance(time_point now) {
  const call_scope scope(*this);
  while (!timers_.empty() && timers_.begin()->due <= now) {
    const auto entry = *timers_.begin();
    timers_.erase(timers_.begin());
    auto& t = transactions_.at(entry.id);
    auto& timer = t.timer(entry.slot);
    timer.active = false;
    fire(t, timer.name, now);
  }
}

// ---------------------------------------------------------------------------
// Matching (§17.1.3, §17.2.3)

void transaction_layer::receive_response(const sip::message& response, time_point now) {
  const auto it =
      clients_.find(detail::client_key(response.top_via().branch, response.cseq().method));
  if (it == clients_.end()) {
    ++stats_.stray_responses;
    return;
  }
  auto& t = *it->second;
  if (t.type == kind::invite_client) {
    invite_client_response(t, response, now);
  } else {
    non_invite_client_response(t, response, now);
  }
}

// Statelessly: a retransmission gets the same answer again, at the cost of
// one more, and keeping no state is the point while overloaded.
void transaction_layer::refuse_overloaded(const sip::message& request,
                                          const transport::endpoint& source) {
  send_(sip::make_response(request, 503, "Service Unavailable", "overload",
                           "Retry-After: " + std::to_string(limits_.retry_after.count()) + "\r\n"),
        source, 0);
}

// A request whose key is known is a retransmission; any other creates a
// server transaction. A CANCEL is a transaction of its own that also names
// the INVITE it cancels (§9.2).
void transaction_layer::receive_request(const sip::message& request,
                                        const transport::endpoint& source, time_point now) {
  auto key = detail::server_key(request, request.request().method_text);
  if (auto* t = find_server(key)) {
    server_retransmission(*t);
    return;
  }
  if (size() >= limits_.max_server_transactions && !make_room()) {
    ++stats_.overloaded;
    return refuse_overloaded(request, source);
  }
  if (request.to().tag().empty() && request.method() != sip::method::cancel && limits_.behind &&
      limits_.behind()) {
    ++stats_.shed;
    return refuse_overloaded(request, source);
  }
  const auto type =
      request.method() == sip::method::invite ? kind::invite_server : kind::non_invite_server;
  auto& t = create(type, source, std::move(key));
  start_server(t, request, now);
  if (request.method() == sip::method::cancel) {
    if (const auto* invite = find_server(detail::server_key(request, "INVITE"))) {
      tu_.on_cancel(t.id, invite->id, request, source);
      return;
    }
  }
  tu_.on_request(t.id, request, source);
}

// The ACK of a non-2xx final response repeats its INVITE's branch (or, the
// RFC 2543 way, carries the response's To tag) and so belongs to the INVITE
// server transaction. The ACK of a 2xx has a branch of its own and no
// transaction: it goes to the TU.
void transaction_layer::receive_ack(const sip::message& ack, const transport::endpoint& source,
                                    time_point now) {
  if (auto* t = find_server(detail::server_key(ack, "INVITE"))) {
    invite_server_ack(*t, ack, source, now);
    return;
  }
  tu_.on_ack(ack, source);
}

detail::transaction* transaction_layer::find_server(std::string_view key) {
  const auto it = servers_.find(key);
  return it == servers_.end() ? nullptr : it->second;
}

// ---------------------------------------------------------------------------
// Lifetime

detail::transaction& transaction_layer::create(kind type, const transport::endpoint& peer,
                                               std::string key) {
  const auto id = next_id_++;
  auto& t = transactions_[id];
  t.id = id;
  t.type = type;
  t.peer = peer;
  t.reliable = transport::is_reliable(peer.proto);
  t.key = std::move(key);
  (detail::is_client(type) ? clients_ : servers_).emplace(t.key, &t);
  return t;
}

// RFC 2543 clients ACK with the final response's To tag (§17.2.3), so the
// INVITE server transaction also answers to the key that tag gives.
void transaction_layer::expect_legacy_ack(transaction& t, std::string_view response_to_tag) {
  t.ack_key = detail::legacy_ack_key(t.key, response_to_tag);
  if (!t.ack_key.empty() && !servers_.emplace(t.ack_key, &t).second) t.ack_key.clear();
}

// The transaction leaves the indexes and the timer queue at once; its
// record stays until the outermost call into the layer returns.
void transaction_layer::terminate(transaction& t) {
  forget_lingering(t);
  disarm_all(t);
  (detail::is_client(t.type) ? clients_ : servers_).erase(t.key);
  if (!t.ack_key.empty()) servers_.erase(t.ack_key);
  t.current = state::terminated;
  terminated_.push_back(t.id);
}

void transaction_layer::erase_terminated() {
  // on_terminated() may end more transactions; they join the next round.
  while (!terminated_.empty()) {
    std::vector<transaction_id> ended;
    ended.swap(terminated_);
    for (const auto id : ended) transactions_.erase(id);
    for (const auto id : ended) tu_.on_terminated(id);
  }
}

detail::transaction* transaction_layer::live(transaction_id id) {
  const auto it = transactions_.find(id);
  if (it == transactions_.end() || it->second.current == state::terminated) return nullptr;
  return &it->second;
}

// ---------------------------------------------------------------------------
// Timers (RFC 3261 Table 4, RFC 6026 §8.4 and §8.7)

void transaction_layer::arm(transaction& t, timer_slot slot, timer_name name, time_point due) {
  disarm(t, slot);
  t.timer(slot) = {name, due, true};
  timers_.insert({due, t.id, slot});
}

void transaction_layer::disarm(transaction& t, timer_slot slot) {
  auto& timer = t.timer(slot);
  if (!timer.active) return;
  timers_.erase({timer.due, t.id, slot});
  timer.active = false;
}

void transaction_layer::disarm_all(transaction& t) {
  disarm(t, timer_slot::repeat);
  disarm(t, timer_slot::expiry);
}

// Timers D, I, J, K, L and M only end their state, after absorbing what the
// network still delivers. D, I, J and K are zero over reliable transports,
// which deliver nothing twice: the state ends at once.
void transaction_layer::linger(transaction& t, timer_name name, timer_config::duration wait,
                               time_point now) {
  if (wait == timer_config::duration::zero()) {
    terminate(t);
  } else {
    forget_lingering(t);
    arm(t, timer_slot::expiry, name, now + wait);
    lingering_.emplace(now + wait, t.id);
  }
}

// By the expiry timer's instant, which stays set after the timer fired:
// advance() clears `active` before the firing timer ends the transaction.
void transaction_layer::forget_lingering(transaction& t) {
  lingering_.erase({t.timer(timer_slot::expiry).due, t.id});
}

// Ending a lingering transaction early risks only that a retransmission
// arriving later is taken as new, which its next hop's own transaction
// absorbs; refusing the new request would lose a call.
bool transaction_layer::make_room() {
  if (lingering_.empty()) return false;
  const auto id = lingering_.begin()->second;
  terminate(transactions_.at(id));
  ++stats_.ended_early;
  return true;
}

// Every state disarms the timers of the state it leaves, so a timer that
// fires always belongs to the current state.
void transaction_layer::fire(transaction& t, timer_name name, time_point now) {
  switch (name) {
    case timer_name::a:  // §17.1.1.2: doubles without a cap; Timer B ends Calling first
      retransmit(t);
      t.interval *= 2;
      arm(t, timer_slot::repeat, name, now + t.interval);
      return;
    case timer_name::e:  // §17.1.2.2: doubles up to T2, and is T2 once a provisional came
      retransmit(t);
      t.interval =
          t.current == state::proceeding ? config_.t2 : std::min(2 * t.interval, config_.t2);
      arm(t, timer_slot::repeat, name, now + t.interval);
      return;
    case timer_name::g:  // §17.2.1: doubles up to T2
      retransmit(t);
      t.interval = std::min(2 * t.interval, config_.t2);
      arm(t, timer_slot::repeat, name, now + t.interval);
      return;
    case timer_name::trying:
      send_trying(t);
      return;
    case timer_name::b:  // §17.1.1.2, §17.1.2.2: no final response in time
    case timer_name::f:
      ++stats_.timeouts;
      terminate(t);
      tu_.on_timeout(t.id);
      return;
    case timer_name::h:  // §17.2.1: the ACK never came
      ++stats_.timeouts;
      terminate(t);
      tu_.on_ack_timeout(t.id);
      return;
    case timer_name::d:
    case timer_name::i:
    case timer_name::j:
    case timer_name::k:
    case timer_name::l:
    case timer_name::m:
      terminate(t);
      return;
  }
}

void transaction_layer::transmit(const transaction& t) {
  send_(t.bytes, t.peer, t.id);
}

void transaction_layer::retransmit(const transaction& t) {
  ++stats_.retransmissions;
  transmit(t);
}

}  // namespace p2psip::txn
