#include "proxy/processors.hpp"
#include "proxy/routing.hpp"

namespace p2psip::proxy {

processor_result interworking::process(request_context& ctx, proxy_core& core) {
  const auto& m = ctx.msg();
  // In-dialog requests follow their Route set; a strict route or a flow
  // token already chose the target.
  if (!ctx.targets.empty() || !m.to().tag().empty()) return processor_result::next;
  // A REGISTER for the overlay's own AORs is the registrar's.
  if (m.method() == sip::method::register_ && core.is_local_domain(m.request().uri.host))
    return processor_result::next;
  const bool from_overlay = core.from_node(ctx.source) || !ctx.authenticated_user.empty();
  const auto& uri = m.request().uri;
  const bool ours = addressed_to_us(uri, core);
  if (first_foreign_route(m, core)) {
    // A preloaded Route from the public network would make a proxy peer
    // carry anything anywhere: only toward the overlay's own users.
    if (proxy_peer_ && !from_overlay && !ours) {
      core.respond(ctx, 403, "Forbidden - Preloaded Route");
      return processor_result::stop;
    }
    return processor_result::next;
  }
  if (ours) {
    // §5.3: from the public network to a user of the overlay.
    if (proxy_peer_ && !from_overlay) ctx.crosses = crossing::into_overlay;
    return processor_result::next;
  }
  // §5.2: to a domain the overlay does not own.
  if (!from_overlay) {
    core.respond(ctx, 403, "Relaying Denied");
    return processor_result::stop;
  }
  if (!uri.is_sip()) {
    core.respond(ctx, 416, "Unsupported URI Scheme");
    return processor_result::stop;
  }
  target out{std::string(uri.text), {}, std::nullopt, 1000};
  if (proxy_peer_) {
    ctx.crosses = crossing::out_of_overlay;
  } else {
    out.route.push_back("<sip:" + overlay_ + ";lr>");
  }
  ctx.targets.push_back(std::move(out));
  return processor_result::next;
}

}  // namespace p2psip::proxy
