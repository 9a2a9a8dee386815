#include "node/api.hpp"

#include <charconv>

#include "node/dashboard.hpp"
#include "node/enrolled_users.hpp"
#include "node/metrics.hpp"
#include "overlay/key.hpp"
#include "overlay/record_store.hpp"
#include "transport/endpoint.hpp"

namespace p2psip::node {
namespace {

using nlohmann::json;

json roles_of(const node_config& c) {
  json out = json::array();
  for (auto r : c.roles) out.push_back(std::string(role_name(r)));
  return out;
}

json counters_of(const sip_server& s) {
  const auto& p = s.proxy_stats();
  const auto& t = s.txn_stats();
  const auto tr = s.transport_stats();
  std::uint64_t rejected = 0;
  for (auto n : tr.rejected) rejected += n;
  json traffic = json::object();
  for (auto proto :
       {transport::protocol::udp, transport::protocol::tcp, transport::protocol::tls}) {
    const auto& x = tr.of(proto);
    traffic[std::string(transport::via_token(proto))] = {{"messages_received", x.messages_received},
                                                         {"messages_sent", x.messages_sent},
                                                         {"send_failures", x.send_failures}};
  }
  return {{"proxy",
           {{"requests", p.requests},
            {"forwarded", p.forwarded},
            {"responses_forwarded", p.responses_forwarded},
            {"loops_detected", p.loops_detected},
            {"overloaded", p.overloaded},
            {"refused_branches", p.refused_branches},
            {"untrusted_token_routes", p.untrusted_token_routes},
            {"failovers", p.failovers}}},
          {"transactions",
           {{"timeouts", t.timeouts},
            {"transport_errors", t.transport_errors},
            {"retransmissions", t.retransmissions},
            {"malformed", t.malformed},
            {"overloaded", t.overloaded},
            {"ended_early", t.ended_early},
            {"shed", t.shed}}},
          {"transport",
           {{"traffic", traffic},
            {"rejected_malformed", rejected},
            {"replies_400", tr.replies_400},
            {"replies_503_rate", tr.replies_503},
            {"stun_keepalives_answered", tr.stun_keepalives_answered},
            {"udp_receive_buffer_bytes", tr.udp_receive_buffer_bytes},
            {"udp_behind", tr.udp_behind}}}};
}

// What a proxy peer tells its operator: whether it is in the overlay's
// directory and in DNS, why an update was refused, and the steward's work.
json proxy_peer_of(const proxy_peer_role& role, peer& overlay) {
  const auto& directory = overlay.proxy_peers();
  json out = {{"offering", directory.offering()},
              {"offers", directory.stats().offers},
              {"offer_failures", directory.stats().offer_failures}};
  const auto* presence = role.presence();
  if (presence == nullptr) return out;
  const auto& c = presence->counters();
  json refused = json::object();
  for (std::size_t rcode = 1; rcode < c.failed_by_rcode.size(); ++rcode)
    if (c.failed_by_rcode[rcode] != 0)
      refused[make_error_code(static_cast<dns::update_error>(rcode)).message()] =
          c.failed_by_rcode[rcode];
  const auto error = presence->last_error();
  out["dns"] = {{"zone", presence->settings().zone},
                {"name", presence->settings().self.name},
                {"key", role.dns_client()->key().name},
                {"in_zone", role.in_dns() && presence->published()},
                {"last_error", error ? error.message() : std::string()},
                {"retry_in_ms", presence->retry_delay().count()},
                {"updates_sent", c.sent},
                {"updates_succeeded", c.succeeded},
                {"refused", refused},
                {"timeouts", c.timeouts},
                {"bad_responses", c.bad_responses}};
  if (const auto* st = role.steward()) {
    const auto& v = st->status();
    out["steward"] = {{"steward", v.steward},
                      {"watched", v.watched},
                      {"failing", v.failing},
                      {"removed", v.removed},
                      {"removal_failures", v.removal_failures},
                      {"zone_read_failures", v.zone_read_failures},
                      {"last_removal", v.last_removal ? v.last_removal->name : std::string()}};
  }
  return out;
}

json health_of(const relay_role& role) {
  json servers = json::array();
  const auto now = std::chrono::steady_clock::now();
  for (const auto& h : role.servers())
    servers.push_back(
        {{"uri", h.uri},
         {"healthy", h.healthy},
         {"checks", h.checks},
         {"failures", h.failures},
         {"last_failure", h.last_failure},
         {"rtt_ms", h.rtt.count()},
         {"relayed", h.relayed},
         {"checked_s_ago",
          h.checks == 0
              ? -1
              : std::chrono::duration_cast<std::chrono::seconds>(now - h.last_check).count()}});
  return servers;
}

json relay_record_of(const overlay::service_record& r, std::int64_t now) {
  return {{"node_id", r.node_id},
          {"uris", r.uris},
          {"realm", r.realm},
          {"auth_scheme", r.auth_scheme},
          {"expires_in", std::max<std::int64_t>(0, r.expires_at - now)}};
}

json status_of(const api_sources& s) {
  json endpoints = json::array();
  for (const auto& e : s.server.local_endpoints()) endpoints.push_back(transport::to_string(e));
  const auto uptime = std::chrono::duration_cast<std::chrono::seconds>(
      std::chrono::steady_clock::now() - s.started);
  json out = {{"overlay_id", s.config.overlay},
              {"roles", roles_of(s.config)},
              {"uptime_s", uptime.count()},
              {"sip", endpoints},
              {"counters", counters_of(s.server)}};
  if (s.overlay != nullptr) {
    const auto& d = s.overlay->dht();
    const auto st = d.stats();
    const auto dht_at = d.local_endpoint();
    const auto& l = s.overlay->bindings().stats();
    out["overlay"] = {{"node_id", d.node_id()},
                      {"dht", dht_at.address().to_string() + ":" + std::to_string(dht_at.port())},
                      {"good_nodes", st.good_nodes},
                      {"known_nodes", st.known_nodes},
                      {"stored_values", st.stored_values},
                      {"lookups_served", st.lookups_served}};
    out["counters"]["location"] = {{"lookups", l.lookups},
                                   {"cache_hits", l.cache_hits},
                                   {"published", l.published},
                                   {"withdrawn", l.withdrawn},
                                   {"store_failures", l.store_failures},
                                   {"republished", l.republished},
                                   {"republish_failures", l.republish_failures},
                                   {"moved", l.moved},
                                   {"busy", l.busy},
                                   {"unusable", l.unusable},
                                   {"cached", s.overlay->bindings().cached_aors()}};
  }
  if (s.overlay != nullptr) {
    const auto& pp = s.overlay->proxy_peers().stats();
    out["proxy_peers"] = {{"known", s.overlay->proxy_peers().known()},
                          {"lookups", pp.lookups},
                          {"lookup_failures", pp.lookup_failures}};
  }
  if (s.proxy_peer != nullptr) out["proxy_peer"] = proxy_peer_of(*s.proxy_peer, *s.overlay);
  if (s.overlay != nullptr) {
    const auto& r = s.overlay->relays();
    out["relays"] = {{"known", r.last_read().size()},
                     {"lookups", r.stats().lookups},
                     {"lookup_failures", r.stats().lookup_failures}};
    if (s.users != nullptr) {
      const auto& u = s.users->counters();
      out["counters"]["enrolled_users"] = {{"reads", u.reads},
                                           {"found", u.found},
                                           {"unknown", u.unknown},
                                           {"unreadable", u.unreadable},
                                           {"read_errors", u.read_errors},
                                           {"held", u.held},
                                           {"cached", s.users->cached()}};
    }
    if (s.public_aors != nullptr) {
      const auto& c = s.public_aors->counters();
      auto list = nlohmann::json::array();
      for (const auto& v : s.public_aors->list())
        list.push_back({{"user", v.user},
                        {"public_aor", v.public_aor},
                        {"state", v.state},
                        {"last_status", v.last_status},
                        {"last_error", v.last_error},
                        {"expires_in", v.expires_in}});
      out["public_registrations"] = {
          {"registrations", std::move(list)}, {"sent", c.sent},
          {"registered", c.registered},       {"unregistered", c.unregistered},
          {"challenged", c.challenged},       {"failed", c.failed}};
    }
    if (s.get_relay != nullptr)
      out["relays"]["get_relay"] = {{"answered", s.get_relay->answered},
                                    {"unauthorized", s.get_relay->unauthorized},
                                    {"forbidden", s.get_relay->forbidden},
                                    {"no_relay", s.get_relay->no_relay}};
  }
  if (s.relay != nullptr)
    out["relay"] = {{"offering", s.overlay->relays().offering()},
                    {"offers", s.overlay->relays().stats().offers},
                    {"offer_failures", s.overlay->relays().stats().offer_failures},
                    {"withdrawals", s.relay->stats().withdrawals},
                    {"servers", health_of(*s.relay)}};
  return out;
}

json ladder_of(const sip_ladder& ladder, std::uint64_t after) {
  json messages = json::array();
  for (const auto& e : ladder.since(after))
    messages.push_back(
        {{"seq", e.seq},
         {"at_ms",
          std::chrono::duration_cast<std::chrono::milliseconds>(e.at.time_since_epoch()).count()},
         {"way", e.way == direction::received ? "in" : "out"},
         {"local", transport::to_string(e.local)},
         {"remote", transport::to_string(e.remote)},
         {"call_id", e.call_id},
         {"message", e.message},
         {"cut", e.cut}});
  return {{"last", ladder.last_seq()}, {"messages", std::move(messages)}};
}

std::int64_t seconds_left(proxy::wall_clock::time_point expires,
                          proxy::wall_clock::time_point now) {
  return std::max<std::int64_t>(
      0, std::chrono::duration_cast<std::chrono::seconds>(expires - now).count());
}

ops::http_response not_a_peer() {
  return {404, {{"error", "this node is not a peer of an overlay"}}};
}

ops::http_response no_enrolled_users() {
  return {404, {{"error", "this node holds no users key: it knows no enrolled users"}}};
}

std::optional<std::vector<std::uint8_t>> from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::vector<std::uint8_t> out;
  out.reserve(hex.size() / 2);
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int hi = digit(hex[i]);
    const int lo = digit(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<std::uint8_t>(hi * 16 + lo));
  }
  return out;
}

std::optional<std::string> user_of(const ops::http_request& request) {
  const auto user = request.query.find("user");
  if (user == request.query.end() || user->second.empty()) return std::nullopt;
  return user->second;
}

// POST /users: anyone who reaches the API may hand in a record, and nothing
// else is needed: only the CA can make one that passes the check.
void install_users(ops::http_server& http, enrolled_users* users) {
  http.limit_rate("/users", 20, 40);
  http.post_route("/users", [users](const ops::http_request& request, ops::reply_fn reply) {
    if (users == nullptr) return reply(no_enrolled_users());
    const auto user = user_of(request);
    const auto record = request.query.find("record");
    const auto value = record == request.query.end() ? std::nullopt : from_hex(record->second);
    if (!user || !value)
      return reply({400, {{"error", "give user=NAME&record=HEX, as p2psip user add does"}}});
    users->accept(*user, std::move(*value), [reply, name = *user](std::error_code ec) {
      if (ec == std::errc::invalid_argument)
        return reply(
            {400,
             {{"error", "not a valid user record for " + name + " signed by this overlay's CA"}}});
      if (ec == std::errc::file_exists)
        return reply({409, {{"error", "this node holds a newer record for " + name}}});
      if (ec) return reply({503, {{"error", "kept, but not yet in the overlay: " + ec.message()}}});
      reply({200, {{"user", name}, {"stored", true}}});
    });
  });
  http.route("/users", [users](const ops::http_request& request, ops::reply_fn reply) {
    if (users == nullptr) return reply(no_enrolled_users());
    const auto user = user_of(request);
    if (!user) return reply({400, {{"error", "give the user: /users?user=NAME"}}});
    users->fetch(*user, [users, reply, name = *user] {
      const bool enrolled = users->ha1(name, auth::algorithm::md5, users->overlay_id()).has_value();
      reply({200, {{"user", name}, {"enrolled", enrolled}}});
    });
  });
}

}  // namespace

void install_api(ops::http_server& http, api_sources sources) {
  http.require_token(sources.config.api_token);
  http.limit_rate("/lookup", sources.config.api_lookup_rate, sources.config.api_lookup_burst);
  http.route("/status", [sources, &http](const ops::http_request&, ops::reply_fn reply) {
    auto status = status_of(sources);
    const auto& c = http.counters();
    status["counters"]["api"] = {{"requests", c.requests},
                                 {"unauthorized", c.unauthorized},
                                 {"rate_limited", c.rate_limited}};
    reply({200, std::move(status)});
  });

  http.route("/metrics", [sources, &http](const ops::http_request&, ops::reply_fn reply) {
    reply(ops::http_response::text(200, std::string(ops::metrics_content_type),
                                   metrics_of(sources, http.counters())));
  });

  http.route("/bindings", [sources](const ops::http_request&, ops::reply_fn reply) {
    if (sources.overlay == nullptr) return reply(not_a_peer());
    const auto now = proxy::wall_clock::now();
    json list = json::array();
    for (const auto& [aor, bindings] : sources.overlay->bindings().held(now))
      for (const auto& b : bindings)
        list.push_back({{"aor", aor},
                        {"contact", b.contact},
                        {"flow", transport::to_string(b.flow)},
                        {"path", b.path},
                        {"expires_in", seconds_left(b.expires, now)},
                        {"q", b.q / 1000.0}});
    reply({200, {{"bindings", list}}});
  });

  http.route("/lookup", [sources](const ops::http_request& request, ops::reply_fn reply) {
    if (sources.overlay == nullptr) return reply(not_a_peer());
    const auto aor = request.query.find("aor");
    if (aor == request.query.end() || aor->second.empty())
      return reply({400, {{"error", "give the AOR: /lookup?aor=sip:user@domain"}}});
    sources.overlay->records().lookup_bindings(
        aor->second,
        [reply, name = aor->second](std::vector<overlay::checked<overlay::binding_record>> found,
                                    std::error_code ec) {
          if (ec) return reply({503, {{"error", "lookup failed: " + ec.message()}}});
          const auto now = proxy::wall_clock::now();
          json list = json::array();
          for (const auto& r : overlay::valid_records(found))
            list.push_back({{"contact", r.contact},
                            {"path", r.path},
                            {"expires_in",
                             std::max<std::int64_t>(
                                 0, r.expires_at - std::chrono::duration_cast<std::chrono::seconds>(
                                                       now.time_since_epoch())
                                                       .count())},
                            {"q", r.q / 1000.0}});
          reply({200, {{"aor", name}, {"bindings", list}}});
        });
  });

  http.route("/relays", [sources](const ops::http_request&, ops::reply_fn reply) {
    if (sources.overlay == nullptr) return reply(not_a_peer());
    sources.overlay->relays().read(
        [sources, reply](const std::vector<overlay::service_record>& offers) {
          const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                               proxy::wall_clock::now().time_since_epoch())
                               .count();
          json list = json::array();
          for (const auto& r : offers) list.push_back(relay_record_of(r, now));
          json out = {{"relays", list}};
          if (sources.relay != nullptr) out["checks"] = health_of(*sources.relay);
          reply({200, std::move(out)});
        });
  });

  install_users(http, sources.users);

  http.route("/key", [sources](const ops::http_request& request, ops::reply_fn reply) {
    const auto aor = request.query.find("aor");
    if (aor == request.query.end() || aor->second.empty())
      return reply({400, {{"error", "give the AOR: /key?aor=sip:user@domain"}}});
    reply({200,
           {{"aor", aor->second},
            {"key", overlay::binding_key(sources.config.overlay, aor->second).hex()}}});
  });

  http.route("/ladder", [sources](const ops::http_request& request, ops::reply_fn reply) {
    if (sources.ladder == nullptr) return reply({404, {{"error", "no ladder kept"}}});
    std::uint64_t after = 0;
    if (const auto since = request.query.find("since"); since != request.query.end()) {
      const auto& text = since->second;
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), after);
      if (ec != std::errc() || end != text.data() + text.size())
        return reply({400, {{"error", "since= takes a message number"}}});
    }
    reply({200, ladder_of(*sources.ladder, after)});
  });

  install_dashboard(http);

  http.route("/nodes", [sources](const ops::http_request&, ops::reply_fn reply) {
    if (sources.overlay == nullptr) return reply(not_a_peer());
    json list = json::array();
    for (const auto& n : sources.overlay->dht().routing_table())
      list.push_back(
          {{"id", n.id},
           {"address", n.address.address().to_string() + ":" + std::to_string(n.address.port())}});
    reply({200, {{"nodes", list}}});
  });
}

}  // namespace p2psip::node
