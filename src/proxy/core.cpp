#include "proxy/core.hpp"

#include <algorithm>
#include <array>
#include <charconv>

#include "proxy/routing.hpp"
#include "sip/charset.hpp"
#include "sip/editor.hpp"
#include "sip/parser.hpp"

namespace p2psip::proxy {
namespace {

std::string hex(std::uint64_t v) {
  std::array<char, 17> buf{};
  const auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v, 16);
  return std::string(buf.data(), end);
}

// §16.7 step 6: a 6xx if there is one, else the lowest class; within 4xx the
// responses that tell the caller what to fix come first.
int preference(std::uint16_t status) {
  if (status >= 600) return 0;
  const int klass = status / 100;
  const bool informative =
      status == 401 || status == 407 || status == 415 || status == 420 || status == 484;
  return klass * 10 + (informative ? 0 : 1);
}

bool creates_dialog(sip::method m) {
  return m == sip::method::invite || m == sip::method::subscribe || m == sip::method::refer;
}

std::string_view reason_for(std::uint16_t status) {
  switch (status) {
    case 408:
      return "Request Timeout";
    case 430:
      return "Flow Failed";
    case 480:
      return "Temporarily Unavailable";
    case 487:
      return "Request Terminated";
    case 500:
      return "Server Internal Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Error";
  }
}

// The values of `id` in a response, to merge challenges (§16.7 step 7).
std::vector<std::string> header_values(std::string_view response, sip::header_id id) {
  sip::message m;
  if (!sip::parse(response, m)) return {};
  std::vector<std::string> out;
  for (const auto& h : m.headers())
    if (h.id == id) out.emplace_back(h.value);
  return out;
}

// An address as a host in a URI or Via: IPv6 in brackets.
// The address of a URI or Via host that is an IP literal (IPv6 in brackets).
std::optional<asio::ip::address> ip_literal(std::string_view host) {
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  asio::error_code ec;
  const auto address = asio::ip::make_address(std::string(host), ec);
  if (ec) return std::nullopt;
  return address;
}

std::string host_text(const asio::ip::address& a) {
  return a.is_v6() ? "[" + a.to_string() + "]" : a.to_string();
}

// A request with a single Via came straight from the UA that sent it: no
// proxy is between it and us, and we are its edge proxy (RFC 5626 §5.3).
bool from_ua(const sip::message& m) {
  std::size_t vias = 0;
  for ([[maybe_unused]] const auto& v : m.values(sip::header_id::via))
    if (++vias > 1) return false;
  return vias == 1;
}

// The Via this proxy puts on a request it sends from `host`:`port` over `proto`.
std::string via_value(std::string_view host, std::uint16_t port, transport::protocol proto,
                      std::string_view branch) {
  return "SIP/2.0/" + std::string(transport::via_token(proto)) + " " + std::string(host) + ":" +
         std::to_string(port) + ";branch=" + std::string(branch);
}

}  // namespace

std::optional<transport::endpoint> uri_endpoint(const sip::uri& u) {
  if (!u.is_sip()) return std::nullopt;
  transport::endpoint e;
  e.proto = u.scheme == sip::uri_scheme::sips ? transport::protocol::tls : transport::protocol::udp;
  if (const auto t = u.params.find("transport"); t && u.scheme == sip::uri_scheme::sip) {
    if (sip::charset::iequals(t->value, "tcp")) e.proto = transport::protocol::tcp;
    if (sip::charset::iequals(t->value, "tls")) e.proto = transport::protocol::tls;
  }
  const auto maddr = u.params.find("maddr");
  const auto host = maddr ? maddr->value : u.host;
  asio::error_code ec;
  e.address = asio::ip::make_address(std::string(host), ec);
  if (ec) {
    if (!sip::charset::iequals(host, "localhost")) return std::nullopt;
    e.address = asio::ip::address_v4::loopback();
  }
  e.port = u.has_port ? u.port : (e.proto == transport::protocol::tls ? 5061 : 5060);
  return e;
}

proxy_core::proxy_core(proxy_config config, txn_gateway& txn,
                       std::function<steady_clock::time_point()> now)
    : config_(std::move(config)),
      advertised_(ip_literal(config_.advertise)),
      txn_(txn),
      now_(std::move(now)),
      calls_(config_.call_ended) {}

std::optional<steady_clock::time_point> proxy_core::next_deadline() const {
  if (timers_.empty()) return std::nullopt;
  return timers_.begin()->first;
}

void proxy_core::advance(steady_clock::time_point now) {
  while (!timers_.empty() && timers_.begin()->first <= now) {
    const auto client = timers_.begin()->second;
    clear_timer(client);
    timer_fired(client);
  }
}

void proxy_core::set_timer(transaction_id client, std::chrono::milliseconds after) {
  clear_timer(client);
  const auto at = now_() + after;
  timers_.insert({at, client});
  timer_of_[client] = at;
}

void proxy_core::clear_timer(transaction_id client) {
  const auto it = timer_of_.find(client);
  if (it == timer_of_.end()) return;
  timers_.erase({it->second, client});
  timer_of_.erase(it);
}

// Timer C (§16.8): a branch that rang and stopped is cancelled; one that
// never answered, or whose CANCEL went unanswered, is given up as a 408.
void proxy_core::timer_fired(transaction_id client) {
  const auto ref = branches_.find(client);
  if (ref == branches_.end()) return;
  const auto [server, index] = ref->second;
  const auto it = requests_.find(server);
  if (it == requests_.end()) return;
  auto& b = it->second->branches[index];
  if (b.done) return;
  // Nothing heard from this destination: the next one, when there is one.
  if (b.status == 0 && !b.cancel_sent) {
    txn_.abandon(client);
    if (fail_over(*it->second, index, hop_failure::timeout)) return;
    // The last destination: it keeps the time left of its transaction.
    branch_finished(*it->second, index, 408, {});
    return;
  }
  if (b.status >= 100 && !b.cancel_sent) {
    send_cancel(b);
    set_timer(client, config_.cancel_grace);
    return;
  }
  txn_.abandon(client);
  branch_finished(*it->second, index, 408, {});
}

void proxy_core::add_processor(std::unique_ptr<processor> p) {
  chain_.push_back(std::move(p));
}

bool proxy_core::is_local_host(std::string_view host, std::uint16_t port, bool has_port) const {
  for (const auto& name : config_.local_names)
    if (sip::charset::iequals(name, host)) return true;
  const auto address = ip_literal(host);
  if (!address) return false;
  const bool advertised = advertised_ == address;
  return std::any_of(config_.local.begin(), config_.local.end(), [&](const auto& l) {
    const auto default_port = l.proto == transport::protocol::tls ? 5061 : 5060;
    return (advertised || l.address == *address) && l.port == (has_port ? port : default_port);
  });
}

bool proxy_core::is_local_domain(std::string_view host) const {
  return std::any_of(config_.domains.begin(), config_.domains.end(),
                     [host](const std::string& d) { return sip::charset::iequals(d, host); });
}

token_route proxy_core::route_by_token(const sip::message& request,
                                       const transport::endpoint& source) const {
  token_route out;
  if (config_.tokens == nullptr) return out;
  // All of our topmost Route values, not only the first: after a double
  // Record-Route (RFC 5658) the token may be on the second.
  for (const auto& v : request.values(sip::header_id::route)) {
    const auto route = sip::parse_name_addr(v.text);
    if (!route ||
        !is_local_host(route->address.host_text(), route->address.port, route->address.has_port))
      break;
    if (route->address.user.empty()) continue;
    const auto token = config_.tokens->open(sip::unescape(route->address.user));
    if (!token) {
      out.forged = true;
      return out;
    }
    // RFC 5626 §5.3: the token of the flow the request arrived on says the
    // request comes from the UA; it must not be sent back down that flow.
    if (token->flow == source) {
      out.from_its_flow = true;
    } else if (!out.flow) {
      out.flow = token->flow;
      out.for_anyone = token->scope == flow_tokens::scope::anyone;
    }
  }
  return out;
}

bool proxy_core::may_follow_token(const token_route& route, const transport::endpoint& source) {
  if (route.from_its_flow || route.for_anyone || (config_.from_node && config_.from_node(source)))
    return true;
  ++counters_.untrusted_token_routes;
  return false;
}

const transport::endpoint* proxy_core::local_for(transport::protocol p) const {
  for (const auto& l : config_.local)
    if (l.proto == p) return &l;
  return config_.local.empty() ? nullptr : &config_.local.front();
}

void proxy_core::on_request(transaction_id server, const sip::message& request,
                            const transport::endpoint& source) {
  ++counters_.requests;
  // A CANCEL reaches the chain only when it matched no INVITE transaction
  // here: there is nothing to cancel (§9.2).
  if (request.method() == sip::method::cancel) {
    txn_.send_response(server, sip::make_response(request, 481, "Call/Transaction Does Not Exist",
                                                  hex(++branch_counter_)));
    return;
  }
  if (requests_.size() >= config_.max_requests) {
    ++counters_.overloaded;
    txn_.send_response(server, sip::make_response(request, 503, "Service Unavailable",
                                                  hex(++branch_counter_), retry_after_header()));
    return;
  }
  auto ctx = std::make_unique<request_context>();
  ctx->server = server;
  ctx->bytes.assign(request.raw());
  ctx->source = source;
  ctx->received_at = now_();
  if (!sip::parse(ctx->bytes, *ctx->request)) return;  // it parsed once; it parses again
  ctx->to_tag = hex(++branch_counter_ ^ 0x5eed5eedULL);
  auto& ref = *ctx;
  requests_[server] = std::move(ctx);
  // §16.2: an INVITE gets 100 Trying at once, so the caller stops retransmitting.
  if (ref.msg().method() == sip::method::invite) respond(ref, 100, "Trying");
  run_chain(ref);
}

bool proxy_core::originate(std::string request, std::string user, local_answer answered) {
  if (requests_.size() >= config_.max_requests) return false;
  sip::message parsed;
  const auto* local = local_for(transport::protocol::udp);
  if (local == nullptr || !sip::parse(request, parsed) || !parsed.is_request()) return false;
  const auto server = next_local_++;
  // The UA's Via: the branch is unique to the request, and tells the loop
  // check nothing (it is not this proxy's).
  sip::message_editor e(parsed);
  e.push_via(via_value(own_host(*local), local->port, local->proto,
                       std::string(magic_cookie) + "-ua-" + hex(server)));
  auto ctx = std::make_unique<request_context>();
  ctx->server = server;
  ctx->bytes = e.str();
  ctx->source = *local;
  ctx->received_at = now_();
  ctx->authenticated_user = std::move(user);
  if (!sip::parse(ctx->bytes, *ctx->request)) return false;
  ctx->to_tag = hex(++branch_counter_ ^ 0x5eed5eedULL);
  ++counters_.requests;
  local_answers_[server] = std::move(answered);
  auto& ref = *ctx;
  requests_[server] = std::move(ctx);
  run_chain(ref);
  return true;
}

void proxy_core::send_upstream(transaction_id server, std::string response) {
  const auto local = local_answers_.find(server);
  if (local == local_answers_.end()) return txn_.send_response(server, std::move(response));
  sip::message parsed;
  if (!sip::parse(response, parsed) || !parsed.is_response() || parsed.status().code < 200) return;
  // The UA's own Via comes off as the transaction layer would take it.
  sip::message_editor e(parsed);
  e.pop_via();
  const std::string bytes = e.str();
  auto answered = std::move(local->second);
  local_answers_.erase(local);
  if (sip::parse(bytes, parsed)) answered(parsed);
}

void proxy_core::run_chain(request_context& ctx) {
  const auto server = ctx.server;
  ctx.running = true;
  while (!ctx.final_sent && ctx.next_processor < chain_.size()) {
    auto& p = *chain_[ctx.next_processor++];
    const auto result = p.process(ctx, *this);
    if (result == processor_result::stop) break;
    if (result == processor_result::wait) {
      if (!ctx.resume_pending) {
        ctx.running = false;
        return;
      }
      ctx.resume_pending = false;
    }
  }
  ctx.running = false;
  if (!ctx.final_sent && ctx.next_processor >= chain_.size()) forward_to_targets(ctx);
  finish_if_done(server);
}

void proxy_core::resume(transaction_id server) {
  const auto it = requests_.find(server);
  if (it == requests_.end()) return;
  auto& ctx = *it->second;
  if (ctx.running) {
    ctx.resume_pending = true;
    return;
  }
  run_chain(ctx);
}

request_context* proxy_core::find(transaction_id server) {
  const auto it = requests_.find(server);
  return it == requests_.end() ? nullptr : it->second.get();
}

void proxy_core::respond(request_context& ctx, std::uint16_t code, std::string_view reason,
                         std::string_view extra_headers) {
  if (ctx.final_sent) return;
  auto response =
      sip::make_response(ctx.msg(), code, reason, code > 100 ? ctx.to_tag : "", extra_headers);
  if (code < 200) {
    send_upstream(ctx.server, std::move(response));
    return;
  }
  send_final(ctx, std::move(response), code);
}

void proxy_core::send_final(request_context& ctx, std::string response, std::uint16_t status) {
  send_upstream(ctx.server, std::move(response));
  ctx.final_sent = true;
  const auto& m = ctx.msg();
  if (m.method() == sip::method::invite && m.to().tag().empty()) {
    const auto now = now_();
    calls_.invite_answered(m, ctx.source, status, ctx.received_at, now);
    if (config_.call_answered)
      config_.call_answered(
          status, std::chrono::duration_cast<std::chrono::milliseconds>(now - ctx.received_at));
  } else if (m.method() == sip::method::bye) {
    calls_.bye_answered(m, now_());
  }
}

namespace {

// "Retry-After: N\r\n" as the response says it, or nothing.
std::string retry_after_of(const std::string& response) {
  sip::message parsed;
  if (response.empty() || !sip::parse(response, parsed)) return {};
  const auto value = parsed.values(sip::header_id::retry_after).front();
  if (!value) return {};
  const auto r = sip::parse_retry_after(*value);
  return r ? "Retry-After: " + std::to_string(r->seconds) + "\r\n" : std::string{};
}

}  // namespace

std::string proxy_core::retry_after_header() const {
  return "Retry-After: " + std::to_string(config_.retry_after.count()) + "\r\n";
}

void proxy_core::refuse_overloaded(request_context& ctx) {
  ++counters_.overloaded;
  respond(ctx, 503, "Service Unavailable", retry_after_header());
}

void proxy_core::respond_with(request_context& ctx, std::string final_response) {
  if (ctx.final_sent) return;
  sip::message parsed;
  const auto status = sip::parse(final_response, parsed) && parsed.is_response()
                          ? parsed.status().code
                          : std::uint16_t{500};
  send_final(ctx, std::move(final_response), status);
}

void proxy_core::forward_to_targets(request_context& ctx) {
  if (ctx.targets.empty()) return respond(ctx, 480, "Temporarily Unavailable");
  // Parallel forking (§16.6): every target at once, best q first.
  std::stable_sort(ctx.targets.begin(), ctx.targets.end(),
                   [](const target& a, const target& b) { return a.q > b.q; });
  bool refused = false;
  for (std::size_t i = 0; i < ctx.targets.size(); ++i)
    refused |= forward_branch(ctx, i, true) == branch_start::refused;
  if (!ctx.branches.empty()) return;
  // No branch: no target could be routed, or what we would send was
  // refused (a request at the size limits before our Via and Record-Route).
  if (refused) return respond(ctx, 513, "Message Too Large");
  respond(ctx, 480, "Temporarily Unavailable");
}

namespace {

// §16.4: the last Route value, when it is a field of its own.
const sip::header_field* last_route_field(const sip::message& m) {
  const sip::header_field* last = nullptr;
  for (const auto& h : m.headers())
    if (h.id == sip::header_id::route) last = &h;
  return last;
}

}  // namespace

// RFC 5626 §5.3: with `flow`, the user part is a token for it, so requests
// of the dialog that come back through this entry go on over that flow.
std::string proxy_core::own_host(const transport::endpoint& local) const {
  return config_.advertise.empty() ? host_text(local.address) : config_.advertise;
}

std::string proxy_core::record_route_value(const transport::endpoint& local,
                                           const std::optional<transport::endpoint>& flow,
                                           flow_tokens::scope scope) const {
  std::string value = "<sip:";
  if (flow) value += config_.tokens->encode(*flow, scope) + "@";
  value += own_host(local) + ":" + std::to_string(local.port);
  if (local.proto == transport::protocol::tcp) value += ";transport=tcp";
  if (local.proto == transport::protocol::tls) value += ";transport=tls";
  return value + ";lr>";
}

// A UDP entry carries no transport, so the public side may choose by NAPTR
// (RFC 3263 §4.1) among the proxy peers' transports.
std::string proxy_core::boundary_route_value(transport::protocol facing) const {
  std::string value = "<sip:" + config_.boundary_name;
  if (facing == transport::protocol::tcp) value += ";transport=tcp";
  if (facing == transport::protocol::tls) value += ";transport=tls";
  return value + ";lr>";
}

std::string proxy_core::route_over_flow(transport::protocol facing,
                                        const transport::endpoint& flow) const {
  const auto* local = local_for(facing);
  if (config_.tokens == nullptr || local == nullptr) return {};
  return record_route_value(*local, flow, flow_tokens::scope::anyone);
}

std::string proxy_core::own_route(transport::protocol facing) const {
  const auto* local = local_for(facing);
  if (config_.tokens == nullptr || local == nullptr) return {};
  return record_route_value(*local, std::nullopt);
}

std::optional<sip::uri> proxy_core::next_hop_uri(const request_context& ctx, const target& t,
                                                 bool use_flow) const {
  if (!t.route.empty()) {
    const auto first = sip::parse_name_addr(t.route.front());
    if (!first) return std::nullopt;
    return first->address;
  }
  if (auto remaining = first_foreign_route(ctx.msg(), *this)) return remaining;
  if (t.flow && use_flow) return std::nullopt;
  return sip::parse_uri(t.uri);
}

// A branch that is unique (a counter) and that carries a hash of the fields
// a looping request keeps (§16.6 step 8), so loop_detection can find it.
std::string proxy_core::make_branch_id(const sip::message& request) {
  return std::string(magic_cookie) + loop_hash(request) + "." + hex(++branch_counter_);
}

proxy_core::branch_start proxy_core::forward_branch(request_context& ctx, std::size_t target_index,
                                                    bool use_flow) {
  const auto& t = ctx.targets[target_index];
  const auto& request = ctx.msg();
  sip::message_editor e(request);
  // §16.6 steps 2-6.
  if (t.uri != request.request().uri_text) e.set_request_uri(t.uri);
  e.decrement_max_forwards();
  for (std::size_t i = 0; i < own_route_count(request, *this); ++i) e.pop_route();
  if (ctx.strict_route) {
    if (const auto* last = last_route_field(request)) e.remove_field(*last);
  }
  for (auto r = t.route.rbegin(); r != t.route.rend(); ++r) e.push_route(*r);

  // §16.6 step 7: the next hop is the first Route (ours already removed), or the target.
  std::optional<transport::endpoint> hop;
  bool over_flow = false;
  if (t.hop < t.hops.size()) {
    hop = t.hops[t.hop];
  } else if (const auto u = next_hop_uri(ctx, t, use_flow)) {
    hop = uri_endpoint(*u);
  } else if (t.flow && use_flow) {
    hop = t.flow;
    over_flow = true;
  }
  if (!hop) return branch_start::no_route;

  const auto* local = local_for(hop->proto);
  if (local == nullptr) return branch_start::no_route;
  // §16.6 step 4. RFC 5626 §5.3: as the edge proxy of the UA on either
  // side, the entry facing it carries a token for its flow. RFC 5658 when
  // the request changes transport, or when both sides are UAs of ours: the
  // inbound side's entry below the outbound side's, so each side routes back
  // to the interface (and flow) it knows.
  if (config_.record_route && creates_dialog(request.method()) && request.to().tag().empty()) {
    std::optional<transport::endpoint> inbound_flow;
    std::optional<transport::endpoint> outbound_flow;
    // Interwork §3.1: across the overlay's boundary, entries without a
    // token name the overlay, so no entry of the dialog names this node; a
    // UA on the public side is reached as conventional SIP reaches it, not
    // over a flow only this node holds.
    const bool boundary = ctx.crosses != crossing::none && !config_.boundary_name.empty();
    if (config_.tokens != nullptr) {
      if (from_ua(request) && ctx.crosses != crossing::into_overlay) inbound_flow = ctx.source;
      if (over_flow) outbound_flow = *hop;
    }
    const auto entry = [&](const transport::endpoint& side,
                           const std::optional<transport::endpoint>& flow) {
      return boundary && !flow ? boundary_route_value(side.proto) : record_route_value(side, flow);
    };
    const auto* inbound = local_for(ctx.source.proto);
    if (inbound != nullptr && (inbound->proto != local->proto || (inbound_flow && outbound_flow))) {
      e.add_record_route(entry(*inbound, inbound_flow));
      e.add_record_route(entry(*local, outbound_flow));
    } else {
      e.add_record_route(entry(*local, outbound_flow ? outbound_flow : inbound_flow));
    }
  }
  e.push_via(via_value(own_host(*local), local->port, hop->proto, make_branch_id(request)) +
             ";rport");

  branch b;
  b.request = e.str();
  b.next_hop = *hop;
  b.target_index = target_index;
  b.via_flow = over_flow;
  const auto client = txn_.send_request(b.request, *hop);
  if (client == 0) {
    ++counters_.refused_branches;
    return branch_start::refused;
  }
  b.client = client;
  branches_[client] = {ctx.server, ctx.branches.size()};
  ctx.branches.push_back(std::move(b));
  ++counters_.forwarded;
  if (t.hop + 1 < t.hops.size()) {
    set_timer(client, config_.failover_after);
  } else if (request.method() == sip::method::invite) {
    set_timer(client, config_.timer_c);
  }
  return branch_start::started;
}

void proxy_core::on_response(transaction_id client, const sip::message& response) {
  const auto ref = branches_.find(client);
  if (ref == branches_.end()) {
    if (const auto a = accepted_.find(client);
        a != accepted_.end() && response.status().code < 300 && response.status().code >= 200) {
      sip::message_editor e(response);
      e.pop_via();
      txn_.send_response(a->second, e.str());
      return;
    }
    ++counters_.stray_responses;
    return;
  }
  const auto it = requests_.find(ref->second.server);
  if (it == requests_.end()) return;
  auto& ctx = *it->second;
  auto& b = ctx.branches[ref->second.index];
  const auto code = response.status().code;

  // §16.7 step 3: our Via comes off before anything goes upstream.
  sip::message_editor e(response);
  e.pop_via();
  auto upstream = e.str();

  if (code < 200) {
    const bool first = b.status == 0;
    b.status = std::max(b.status, code);
    // §16.7 step 2: a provisional (other than 100) restarts Timer C. The
    // first response of any kind ends the wait for the next destination.
    if (!b.cancel_sent && (code > 100 || first)) {
      if (ctx.msg().method() == sip::method::invite) {
        set_timer(client, config_.timer_c);
      } else {
        clear_timer(client);
      }
    }
    if (b.cancel_when_provisional) send_cancel(b);
    // 100 is hop-by-hop; other provisionals go up at once (§16.7 step 5).
    if (code > 100 && !ctx.final_sent) send_upstream(ctx.server, std::move(upstream));
    return;
  }
  if (code < 300) {
    // Every 2xx goes upstream, retransmissions included (RFC 6026).
    clear_timer(client);
    b.status = code;
    b.done = true;
    ++counters_.responses_forwarded;
    if (ctx.final_sent) {
      send_upstream(ctx.server, std::move(upstream));
    } else {
      send_final(ctx, std::move(upstream), code);
    }
    if (ctx.msg().method() == sip::method::invite) cancel_pending_branches(ctx);
    finish_if_done(ctx.server);
    return;
  }
  // RFC 3263 §4.3: a 503 sends the request to the next destination, and
  // one with Retry-After keeps this one aside for that long.
  if (code == 503) {
    std::optional<std::chrono::seconds> retry_after;
    if (const auto v = response.values(sip::header_id::retry_after).front())
      if (const auto r = sip::parse_retry_after(*v)) retry_after = std::chrono::seconds(r->seconds);
    if (fail_over(ctx, ref->second.index, hop_failure::service_unavailable, retry_after)) return;
  }
  branch_finished(ctx, ref->second.index, code, std::move(upstream));
}

void proxy_core::branch_finished(request_context& ctx, std::size_t index, std::uint16_t status,
                                 std::string response) {
  auto& b = ctx.branches[index];
  if (b.done) return;
  clear_timer(b.client);
  b.done = true;
  b.status = status;
  b.final_response = std::move(response);
  // §16.7 step 9: a 6xx ends the search.
  if (status >= 600) cancel_pending_branches(ctx);
  maybe_send_best(ctx);
  finish_if_done(ctx.server);
}

void proxy_core::maybe_send_best(request_context& ctx) {
  if (ctx.final_sent) return;
  if (std::any_of(ctx.branches.begin(), ctx.branches.end(),
                  [](const branch& b) { return !b.done; }))
    return;
  const auto best = std::min_element(
      ctx.branches.begin(), ctx.branches.end(),
      [](const branch& a, const branch& b) { return preference(a.status) < preference(b.status); });
  const auto status = best->status;
  // §16.7 step 6: a 503 from downstream must not make the caller back off us.
  // Its Retry-After still tells the caller when this request may succeed
  // (a 500 may carry one, §21.5.1), so an overloaded node further on is not
  // sent the same request again at once.
  if (status == 503)
    return respond(ctx, 500, "Server Internal Error", retry_after_of(best->final_response));
  if (best->final_response.empty()) return respond(ctx, status, reason_for(status));
  ++counters_.responses_forwarded;
  if (status == 401 || status == 407) {
    // §16.7 step 7: the caller gets every challenge from every branch.
    const auto id =
        status == 401 ? sip::header_id::www_authenticate : sip::header_id::proxy_authenticate;
    std::vector<std::string> challenges;
    for (const auto& other : ctx.branches)
      if (&other != &*best && (other.status == 401 || other.status == 407))
        for (auto& v : header_values(other.final_response, id)) challenges.push_back(std::move(v));
    if (!challenges.empty()) {
      sip::message chosen;
      if (sip::parse(best->final_response, chosen)) {
        sip::message_editor merged(chosen);
        for (const auto& v : challenges) merged.add_header(id, v);
        send_final(ctx, merged.str(), status);
        return;
      }
    }
  }
  send_final(ctx, best->final_response, status);
}

void proxy_core::on_timeout(transaction_id client) {
  const auto ref = branches_.find(client);
  if (ref == branches_.end()) return;
  const auto it = requests_.find(ref->second.server);
  if (it == requests_.end()) return;
  if (fail_over(*it->second, ref->second.index, hop_failure::timeout)) return;
  branch_finished(*it->second, ref->second.index, 408, {});
}

void proxy_core::on_transport_error(transaction_id id) {
  if (const auto ref = branches_.find(id); ref != branches_.end()) {
    const auto [server, index] = ref->second;
    branches_.erase(ref);
    if (const auto it = requests_.find(server); it != requests_.end()) {
      auto& ctx = *it->second;
      if (retry_without_flow(ctx, index)) return;
      if (fail_over(ctx, index, hop_failure::transport_error)) return;
      // RFC 5626 §5.3: the flow a token named is gone.
      const auto& failed = ctx.branches[index];
      const bool flow_failed = failed.via_flow && ctx.targets[failed.target_index].by_token;
      branch_finished(ctx, index, flow_failed ? 430 : 503, {});
    }
    return;
  }
  // Our response could not be sent: nothing more to do for this request.
  if (const auto it = requests_.find(id); it != requests_.end()) {
    it->second->final_sent = true;
    for (auto& b : it->second->branches) b.done = b.done || b.status >= 200;
    finish_if_done(id);
  }
}

// A connection-oriented flow the phone registered on can be gone (it
// reconnected, or restarted): the branch is tried once more toward the
// registered Contact, over a connection of our own.
// When no new branch starts, the failed one is left for the caller to finish.
bool proxy_core::retry_without_flow(request_context& ctx, std::size_t branch_index) {
  const auto& failed = ctx.branches[branch_index];
  if (!failed.via_flow || !transport::is_reliable(failed.next_hop.proto) || ctx.cancelled ||
      ctx.targets[failed.target_index].by_token)
    return false;
  if (forward_branch(ctx, failed.target_index, false) != branch_start::started) return false;
  auto& replaced = ctx.branches[branch_index];
  replaced.done = true;
  replaced.status = 503;
  return true;
}

// RFC 3263 §4.3: the failed destination is reported, and the branch's
// target is tried at its next destination, when it has one and the request
// still wants answers. When no new branch starts, the failed one is left for
// the caller to finish.
bool proxy_core::fail_over(request_context& ctx, std::size_t branch_index, hop_failure why,
                           std::optional<std::chrono::seconds> retry_after) {
  const auto target_index = ctx.branches[branch_index].target_index;
  auto& t = ctx.targets[target_index];
  if (t.hop >= t.hops.size()) return false;
  if (config_.resolver != nullptr) config_.resolver->failed(t.hops[t.hop], why, retry_after);
  if (t.hop + 1 >= t.hops.size() || ctx.cancelled || ctx.final_sent) return false;
  ++t.hop;
  clear_timer(ctx.branches[branch_index].client);
  if (forward_branch(ctx, target_index, true) != branch_start::started) return false;
  ++counters_.failovers;
  auto& replaced = ctx.branches[branch_index];
  replaced.done = true;
  replaced.status = why == hop_failure::service_unavailable ? 503 : 408;
  return true;
}

void proxy_core::on_cancel(transaction_id cancel_server, transaction_id invite_server,
                           const sip::message& cancel) {
  // §16.10: the CANCEL itself is answered at once.
  txn_.send_response(cancel_server, sip::make_response(cancel, 200, "OK", hex(cancel_server)));
  const auto it = requests_.find(invite_server);
  if (it == requests_.end() || it->second->final_sent) return;
  auto& ctx = *it->second;
  ctx.cancelled = true;
  if (ctx.branches.empty()) {
    // Still in the request chain (a lookup in flight): nothing was forwarded.
    respond(ctx, 487, "Request Terminated");
    finish_if_done(invite_server);
    return;
  }
  cancel_pending_branches(ctx);
}

void proxy_core::cancel_pending_branches(request_context& ctx) {
  for (auto& b : ctx.branches) {
    if (b.done || b.cancel_when_provisional) continue;
    // §9.1: a CANCEL may only follow a provisional response.
    if (b.status >= 100) {
      send_cancel(b);
    } else {
      b.cancel_when_provisional = true;
    }
  }
}

// §9.1: the CANCEL copies the forwarded request's Request-URI, top Via,
// Call-ID, To, From, CSeq number and Route.
void proxy_core::send_cancel(branch& b) {
  b.cancel_when_provisional = false;
  if (b.cancel_sent) return;
  b.cancel_sent = true;
  // The CANCEL gets 64*T1 to bring a final response (§9.1).
  set_timer(b.client, config_.cancel_grace);
  sip::message forwarded;
  if (!sip::parse(b.request, forwarded)) return;
  std::string cancel = "CANCEL " + std::string(forwarded.request().uri_text) + " SIP/2.0\r\n";
  cancel += "Via: " + std::string(forwarded.top_via().text) + "\r\n";
  for (const auto& h : forwarded.headers()) {
    if (h.id == sip::header_id::route || h.id == sip::header_id::from ||
        h.id == sip::header_id::to || h.id == sip::header_id::call_id)
      cancel.append(sip::canonical_name(h.id)).append(": ").append(h.value).append("\r\n");
  }
  cancel += "Max-Forwards: 70\r\nCSeq: " + std::to_string(forwarded.cseq().number) +
            " CANCEL\r\nContent-Length: 0\r\n\r\n";
  txn_.send_request(std::move(cancel), b.next_hop);
}

void proxy_core::on_ack(const sip::message& ack, const transport::endpoint& source) {
  // §16.11 / §16.6 for the ACK of a 2xx: forwarded statelessly along its
  // route, over a UA's flow when a Route of ours names it (RFC 5626 §5.3).
  if (ack.max_forwards() == 0u) return;
  const auto by_token = route_by_token(ack, source);
  if (by_token.forged || (by_token.flow && !may_follow_token(by_token, source))) return;
  sip::message_editor e(ack);
  for (std::size_t i = 0; i < own_route_count(ack, *this); ++i) e.pop_route();
  e.decrement_max_forwards();
  std::optional<sip::uri> next;
  if (const auto route = first_foreign_route(ack, *this)) {
    next = route;
  } else if (by_token.flow) {
    return forward_ack(e.str(), {*by_token.flow});
  } else {
    next = ack.request().uri;
  }
  if (const auto hop = uri_endpoint(*next)) return forward_ack(e.str(), {*hop});
  if (config_.resolver == nullptr || !next->is_sip()) return;
  // The INVITE's next hop was resolved moments ago: usually from the cache.
  config_.resolver->resolve(
      std::string(next->text),
      [this, edited = e.str()](std::vector<transport::endpoint> hops, resolve_failure) {
        forward_ack(edited, hops);
      });
}

// Stateless forwarding needs a branch that is the same for a retransmission.
void proxy_core::forward_ack(std::string ack, const std::vector<transport::endpoint>& hops) {
  if (hops.empty()) return;
  const auto& hop = hops.front();
  const auto* local = local_for(hop.proto);
  sip::message m;
  if (local == nullptr || !sip::parse(ack, m)) return;
  sip::message_editor e(m);
  e.push_via(via_value(own_host(*local), local->port, hop.proto,
                       std::string(magic_cookie) + stateless_hash(m)));
  ++counters_.acks_forwarded;
  txn_.send_stateless(e.str(), hop);
}

void proxy_core::finish_if_done(transaction_id server) {
  const auto it = requests_.find(server);
  if (it == requests_.end()) return;
  auto& ctx = *it->second;
  if (!ctx.final_sent) return;
  if (std::any_of(ctx.branches.begin(), ctx.branches.end(),
                  [](const branch& b) { return !b.done; }))
    return;
  const bool invite = ctx.msg().method() == sip::method::invite;
  for (const auto& b : ctx.branches) {
    clear_timer(b.client);
    branches_.erase(b.client);
    if (invite && b.status >= 200 && b.status < 300) accepted_[b.client] = server;
  }
  requests_.erase(it);
}

void proxy_core::on_terminated(transaction_id id) {
  accepted_.erase(id);
}

}  // namespace p2psip::proxy
