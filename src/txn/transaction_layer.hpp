// The SIP transaction layer: client and server transactions, INVITE and
// non-INVITE, as RFC 3261 §17 specifies them with the corrections of
// RFC 6026 (2xx responses to INVITE leave both transactions in an Accepted
// state instead of ending them).
//
// Sans-I/O. The transport hands in parsed messages and the event loop the
// time; the layer answers through the send function, through the
// transaction user's callbacks, and with the instant it next wants to be
// woken at. It owns no socket, thread or clock, so tests drive it in
// virtual time.
//
// Callbacks (the send function and the transaction user's) run
// synchronously inside receive(), advance(), send_request(),
// send_response() and transport_failed(). The transaction user may call the
// layer back from them; the send function must not (a transport reports a
// failed send later, through transport_failed()). Neither may throw. A
// message passed to a callback is valid only during the call.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sip/message.hpp"
#include "transport/endpoint.hpp"
#include "txn/detail/transaction.hpp"
#include "txn/timer_config.hpp"
#include "txn/transaction_id.hpp"

namespace p2psip::txn {

// The element above the transaction layer: a proxy core, registrar or UA
// core.
class transaction_user {
 public:
  virtual ~transaction_user() = default;

  // A request that created a server transaction: neither a retransmission
  // nor the ACK of a non-2xx final response. The TU answers it with
  // send_response(server, ...). Only the TU's final response ends an INVITE
  // server transaction that is still in Proceeding (a proxy's Timer C
  // guarantees one, §16.8).
  virtual void on_request(transaction_id server, const sip::message& request,
                          const transport::endpoint& source) = 0;
  // An ACK that matched no transaction (the ACK of a 2xx, its own
  // transaction end to end, §17.1.1.3), or that matched an INVITE server
  // transaction in the Accepted state (RFC 6026 §8.7). A proxy forwards it.
  virtual void on_ack(const sip::message& ack, const transport::endpoint& source) = 0;
  // A CANCEL that matched an INVITE server transaction (§9.2); it has a
  // server transaction of its own, which the TU answers. A CANCEL that
  // matches none goes to on_request() (the TU answers it 481, §9.2).
  virtual void on_cancel(transaction_id cancel_server, transaction_id invite_server,
                         const sip::message& cancel, const transport::endpoint& source) = 0;
  // A response for a client transaction, including every 2xx an INVITE
  // client transaction receives in Accepted (retransmissions and other
  // forks' answers, RFC 6026 §8.4).
  virtual void on_response(transaction_id client, const sip::message& response) = 0;
  // Timer B or F fired: the TU acts as if a 408 had arrived (§8.1.3.1).
  virtual void on_timeout(transaction_id client) = 0;
  // A send of this transaction failed. A client transaction has ended and
  // the TU acts as if a 503 had arrived (§8.1.3.1); a server transaction has
  // nobody left to answer (a non-INVITE one has ended, an INVITE one lives
  // on to absorb retransmissions, RFC 6026 §8.7).
  virtual void on_transport_error(transaction_id id) = 0;
  // Timer H fired: the ACK of a non-2xx final response never came (§17.2.1).
  virtual void on_ack_timeout(transaction_id /*invite_server*/) {}
  // The transaction is gone; its id will not be used again.
  virtual void on_terminated(transaction_id /*id*/) {}
};

// How much the layer holds at once. At the bound, a new server transaction
// first takes the place of the transaction whose lingering ends soonest:
// one past its final response that only waits out Timer D, I, J, K, L or M
// to absorb retransmissions (RFC 6026 keeps an INVITE's for 32 s, so a
// proxy at 1,000 calls/s holds ~100,000 of them). With none lingering, the
// request is answered 503 with Retry-After, statelessly (RFC 3261 §21.5.4),
// and reaches no TU: a flood cannot grow the node without bound. Client
// transactions follow from the requests the TU took.
struct layer_limits {
  std::size_t max_server_transactions = 100000;
  std::chrono::seconds retry_after{5};
  // Whether the node is behind on its input (transport_layer::behind()).
  // While it is, a request that would start a dialog or stand alone (no To
  // tag; not a CANCEL, which ends work) is answered 503 with Retry-After,
  // so the node spends its time on the transactions and dialogs it took.
  // Unset: never.
  std::function<bool()> behind;
};

class transaction_layer {
 public:
  // Hands bytes to the transport. `id` is the transaction on whose behalf
  // they go, for the transport to name in transport_failed().
  using send_function =
      std::function<void(std::string_view bytes, const transport::endpoint& to, transaction_id id)>;

  struct counters {
    std::uint64_t malformed = 0;          // received without a top Via, CSeq, Call-ID, From or To
    std::uint64_t stray_responses = 0;    // matched no client transaction: dropped (RFC 6026 §8.9)
    std::uint64_t absorbed_requests = 0;  // retransmitted requests kept from the TU
    std::uint64_t absorbed_responses = 0;  // responses kept from the TU
    std::uint64_t absorbed_acks = 0;       // ACKs of non-2xx finals ending in their transaction
    std::uint64_t retransmissions = 0;     // repeated sends: Timers A, E, G, answers, ACKs
    std::uint64_t trying_sent = 0;         // 100 Trying sent on the TU's behalf
    std::uint64_t timeouts = 0;            // Timers B, F and H
    std::uint64_t transport_errors = 0;
    std::uint64_t refused_requests = 0;   // send_request() refusals
    std::uint64_t refused_responses = 0;  // send_response() refusals
    std::uint64_t overloaded = 0;         // requests answered 503 past layer_limits
    std::uint64_t ended_early = 0;        // lingering transactions ended to make room
    std::uint64_t shed = 0;               // new requests answered 503 while behind
  };

  // Throws std::invalid_argument when T1 or T2 is not positive: the
  // retransmission timers would fire forever.
  transaction_layer(timer_config config, send_function send, transaction_user& tu,
                    layer_limits limits = {});
  transaction_layer(const transaction_layer&) = delete;
  transaction_layer& operator=(const transaction_layer&) = delete;

  // A message from the transport, parsed without error. Retransmissions are
  // absorbed or answered here; everything else reaches the TU.
  void receive(const sip::message& m, const transport::endpoint& source, time_point now);

  // Starts a client transaction and sends `request`. The request carries
  // its top Via with a fresh RFC 3261 branch; the layer keeps the bytes to
  // retransmit. Returns 0, sending nothing, when the bytes are not such a
  // request, when the branch is already in use, or for an ACK (which is no
  // transaction of its own: the TU sends it straight to the transport).
  transaction_id send_request(std::string request, const transport::endpoint& next_hop,
                              time_point now);

  // Sends a response of a server transaction; the status code is read from
  // the bytes. It goes to the endpoint the request came from, flow
  // included, as RFC 3581 and RFC 5626 want (a transport that honours
  // §18.2.2's maddr or sent-by port instead may redirect it). Returns false,
  // sending nothing, when the transaction is gone or its state takes no such
  // response (a second final response, a provisional one after a final).
  bool send_response(transaction_id server, std::string response, time_point now);

  // The transport could not deliver a message of this transaction.
  void transport_failed(transaction_id id);

  // The TU gives up a client transaction the RFC leaves without a timer of
  // its own: an INVITE in Proceeding whose CANCEL brought no final response
  // within 64*T1 (§9.1). It ends now; a late response is stray.
  void abandon(transaction_id client);

  // When advance() next has something to do; the event loop arms one timer
  // for it.
  std::optional<time_point> next_deadline() const;
  // Fires every timer due at `now`: retransmits (A, E, G), times out (B, F,
  // H), sends 100 Trying, and terminates (D, I, J, K, L, M). A late call
  // fires each due timer once, and a repeating one restarts from `now`, so a
  // stalled loop does not send bursts.
  void advance(time_point now);

  // Live transactions.
  std::size_t size() const { return transactions_.size() - terminated_.size(); }
  const counters& stats() const { return stats_; }

 private:
  using transaction = detail::transaction;
  using timer_name = detail::timer_name;
  using timer_slot = detail::timer_slot;

  struct timer_entry {
    time_point due;
    transaction_id id;
    timer_slot slot;
    auto operator<=>(const timer_entry&) const = default;
  };

  // Keeps terminated transactions in memory until the outermost call into
  // the layer returns, so that no callback pulls one from under a caller.
  class call_scope {
   public:
    explicit call_scope(transaction_layer& layer);
    ~call_scope();
    call_scope(const call_scope&) = delete;
    call_scope& operator=(const call_scope&) = delete;

   private:
    transaction_layer& layer_;
  };

  // transaction_layer.cpp: matching, lifetime, timers.
  void receive_response(const sip::message& response, time_point now);
  void refuse_overloaded(const sip::message& request, const transport::endpoint& source);
  void receive_request(const sip::message& request, const transport::endpoint& source,
                       time_point now);
  void receive_ack(const sip::message& ack, const transport::endpoint& source, time_point now);
  transaction* find_server(std::string_view key);
  transaction& create(detail::kind type, const transport::endpoint& peer, std::string key);
  void expect_legacy_ack(transaction& t, std::string_view response_to_tag);
  void terminate(transaction& t);
  void erase_terminated();
  transaction* live(transaction_id id);
  void arm(transaction& t, timer_slot slot, timer_name name, time_point due);
  void disarm(transaction& t, timer_slot slot);
  void disarm_all(transaction& t);
  void linger(transaction& t, timer_name name, timer_config::duration wait, time_point now);
  void forget_lingering(transaction& t);
  bool make_room();
  void fire(transaction& t, timer_name name, time_point now);
  void transmit(const transaction& t);
  void retransmit(const transaction& t);

  // client_transaction.cpp: RFC 3261 §17.1, RFC 6026 §8.4.
  void start_client(transaction& t, time_point now);
  void invite_client_response(transaction& t, const sip::message& response, time_point now);
  void accept(transaction& t, time_point now);
  void send_ack(transaction& t, const sip::message& response, time_point now);
  void non_invite_client_response(transaction& t, const sip::message& response, time_point now);

  // server_transaction.cpp: RFC 3261 §17.2, RFC 6026 §8.7. A response
  // arrives with its parse, which views it: it is read before it is stored.
  void start_server(transaction& t, const sip::message& request, time_point now);
  void send_trying(transaction& t);
  void server_retransmission(const transaction& t);
  void invite_server_ack(transaction& t, const sip::message& ack, const transport::endpoint& source,
                         time_point now);
  bool invite_server_response(transaction& t, std::string&& response, const sip::message& parsed,
                              time_point now);
  bool non_invite_server_response(transaction& t, std::string&& response,
                                  const sip::message& parsed, time_point now);
  void store_and_send(transaction& t, std::string response);

  timer_config config_;
  layer_limits limits_;
  send_function send_;
  transaction_user& tu_;
  transaction_id next_id_ = 1;
  // Transactions stay put in their node, so the indexes hold pointers and
  // views of each transaction's key.
  std::unordered_map<transaction_id, transaction> transactions_;
  std::unordered_map<std::string_view, transaction*> clients_;
  std::unordered_map<std::string_view, transaction*> servers_;
  std::set<timer_entry> timers_;
  // Transactions whose only work left is absorbing retransmissions, by when
  // that ends: the first gives way when the layer is full.
  std::set<std::pair<time_point, transaction_id>> lingering_;
  std::vector<transaction_id> terminated_;
  int depth_ = 0;
  counters stats_;
};

}  // namespace p2psip::txn
