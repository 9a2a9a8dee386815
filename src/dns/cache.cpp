#include "dns/cache.hpp"

#include <algorithm>

#include "dns/error.hpp"

namespace p2psip::dns {

std::optional<cache::entry> cache::find(std::string_view name, rr_type type,
                                        clock::time_point now) const {
  const auto it = entries_.find({canonical_name(name), type});
  if (it == entries_.end() || it->second.expires <= now) return std::nullopt;
  auto out = it->second.value;
  out.result.ttl = std::chrono::ceil<std::chrono::seconds>(it->second.expires - now);
  return out;
}

void cache::store(std::string_view name, rr_type type, std::error_code ec, const answer& a,
                  clock::time_point now) {
  if (ec && ec != error::not_found && ec != error::no_data) return;
  const auto ttl = lifetime(ec, a);
  if (ttl.count() <= 0 || settings_.max_entries == 0) return;
  key k{canonical_name(name), type};
  if (const auto old = entries_.find(k); old != entries_.end()) erase(old);
  // The soonest to expire goes first, so expired entries go before live ones.
  while (entries_.size() >= settings_.max_entries) erase(entries_.find(by_expiry_.begin()->second));
  const auto expires = now + ttl;
  by_expiry_.emplace(expires, k);
  entries_.emplace(std::move(k), stored{{ec, a}, expires});
}

std::chrono::seconds cache::lifetime(std::error_code ec, const answer& a) const {
  if (!ec) {
    const auto ttl = a.ttl.value_or(std::chrono::seconds{0});
    return std::clamp(ttl, settings_.min_ttl, std::max(settings_.min_ttl, settings_.max_ttl));
  }
  const auto ttl = a.ttl.value_or(settings_.negative_ttl);
  return std::clamp(ttl, settings_.min_ttl,
                    std::max(settings_.min_ttl, settings_.max_negative_ttl));
}

void cache::erase(std::map<key, stored>::iterator it) {
  by_expiry_.erase({it->second.expires, it->first});
  entries_.erase(it);
}

}  // namespace p2psip::dns
