#include "proxy/next_hop.hpp"

#include <algorithm>

#include "proxy/core.hpp"

namespace p2psip::proxy {

processor_result next_hop_resolution::process(request_context& ctx, proxy_core& core) {
  std::vector<std::pair<std::size_t, std::string>> names;
  for (std::size_t i = 0; i < ctx.targets.size(); ++i) {
    // Destinations already chosen: the gateway peers of a number
    // (number_routing.hpp).
    if (!ctx.targets[i].hops.empty()) continue;
    const auto next = core.next_hop_uri(ctx, ctx.targets[i], true);
    if (!next || !next->is_sip() || uri_endpoint(*next)) continue;
    names.emplace_back(i, std::string(next->text));
  }
  if (names.empty()) return processor_result::next;
  // Counted before the first call: a cached answer completes inside it.
  ctx.resolving = names.size();
  const auto server = ctx.server;
  for (const auto& named : names) {
    const auto index = named.first;
    resolver_.resolve(
        named.second,
        [this, server, index, &core](std::vector<transport::endpoint> hops, resolve_failure why) {
          resolved(server, index, std::move(hops), why, core);
        });
  }
  return processor_result::wait;
}

void next_hop_resolution::resolved(transaction_id server, std::size_t target_index,
                                   std::vector<transport::endpoint> hops, resolve_failure why,
                                   proxy_core& core) {
  auto* ctx = core.find(server);
  if (ctx == nullptr || ctx->final_sent) return;
  auto& t = ctx->targets[target_index];
  t.hops = std::move(hops);
  t.hop = 0;
  if (t.hops.empty()) {
    t.unresolvable = true;
    ctx->unresolved =
        std::max(ctx->unresolved, why == resolve_failure::none ? resolve_failure::not_found : why);
  }
  if (--ctx->resolving > 0) return;
  std::erase_if(ctx->targets, [](const target& x) { return x.unresolvable; });
  if (ctx->targets.empty()) {
    switch (ctx->unresolved) {
      case resolve_failure::busy:
        core.refuse_overloaded(*ctx);
        break;
      case resolve_failure::timed_out:
        core.respond(*ctx, 504, "Server Time-out");
        break;
      case resolve_failure::none:
      case resolve_failure::not_found:
        core.respond(*ctx, 404, "Not Found - No Such Destination");
        break;
    }
  }
  core.resume(server);
}

}  // namespace p2psip::proxy
