#include "node/gateways.hpp"

#include <algorithm>

#include "proxy/core.hpp"
#include "sip/telephone_number.hpp"
#include "sip/uri.hpp"

namespace p2psip::node {

std::vector<gateway_peer> gateway_peers_of(const std::vector<overlay::service_record>& records,
                                           std::string_view self) {
  std::vector<gateway_peer> out;
  for (const auto& r : records) {
    if (r.node_id == self || r.uris.empty()) continue;
    const auto uri = sip::parse_uri(r.uris.front());
    const auto link = uri ? proxy::uri_endpoint(*uri) : std::nullopt;
    if (!link) continue;
    out.push_back({r.node_id, *link, r.numbers});
  }
  return out;
}

std::vector<transport::endpoint> gateways_for(const std::vector<gateway_peer>& peers,
                                              std::string_view number, std::mt19937& random) {
  std::vector<std::pair<std::size_t, transport::endpoint>> matching;
  for (const auto& p : peers) {
    std::optional<std::size_t> best;
    for (const auto& pattern : p.numbers)
      if (const auto m = sip::number_match(pattern, number); m && (!best || *m > *best)) best = m;
    if (best) matching.emplace_back(*best, p.link);
  }
  std::shuffle(matching.begin(), matching.end(), random);
  std::stable_sort(matching.begin(), matching.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<transport::endpoint> out;
  for (const auto& m : matching)
    if (std::find(out.begin(), out.end(), m.second) == out.end()) out.push_back(m.second);
  return out;
}

gateways::gateways(asio::io_context& io, overlay::record_store& records, overlay::signer signer,
                   std::string node_id, gateways_settings settings)
    : directory_(io, records, std::move(signer), std::move(node_id),
                 service_directory_settings{.overlay_id = settings.overlay_id,
                                            .service = "tel:" + settings.overlay_id,
                                            .density = settings.density,
                                            .refresh = settings.refresh,
                                            .cache_for = settings.cache_for,
                                            // Every gateway peer is under every key: one
                                            // read finds them, more only when puts failed.
                                            .want = 2}) {}

void gateways::offer(std::string link_uri, std::vector<std::string> patterns) {
  overlay::service_record r;
  r.uris = {std::move(link_uri)};
  r.numbers = std::move(patterns);
  directory_.offer(std::move(r));
}

void gateways::withdraw(std::function<void(std::error_code)> done) {
  directory_.withdraw(std::move(done));
}

void gateways::find(const std::string& number, found_handler done) {
  // A node that knows none asks again at once: a gateway peer that just
  // came up is found without waiting out the cache.
  directory_.read(
      [this, number, done = std::move(done)](const std::vector<overlay::service_record>& records) {
        // Taken apart once per read, not on every call.
        if (peers_read_at_ != directory_.read_at()) {
          peers_read_at_ = directory_.read_at();
          peers_ = gateway_peers_of(records, directory_.node_id());
        }
        done(gateways_for(peers_, number, random_));
      },
      /*retry_empty=*/true);
}

}  // namespace p2psip::node
