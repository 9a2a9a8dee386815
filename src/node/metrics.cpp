#include "node/metrics.hpp"

#include <string_view>

#include "ops/metrics_text.hpp"
#include "ops/process_stats.hpp"
#include "overlay/record_verifier.hpp"
#include "sip/error.hpp"

namespace p2psip::node {
namespace {

using kind = ops::metrics_text::kind;
using ops::metrics_text;

double num(std::uint64_t n) {
  return static_cast<double>(n);
}

std::string_view way_name(direction way) {
  return way == direction::received ? "received" : "sent";
}

void sip_messages(metrics_text& m, const sip_traffic& t) {
  for (auto way : {direction::received, direction::sent}) {
    m.family(std::string("p2psip_sip_requests_") + std::string(way_name(way)) + "_total",
             kind::counter, "SIP requests, by method (OTHER: a method not listed).");
    for (std::size_t i = 0; i <= sip_traffic::other_method; ++i)
      m.sample(num(t.requests(way, i)),
               {{"method", i < sip_traffic::methods.size() ? sip_traffic::methods[i] : "OTHER"}});
  }
  for (auto way : {direction::received, direction::sent}) {
    m.family(std::string("p2psip_sip_responses_") + std::string(way_name(way)) + "_total",
             kind::counter, "SIP responses, by status code and class.");
    for (int code = sip_traffic::lowest_code; code <= sip_traffic::highest_code; ++code) {
      const auto n = t.responses(way, code);
      if (n == 0) continue;
      const auto text = std::to_string(code);
      const std::string cls{text[0], 'x', 'x'};
      m.sample(num(n), {{"code", text}, {"class", cls}});
    }
  }
}

void sip_transport(metrics_text& m, const transport::counters& tr) {
  constexpr transport::protocol all[] = {transport::protocol::udp, transport::protocol::tcp,
                                         transport::protocol::tls};
  auto per_transport = [&](const char* name, const char* help, auto field) {
    m.family(name, kind::counter, help);
    for (auto p : all) m.sample(num(field(tr.of(p))), {{"transport", transport::via_token(p)}});
  };
  per_transport("p2psip_sip_bytes_received_total", "Bytes of SIP received, by transport.",
                [](const auto& x) { return x.bytes_received; });
  per_transport("p2psip_sip_bytes_sent_total", "Bytes of SIP sent, by transport.",
                [](const auto& x) { return x.bytes_sent; });
  per_transport("p2psip_sip_send_failures_total", "SIP messages that could not be sent.",
                [](const auto& x) { return x.send_failures; });

  m.family("p2psip_sip_malformed_total", kind::counter,
           "Messages refused by the parser or the stream framer, by reason.");
  for (std::size_t i = 0; i < tr.rejected.size(); ++i)
    if (tr.rejected[i] != 0)
      m.sample(num(tr.rejected[i]),
               {{"reason", sip::counter_name(static_cast<sip::parse_error>(i))}});
  m.family("p2psip_sip_connections_open", kind::gauge, "TCP and TLS connections open.");
  m.sample(num(tr.connections_open));
  m.family("p2psip_sip_connections_refused_total", kind::counter,
           "Connections refused at a bound, by which.");
  m.sample(num(tr.refused_connection_limit), {{"limit", "total"}});
  m.sample(num(tr.refused_source_limit), {{"limit", "per_source"}});
  m.family("p2psip_sip_tls_handshake_failures_total", kind::counter, "TLS handshakes that failed.");
  m.sample(num(tr.tls_handshake_failures));
}

// What the node refused to keep up: a source over its rate, a full
// request or transaction table, input arriving faster than it is read.
void refusals(metrics_text& m, const sip_server& s) {
  const auto tr = s.transport_stats();
  m.family("p2psip_sip_rate_limited_total", kind::counter,
           "Requests over their source's rate (answered 503 or dropped).");
  m.sample(num(tr.requests_over_rate));
  m.family("p2psip_sip_overload_refusals_total", kind::counter,
           "New requests answered 503 with Retry-After, by cause.");
  m.sample(num(s.proxy_stats().overloaded), {{"cause", "requests"}});
  m.sample(num(s.txn_stats().overloaded), {{"cause", "transactions"}});
  m.sample(num(s.txn_stats().shed), {{"cause", "input_behind"}});
  m.family("p2psip_sip_udp_behind_total", kind::counter,
           "Times a UDP socket's kernel queue passed the overload threshold.");
  m.sample(num(tr.udp_behind));
}

void transactions(metrics_text& m, const sip_server& s) {
  const auto& t = s.txn_stats();
  m.family("p2psip_transactions_active", kind::gauge, "SIP transactions not yet terminated.");
  m.sample(num(s.transactions()));
  m.family("p2psip_proxy_requests_active", kind::gauge,
           "Requests in the proxy core (waiting for a lookup or for answers).");
  m.sample(num(s.active_requests()));
  m.family("p2psip_transactions_ended_total", kind::counter,
           "Transactions that ended before their time, by outcome (no final answer from "
           "their peer; lingering ended early to make room for a new one).");
  m.sample(num(t.timeouts), {{"outcome", "timeout"}});
  m.sample(num(t.transport_errors), {{"outcome", "transport_error"}});
  m.sample(num(t.ended_early), {{"outcome", "ended_early"}});
  m.family("p2psip_transactions_retransmissions_total", kind::counter,
           "Requests and responses sent again (timers A, E, G; answers to retransmissions).");
  m.sample(num(t.retransmissions));
  const auto& p = s.proxy_stats();
  m.family("p2psip_proxy_forwarded_total", kind::counter, "Requests forwarded, by branch.");
  m.sample(num(p.forwarded));
  m.family("p2psip_proxy_loops_detected_total", kind::counter, "Requests refused as loops (482).");
  m.sample(num(p.loops_detected));
  m.family("p2psip_proxy_failovers_total", kind::counter,
           "Branches moved on to the next destination of their target (RFC 3263 4.3).");
  m.sample(num(p.failovers));
}

void calls(metrics_text& m, const call_counts& c) {
  m.family("p2psip_calls_answered_total", kind::counter,
           "Initial INVITEs whose final response here was a 2xx: calls set up.");
  m.sample(num(c.answered));
  m.family("p2psip_calls_failed_total", kind::counter,
           "Initial INVITEs whose final response here was 3xx-6xx, by status code.");
  for (const auto& [code, n] : c.failed) m.sample(num(n), {{"code", std::to_string(code)}});
  m.family("p2psip_call_setup_seconds", kind::histogram,
           "From an initial INVITE received to its final response sent.");
  m.histogram(c.setup.view());
}

void overlay(metrics_text& m, peer& p) {
  const auto st = p.dht().stats();
  m.family("p2psip_overlay_nodes", kind::gauge,
           "Nodes in the DHT routing table (good: answered lately; known: good and dubious).");
  m.sample(num(st.good_nodes), {{"state", "good"}});
  m.sample(num(st.known_nodes), {{"state", "known"}});
  m.family("p2psip_overlay_stored_values", kind::gauge, "Values this node stores for the overlay.");
  m.sample(num(st.stored_values));
  m.family("p2psip_overlay_lookups_served_total", kind::counter,
           "DHT get and listen requests this node answered for others.");
  m.sample(num(st.lookups_served));

  m.family("p2psip_overlay_records_refused_total", kind::counter,
           "Records refused by a check (storing or reading), by verdict.");
  for (auto v : {overlay::verdict::malformed, overlay::verdict::bad_content,
                 overlay::verdict::bad_signature, overlay::verdict::untrusted_signer,
                 overlay::verdict::wrong_name, overlay::verdict::expired})
    m.sample(num(p.verifier().refused(v)), {{"verdict", overlay::to_string(v)}});

  const auto& bindings = p.bindings();
  const auto& l = bindings.stats();
  std::size_t aors = 0;
  std::size_t contacts = 0;
  for (const auto& [aor, held] : bindings.held(proxy::wall_clock::now())) {
    ++aors;
    contacts += held.size();
  }
  m.family("p2psip_registrations_active", kind::gauge,
           "Unexpired bindings of the phones registered with this node.");
  m.sample(num(contacts));
  m.family("p2psip_registered_aors", kind::gauge, "AORs with a phone registered with this node.");
  m.sample(num(aors));
  m.family("p2psip_location_operations_total", kind::counter,
           "The location store's work in the overlay, by operation and outcome.");
  m.sample(num(l.lookups), {{"operation", "lookup"}, {"outcome", "asked"}});
  m.sample(num(l.cache_hits), {{"operation", "lookup"}, {"outcome", "cache_hit"}});
  m.sample(num(l.busy), {{"operation", "lookup"}, {"outcome", "busy"}});
  m.sample(num(l.published), {{"operation", "publish"}, {"outcome", "stored"}});
  m.sample(num(l.withdrawn), {{"operation", "withdraw"}, {"outcome", "stored"}});
  m.sample(num(l.store_failures), {{"operation", "publish"}, {"outcome", "failed"}});
  m.sample(num(l.unusable), {{"operation", "publish"}, {"outcome", "unusable"}});
  m.sample(num(l.republished), {{"operation", "republish"}, {"outcome", "stored"}});
  m.sample(num(l.republish_failures), {{"operation", "republish"}, {"outcome", "failed"}});
  m.sample(num(l.moved), {{"operation", "republish"}, {"outcome", "moved"}});
  m.family("p2psip_dht_lookup_seconds", kind::histogram,
           "Binding lookups in the DHT, from asked to answered.");
  m.histogram(l.lookup_seconds.view());
  m.family("p2psip_dht_store_seconds", kind::histogram,
           "Bindings put in the DHT (published or withdrawn), from put to confirmed.");
  m.histogram(l.store_seconds.view());

  m.family("p2psip_proxy_peers_known", kind::gauge, "Proxy peers the overlay lists.");
  m.sample(num(p.proxy_peers().known()));
  m.family("p2psip_relays_known", kind::gauge, "Relay agent peers last read from the overlay.");
  m.sample(num(p.relays().last_read().size()));
}

// RCODE names of RFC 1035, 2136 and 8945 (update_error's values).
std::string_view rcode_name(std::size_t rcode) {
  constexpr std::string_view names[] = {"NOERROR", "FORMERR",  "SERVFAIL", "NXDOMAIN", "NOTIMP",
                                        "REFUSED", "YXDOMAIN", "YXRRSET",  "NXRRSET",  "NOTAUTH",
                                        "NOTZONE", "RCODE11",  "RCODE12",  "RCODE13",  "RCODE14",
                                        "RCODE15", "BADSIG",   "BADKEY",   "BADTIME"};
  return rcode < std::size(names) ? names[rcode] : "OTHER";
}

void proxy_peer(metrics_text& m, const proxy_peer_role& role, peer& p) {
  m.family("p2psip_proxy_peer_offering", kind::gauge,
           "1 while this proxy peer is listed in the overlay's directory.");
  m.sample(p.proxy_peers().offering() ? 1 : 0);
  const auto* presence = role.presence();
  if (presence == nullptr) return;
  m.family("p2psip_proxy_peer_in_dns", kind::gauge,
           "1 while this proxy peer's records are in the DNS zone.");
  m.sample(role.in_dns() && presence->published() ? 1 : 0);
  const auto& c = presence->counters();
  m.family("p2psip_dns_updates_total", kind::counter,
           "RFC 2136 UPDATEs of this proxy peer's records, by outcome.");
  m.sample(num(c.succeeded), {{"outcome", "NOERROR"}});
  for (std::size_t rcode = 1; rcode < c.failed_by_rcode.size(); ++rcode)
    if (c.failed_by_rcode[rcode] != 0)
      m.sample(num(c.failed_by_rcode[rcode]), {{"outcome", rcode_name(rcode)}});
  m.sample(num(c.timeouts), {{"outcome", "timeout"}});
  m.sample(num(c.bad_responses), {{"outcome", "bad_response"}});
  m.sample(num(c.other_failures), {{"outcome", "other"}});
}

void relay(metrics_text& m, const relay_role& role) {
  const auto servers = role.servers();
  m.family("p2psip_relay_server_up", kind::gauge,
           "1 when the last check of a TURN server this node vouches for passed.");
  for (const auto& h : servers) m.sample(h.healthy ? 1 : 0, {{"server", h.uri}});
  m.family("p2psip_relay_server_checks_total", kind::counter,
           "Checks (Allocate and Refresh) of a TURN server, by outcome.");
  for (const auto& h : servers) {
    m.sample(num(h.checks - h.failures), {{"server", h.uri}, {"outcome", "passed"}});
    m.sample(num(h.failures), {{"server", h.uri}, {"outcome", "failed"}});
  }
  m.family("p2psip_relay_server_rtt_seconds", kind::gauge,
           "Round-trip time of a TURN server's last good check.");
  for (const auto& h : servers)
    m.sample(std::chrono::duration<double>(h.rtt).count(), {{"server", h.uri}});
}

void hep(metrics_text& m, const hep_mirror& h) {
  m.family("p2psip_hep_messages_total", kind::counter,
           "Copies of SIP messages sent to the HEP collector, by outcome.");
  m.sample(num(h.stats().sent), {{"outcome", "sent"}});
  m.sample(num(h.stats().failed), {{"outcome", "failed"}});
  m.sample(num(h.stats().too_big), {{"outcome", "too_big"}});
}

void api(metrics_text& m, const ops::http_counters& c) {
  m.family("p2psip_api_requests_total", kind::counter, "Requests to the HTTP API, by outcome.");
  m.sample(num(c.requests), {{"outcome", "served"}});
  m.sample(num(c.unauthorized), {{"outcome", "unauthorized"}});
  m.sample(num(c.rate_limited), {{"outcome", "rate_limited"}});
  m.sample(num(c.rejected), {{"outcome", "rejected"}});
}

void process(metrics_text& m) {
  const auto p = ops::read_process_stats();
  if (!p) return;
  m.family("process_cpu_seconds_total", kind::counter, "User and system CPU time spent.");
  m.sample(p->cpu_seconds);
  m.family("process_resident_memory_bytes", kind::gauge, "Resident memory size.");
  m.sample(p->resident_bytes);
  m.family("process_virtual_memory_bytes", kind::gauge, "Virtual memory size.");
  m.sample(p->virtual_bytes);
  m.family("process_open_fds", kind::gauge, "Open file descriptors.");
  m.sample(p->open_fds);
  m.family("process_max_fds", kind::gauge, "The limit on open file descriptors.");
  m.sample(p->max_fds);
  m.family("process_start_time_seconds", kind::gauge,
           "Start time of the process since the Unix epoch.");
  m.sample(p->start_time_seconds);
}

}  // namespace

std::string metrics_of(const api_sources& s, const ops::http_counters& http) {
  metrics_text m;
  m.family("p2psip_node_info", kind::gauge, "The node's overlay and node id; always 1.");
  const std::string node_id = s.overlay != nullptr ? s.overlay->dht().node_id() : std::string();
  m.sample(1, {{"overlay", s.config.overlay}, {"node_id", node_id}});
  sip_messages(m, s.server.traffic());
  sip_transport(m, s.server.transport_stats());
  refusals(m, s.server);
  transactions(m, s.server);
  calls(m, s.server.calls());
  if (s.overlay != nullptr) overlay(m, *s.overlay);
  if (s.proxy_peer != nullptr && s.overlay != nullptr) proxy_peer(m, *s.proxy_peer, *s.overlay);
  if (s.relay != nullptr) relay(m, *s.relay);
  if (s.hep != nullptr) hep(m, *s.hep);
  api(m, http);
  process(m);
  return m.take();
}

}  // namespace p2psip::node
