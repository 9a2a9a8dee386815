#include "proxy/number_routing.hpp"

#include "proxy/core.hpp"
#include "proxy/processors.hpp"
#include "proxy/routing.hpp"
#include "sip/charset.hpp"
#include "sip/telephone_number.hpp"

namespace p2psip::proxy {

bool dials_number(const sip::message& m, const proxy_core& core) {
  const auto& u = m.request().uri;
  if (!sip::names_telephone_number(u)) return false;
  return u.scheme == sip::uri_scheme::tel || addressed_to_us(u, core);
}

std::string trunk_request_uri(std::string_view trunk_uri, std::string_view number) {
  const auto u = sip::parse_uri(trunk_uri);
  if (!u || !u->is_sip() || !u->user.empty() || u->has_password || !u->headers.empty()) return {};
  // "+" is unreserved in a SIP user part (RFC 3261 §25.1): no escaping needed.
  std::string out(u->scheme_text);
  out += ":";
  out += number;
  out += "@";
  out += u->host_text();
  if (u->has_port) out += ":" + std::to_string(u->port);
  for (const auto& p : u->params) {
    if (sip::charset::iequals(p.name, "user")) continue;
    out += ";";
    out += p.name;
    if (p.has_value) {
      out += "=";
      out += p.value;
    }
  }
  return out + ";user=phone";
}

bool serves(const trunk& t, std::string_view number) {
  for (const auto& pattern : t.numbers)
    if (sip::number_match(pattern, number)) return true;
  return false;
}

processor_result number_routing::process(request_context& ctx, proxy_core& core) {
  const auto& m = ctx.msg();
  // In-dialog requests follow their Route set; a Route still to follow
  // (or a flow token) already chose the next hop.
  if (!ctx.targets.empty() || !m.to().tag().empty() || m.method() == sip::method::register_ ||
      first_foreign_route(m, core) || !dials_number(m, core))
    return processor_result::next;
  const auto number = sip::telephone_number(m.request().uri);
  if (!number) {
    core.respond(ctx, 404, "Not Found - Not A Telephone Number");
    return processor_result::stop;
  }
  const bool from_node = core.from_node(ctx.source);
  if (!from_node && ctx.authenticated_user.empty()) {
    core.respond(ctx, 403, "Forbidden - Numbers Are For Users Of The Overlay");
    return processor_result::stop;
  }
  if (own_ && serves(*own_, *number)) {
    ctx.targets.push_back({trunk_request_uri(own_->uri, *number), {}, std::nullopt, 1000});
    return processor_result::next;
  }
  if (from_node || gateways_ == nullptr) {
    core.respond(ctx, 404, "Not Found - No Gateway For This Number");
    return processor_result::stop;
  }
  const auto server = ctx.server;
  gateways_->find(*number, [this, server, &core](std::vector<transport::endpoint> gateways) {
    found(server, std::move(gateways), core);
  });
  return processor_result::wait;
}

void number_routing::found(transaction_id server, std::vector<transport::endpoint> gateways,
                           proxy_core& core) {
  auto* ctx = core.find(server);
  if (ctx == nullptr || ctx->final_sent) return;
  if (gateways.empty()) {
    core.respond(*ctx, 404, "Not Found - No Gateway For This Number");
  } else {
    target t{std::string(ctx->msg().request().uri_text), {}, std::nullopt, 1000};
    t.hops = std::move(gateways);
    ctx->targets.push_back(std::move(t));
  }
  core.resume(server);
}

}  // namespace p2psip::proxy
