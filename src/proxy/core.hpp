// The stateful proxy of RFC 3261 §16, as the transaction user of the
// transaction layer. Requests run through the request chain (processors,
// see processor.hpp); the targets it leaves are forwarded as branches
// (§16.6); responses are collected and the best one forwarded (§16.7).
//
// The core does no I/O: it talks to the transaction layer through
// txn_gateway and reads the time from an injected clock.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "proxy/call_log.hpp"
#include "proxy/flow_token.hpp"
#include "proxy/next_hop.hpp"
#include "proxy/processor.hpp"
#include "sip/message.hpp"
#include "transport/endpoint.hpp"

namespace p2psip::proxy {

// What the core needs of the transaction layer below it.
class txn_gateway {
 public:
  virtual ~txn_gateway() = default;
  // Starts a client transaction; the request carries our Via on top.
  virtual transaction_id send_request(std::string request, const transport::endpoint& next_hop) = 0;
  virtual void send_response(transaction_id server, std::string response) = 0;
  // For what has no transaction: the ACK of a 2xx (§16.11).
  virtual void send_stateless(std::string request, const transport::endpoint& next_hop) = 0;
  // §9.1: an INVITE client transaction that got no final response 64*T1
  // after its CANCEL is given up.
  virtual void abandon(transaction_id client) = 0;
};

using steady_clock = std::chrono::steady_clock;

struct proxy_config {
  std::vector<std::string> domains;        // served here: requests for them are located
  std::vector<transport::endpoint> local;  // our listening endpoints
  std::vector<std::string> local_names;    // host names that also mean this proxy
  bool record_route = true;
  bool relay_other_domains = false;  // out-of-dialog requests for other domains: forward or 403
  // §16.6 step 11: an INVITE branch with no final response this long after
  // its last provisional is cancelled; the CANCEL gets 64*T1 to end it.
  std::chrono::milliseconds timer_c{std::chrono::minutes(3)};
  std::chrono::milliseconds cancel_grace{32000};
  // Outlives the core. Set: this proxy is the edge proxy of the UAs that
  // reach it directly (RFC 5626 §5.3); its Record-Route entry facing such a
  // UA names the UA's flow, and Routes of ours carrying a token are
  // followed (flow_route). Null: no flow tokens, plain Record-Route.
  const flow_tokens* tokens = nullptr;
  // The address other nodes and phones reach this proxy at, put in its Via
  // and Record-Route instead of the listening address: needed when listening
  // on 0.0.0.0 or [::], or behind a static NAT. An IP literal as a URI host
  // (IPv6 in brackets); empty: the listening address.
  std::string advertise{};
  // Requests in the core at once (waiting for a lookup or for answers).
  // Past it a new request is answered 503 with Retry-After: a flood of
  // lookups of unknown AORs must not grow the node without bound.
  std::size_t max_requests = 10000;
  std::chrono::seconds retry_after{5};
  // Told of every call that ended, for the operator's log (call_log.hpp).
  call_log::sink call_ended{};
  // Told of the final response to every initial INVITE as it leaves: a call
  // set up (2xx) or failed, and how long that took (for the metrics).
  std::function<void(std::uint16_t status, std::chrono::milliseconds setup)> call_answered{};
  // Whether `source` is another node of the overlay on an authenticated link
  // (a TLS connection with the overlay CA's node certificate). Flow tokens
  // are published in the overlay and readable by anyone: a request may follow
  // one to a UA of this proxy only from such a node, or from a UA whose own
  // flow's token the request carries (may_follow_token). Unset: no source is.
  std::function<bool(const transport::endpoint& source)> from_node{};
  // Outlives the core. Set: next hops that name a host are resolved through
  // it (RFC 3263) and failed destinations are reported to it. Null: only
  // addresses are followed.
  next_hop_resolver* resolver = nullptr;
  // RFC 3263 §4.3 says to try the next destination when a transaction times
  // out, but Timer B and F take 64*T1, as long as the caller's own: a branch
  // that has heard nothing at all this long moves on to the next destination
  // when there is one (four transmissions over UDP went unanswered).
  std::chrono::milliseconds failover_after{4000};
  // A proxy peer's name for itself toward the public network: the overlay
  // identifier (interwork §3.1). Its Record-Route entries on a request that
  // crosses the overlay's boundary name it instead of this node, so any
  // proxy peer can take the dialog's next request. Empty: not a proxy peer.
  std::string boundary_name{};
};

// What the flow tokens in the Route values naming this proxy say about a
// request (RFC 5626 §5.3).
struct token_route {
  bool forged = false;  // a token that does not verify: 403
  // Where the request goes: the flow of a token other than the one of the
  // flow it arrived on. Empty when no such token is there (or only that
  // one: the request is on its way out from the UA, along its route).
  std::optional<transport::endpoint> flow;
  // One of the tokens names the flow the request arrived on: it comes from
  // a UA this proxy is the edge proxy of, in a dialog it record-routed.
  bool from_its_flow = false;
  // The token that gave `flow` is for anyone (flow_tokens::scope): a
  // redirect node handed it to a caller.
  bool for_anyone = false;
};

class proxy_core {
 public:
  proxy_core(proxy_config config, txn_gateway& txn, std::function<steady_clock::time_point()> now);

  // The request chain, in order. Processors live as long as the core.
  void add_processor(std::unique_ptr<processor> p);

  // ---- from the transaction layer (the transaction user's side)
  void on_request(transaction_id server, const sip::message& request,
                  const transport::endpoint& source);
  void on_ack(const sip::message& ack, const transport::endpoint& source);
  void on_cancel(transaction_id cancel_server, transaction_id invite_server,
                 const sip::message& cancel);
  void on_response(transaction_id client, const sip::message& response);
  void on_timeout(transaction_id client);
  void on_transport_error(transaction_id id);
  void on_terminated(transaction_id id);

  // ---- from a UA inside the node (node/public_registrations.hpp)
  // Runs `request` (a complete request without a Via) through the request
  // chain as if `user`, already authenticated, had sent it to this proxy;
  // the core puts a Via of this node's UA under its own. Its final
  // response, both Vias off, goes to `answered`: once, unless the core goes
  // first. `answered` must not call into the core (post instead): it runs
  // in the middle of the core's handling of the response. False when the
  // request does not parse or the core is too busy to take it.
  using local_answer = std::function<void(const sip::message& response)>;
  bool originate(std::string request, std::string user, local_answer answered);

  // ---- from the event loop: the core's own timer (Timer C)
  std::optional<steady_clock::time_point> next_deadline() const;
  void advance(steady_clock::time_point now);

  // ---- for processors
  // Answers the request with a response this proxy generates and ends it.
  void respond(request_context& ctx, std::uint16_t code, std::string_view reason,
               std::string_view extra_headers = {});
  // Answers 503 with Retry-After because this node is too busy now, and
  // counts it (RFC 3261 §21.5.4).
  void refuse_overloaded(request_context& ctx);
  // Answers with a final response built by the processor (the registrar's 200).
  void respond_with(request_context& ctx, std::string final_response);
  // Continues the chain of a request whose processor returned `wait`.
  // Safe to call after the request went away (a CANCEL, a timeout): it is
  // then a no-op.
  void resume(transaction_id server);
  // The request a processor's asynchronous step was for; nullptr once gone.
  request_context* find(transaction_id server);
  const proxy_config& config() const { return config_; }
  bool is_local_host(std::string_view host, std::uint16_t port, bool has_port) const;
  bool is_local_domain(std::string_view host) const;
  token_route route_by_token(const sip::message& request, const transport::endpoint& source) const;
  // A Route value naming this proxy on the transport `facing`, with a token
  // for `flow` (RFC 5626 §5.3): a request that follows it goes on over that
  // flow. The token is for anyone (a redirect hands it to a caller). Empty
  // without flow tokens.
  std::string route_over_flow(transport::protocol facing, const transport::endpoint& flow) const;
  // A Route value naming this proxy on the transport `facing`, without a
  // token: a caller redirected to a phone of another node goes through this
  // node, which follows that node's Path over an authenticated link. Empty
  // without flow tokens (a proxy outside an overlay).
  std::string own_route(transport::protocol facing) const;
  // Whether a request from `source` may go on over the flow `route` found:
  // it came from another node (proxy_config::from_node) or from a UA of
  // ours (token_route::from_its_flow). Counts the refusals.
  bool may_follow_token(const token_route& route, const transport::endpoint& source);
  // §16.6 step 7: the URI the next hop of `t` comes from: the first Route
  // the target puts in front, else the first Route of the request that is
  // not ours, else the target's URI. nullopt when the request goes over the
  // target's flow (`use_flow`), or the Route is not a URI.
  std::optional<sip::uri> next_hop_uri(const request_context& ctx, const target& t,
                                       bool use_flow) const;
  // Whether `source` is another node of the overlay (proxy_config::from_node).
  bool from_node(const transport::endpoint& source) const {
    return config_.from_node && config_.from_node(source);
  }
  std::size_t active_requests() const { return requests_.size(); }

  struct counters {
    std::uint64_t requests = 0;
    std::uint64_t forwarded = 0;
    std::uint64_t responses_forwarded = 0;
    std::uint64_t loops_detected = 0;
    std::uint64_t acks_forwarded = 0;
    std::uint64_t stray_responses = 0;
    std::uint64_t overloaded = 0;        // answered 503 because the node was too busy
    std::uint64_t refused_branches = 0;  // the transaction layer took no forwarded request
    // Requests and ACKs that would have followed a flow token to a UA from
    // a source that is neither a node nor that dialog's UA: refused.
    std::uint64_t untrusted_token_routes = 0;
    // RFC 3263 §4.3: a branch moved on to the next destination of its target.
    std::uint64_t failovers = 0;
  };
  const counters& stats() const { return counters_; }

 private:
  void run_chain(request_context& ctx);
  void forward_to_targets(request_context& ctx);
  enum class branch_start : std::uint8_t { started, no_route, refused };
  branch_start forward_branch(request_context& ctx, std::size_t target_index, bool use_flow);
  bool retry_without_flow(request_context& ctx, std::size_t branch_index);
  bool fail_over(request_context& ctx, std::size_t branch_index, hop_failure why,
                 std::optional<std::chrono::seconds> retry_after = {});
  void forward_ack(std::string ack, const std::vector<transport::endpoint>& hops);
  void branch_finished(request_context& ctx, std::size_t index, std::uint16_t status,
                       std::string response);
  void maybe_send_best(request_context& ctx);
  void cancel_pending_branches(request_context& ctx);
  void set_timer(transaction_id client, std::chrono::milliseconds after);
  void clear_timer(transaction_id client);
  void timer_fired(transaction_id client);
  void send_cancel(branch& b);
  void finish_if_done(transaction_id server);
  std::string make_branch_id(const sip::message& request);
  // The host of our Via and Record-Route for a request sent from `local`.
  std::string own_host(const transport::endpoint& local) const;
  std::string record_route_value(const transport::endpoint& local,
                                 const std::optional<transport::endpoint>& flow,
                                 flow_tokens::scope scope = flow_tokens::scope::nodes) const;
  std::string boundary_route_value(transport::protocol facing) const;
  const transport::endpoint* local_for(transport::protocol p) const;
  std::string retry_after_header() const;
  // Every response that goes upstream leaves through here: to the server
  // transaction, or, for a request this node originated, to its UA.
  void send_upstream(transaction_id server, std::string response);
  // Every final response of a request leaves through here.
  void send_final(request_context& ctx, std::string response, std::uint16_t status);

  proxy_config config_;
  std::optional<asio::ip::address> advertised_;  // config_.advertise, parsed
  txn_gateway& txn_;
  std::function<steady_clock::time_point()> now_;
  // Timer C of each INVITE branch, by client transaction.
  std::set<std::pair<steady_clock::time_point, transaction_id>> timers_;
  std::unordered_map<transaction_id, steady_clock::time_point> timer_of_;
  std::vector<std::unique_ptr<processor>> chain_;
  std::unordered_map<transaction_id, std::unique_ptr<request_context>> requests_;
  struct branch_ref {
    transaction_id server;
    std::size_t index;
  };
  std::unordered_map<transaction_id, branch_ref> branches_;
  // INVITE branches answered 2xx whose request is finished: their 2xx
  // retransmissions still go upstream until the client transaction ends
  // (RFC 6026 §7.2: the Accepted state).
  std::unordered_map<transaction_id, transaction_id> accepted_;
  std::uint64_t branch_counter_ = 0;
  // The requests this node originated, by their stand-in server transaction
  // ids (above any the transaction layer hands out), and who waits for each.
  std::unordered_map<transaction_id, local_answer> local_answers_;
  transaction_id next_local_ = transaction_id{1} << 63;
  counters counters_;
  call_log calls_;
};

// Where a URI leads without DNS (§8.1.2): an IP literal and port, the
// transport from "transport=" or sips. A host name needs a
// next_hop_resolver.
std::optional<transport::endpoint> uri_endpoint(const sip::uri& u);

}  // namespace p2psip::proxy
