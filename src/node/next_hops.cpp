#include "node/next_hops.hpp"

#include "dns/error.hpp"
#include "sip/charset.hpp"
#include "sip/uri.hpp"

namespace p2psip::node {
namespace {

// DNS's reasons, as the caller is told them (proxy::resolve_failure).
proxy::resolve_failure failure_of(std::error_code ec) {
  // Every destination asked to be left alone for a while (503 Retry-After).
  if (ec == dns::error::all_blocklisted) return proxy::resolve_failure::busy;
  if (ec == dns::error::not_found || ec == dns::error::no_data || ec == dns::error::bad_uri ||
      ec == dns::error::bad_name || ec == dns::error::unsupported_transport)
    return proxy::resolve_failure::not_found;
  return proxy::resolve_failure::timed_out;
}

dns::failure dns_failure(proxy::hop_failure why) {
  switch (why) {
    case proxy::hop_failure::timeout:
      return dns::failure::timeout;
    case proxy::hop_failure::transport_error:
      return dns::failure::transport_error;
    case proxy::hop_failure::service_unavailable:
      return dns::failure::service_unavailable;
  }
  return dns::failure::timeout;
}

}  // namespace

next_hops::next_hops(std::string overlay_id, proxy_peers* peers, dns::locator* dns)
    : overlay_id_(std::move(overlay_id)), peers_(peers), dns_(dns) {}

bool next_hops::names_overlay(const std::string& uri) const {
  const auto u = sip::parse_uri(uri);
  return u && u->is_sip() && u->user.empty() && sip::charset::iequals(u->host, overlay_id_);
}

void next_hops::resolve(const std::string& uri, done_handler done) {
  if (names_overlay(uri)) {
    if (peers_ == nullptr) return done({}, proxy::resolve_failure::not_found);
    return peers_->find([done = std::move(done)](std::vector<transport::endpoint> found) {
      // No proxy peer known: nobody can take the request out now.
      const auto why =
          found.empty() ? proxy::resolve_failure::timed_out : proxy::resolve_failure::none;
      done(std::move(found), why);
    });
  }
  if (dns_ == nullptr) return done({}, proxy::resolve_failure::not_found);
  dns_->locate(uri,
               [done = std::move(done)](std::error_code ec, std::vector<dns::destination> found) {
                 const auto why = found.empty() ? failure_of(ec) : proxy::resolve_failure::none;
                 done(std::move(found), why);
               });
}

void next_hops::failed(const transport::endpoint& hop, proxy::hop_failure why,
                       std::optional<std::chrono::seconds> retry_after) {
  if (dns_ != nullptr) dns_->failed(hop, dns_failure(why), retry_after);
}

}  // namespace p2psip::node
