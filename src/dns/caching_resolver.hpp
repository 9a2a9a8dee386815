// A resolver in front of another: answers from a TTL cache (cache.hpp) when
// it can, and sends identical questions in flight upstream only once (each
// asker still gets its own call).
//
// Keeps the resolver contract (resolver.hpp): cached answers too are
// delivered later, through the upstream's post(). The upstream must outlive
// this resolver. Destroying it drops every pending handler uncalled, even
// the remaining askers of an answer being delivered.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include "dns/cache.hpp"
#include "dns/resolver.hpp"

namespace p2psip::dns {

class caching_resolver final : public resolver {
 public:
  using clock = std::chrono::steady_clock;

  struct counters {
    std::uint64_t queries = 0;     // query() calls
    std::uint64_t cache_hits = 0;  // answered from the cache (negative answers included)
    std::uint64_t coalesced = 0;   // joined an identical question in flight
    std::uint64_t upstream = 0;    // questions sent upstream
    std::uint64_t failures = 0;    // upstream answers that were errors other than not_found/no_data
  };

  caching_resolver(resolver& upstream, cache::settings s, std::function<clock::time_point()> now);
  ~caching_resolver() override;
  caching_resolver(const caching_resolver&) = delete;
  caching_resolver& operator=(const caching_resolver&) = delete;

  void query(std::string_view name, rr_type type, query_handler done) override;
  void post(std::function<void()> f) override;

  counters stats() const;

 private:
  struct state;
  std::shared_ptr<state> state_;
};

}  // namespace p2psip::dns
