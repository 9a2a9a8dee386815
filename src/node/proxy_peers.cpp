#include "node/proxy_peers.hpp"

#include <algorithm>
#include <map>

#include "proxy/core.hpp"
#include "sip/uri.hpp"

namespace p2psip::node {
namespace {

std::optional<transport::endpoint> endpoint_of(const std::string& uri) {
  const auto parsed = sip::parse_uri(uri);
  if (!parsed) return std::nullopt;
  return proxy::uri_endpoint(*parsed);
}

}  // namespace

proxy_peers::proxy_peers(asio::io_context& io, overlay::record_store& records,
                         overlay::signer signer, std::string node_id, proxy_peers_settings settings)
    : directory_(io, records, std::move(signer), std::move(node_id),
                 service_directory_settings{.overlay_id = settings.overlay_id,
                                            .service = "sip:" + settings.overlay_id,
                                            .density = settings.density,
                                            .refresh = settings.refresh,
                                            .cache_for = settings.cache_for}) {}

void proxy_peers::offer(std::string uri) {
  overlay::service_record r;
  r.uris = {std::move(uri)};
  directory_.offer(std::move(r));
}

void proxy_peers::withdraw(std::function<void(std::error_code)> done) {
  directory_.withdraw(std::move(done));
}

void proxy_peers::remember(const std::vector<overlay::service_record>& records) {
  // Served from the cache, the records are those already taken apart: a
  // request leaving the overlay does not parse the proxy peers' URIs again.
  if (remembered_at_ == directory_.read_at()) return;
  remembered_at_ = directory_.read_at();
  others_.clear();
  members_.clear();
  links_.clear();
  for (const auto& r : records) {
    members_.push_back(r.node_id);
    const auto e = endpoint_of(r.uris.front());
    if (!e) continue;
    links_[r.node_id] = *e;
    if (r.node_id == node_id()) continue;
    if (std::find(others_.begin(), others_.end(), *e) == others_.end()) others_.push_back(*e);
  }
}

void proxy_peers::find(found_handler done) {
  // A node with none to send to asks again at once: proxy peers that just
  // came up are found without waiting out the cache.
  directory_.read(
      [this, done = std::move(done)](const std::vector<overlay::service_record>& records) {
        remember(records);
        auto out = others_;
        std::shuffle(out.begin(), out.end(), random_);
        done(std::move(out));
      },
      /*retry_empty=*/true);
}

void proxy_peers::members(members_handler done) {
  directory_.read(
      [this, done = std::move(done)](const std::vector<overlay::service_record>& records) {
        remember(records);
        done(members_);
      });
}

std::optional<transport::endpoint> proxy_peers::link_of(const std::string& node_id) const {
  const auto it = links_.find(node_id);
  if (it == links_.end()) return std::nullopt;
  return it->second;
}

}  // namespace p2psip::node
