#include "dns/caching_resolver.hpp"

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace p2psip::dns {

struct caching_resolver::state {
  resolver& upstream;
  dns::cache cache;
  std::function<clock::time_point()> now;
  std::map<std::pair<std::string, rr_type>, std::vector<query_handler>> in_flight;
  counters stats;
  // Cleared by the destructor: a delivery loop that holds the state alive
  // stops calling handlers.
  bool alive = true;
};

caching_resolver::caching_resolver(resolver& upstream, cache::settings s,
                                   std::function<clock::time_point()> now)
    : state_(std::make_shared<state>(state{upstream, dns::cache(s), std::move(now), {}, {}})) {}

caching_resolver::~caching_resolver() {
  state_->alive = false;
}

void caching_resolver::query(std::string_view name, rr_type type, query_handler done) {
  auto& s = *state_;
  ++s.stats.queries;
  if (auto hit = s.cache.find(name, type, s.now())) {
    ++s.stats.cache_hits;
    post([done = std::move(done), hit = std::move(*hit)]() mutable {
      done(hit.error, std::move(hit.result));
    });
    return;
  }
  std::pair key{canonical_name(name), type};
  if (const auto it = s.in_flight.find(key); it != s.in_flight.end()) {
    ++s.stats.coalesced;
    it->second.push_back(std::move(done));
    return;
  }
  s.in_flight[key].push_back(std::move(done));
  ++s.stats.upstream;
  s.upstream.query(name, type, [weak = std::weak_ptr(state_), key](std::error_code ec, answer a) {
    const auto self = weak.lock();
    if (!self || !self->alive) return;
    if (ec && ec != error::not_found && ec != error::no_data) ++self->stats.failures;
    self->cache.store(key.first, key.second, ec, a, self->now());
    const auto waiting = self->in_flight.extract(key);
    if (waiting.empty()) return;
    for (const auto& handler : waiting.mapped()) {
      if (!self->alive) return;
      handler(ec, a);
    }
  });
}

void caching_resolver::post(std::function<void()> f) {
  state_->upstream.post([weak = std::weak_ptr(state_), f = std::move(f)] {
    const auto self = weak.lock();
    if (self && self->alive) f();
  });
}

caching_resolver::counters caching_resolver::stats() const {
  return state_->stats;
}

}  // namespace p2psip::dns
