// RFC 3263 §4.3's memory of failed destinations, shared by every request
// (the per-request failover cursor is the destination list each locate()
// returns: nothing of one request's progress is shared):
//   - the blocklist: a destination whose 503 carried Retry-After is not
//     used for that long (RFC 3261 §21.5.4; clamped, since a peer chooses
//     it). A 503 without Retry-After lists nothing.
//   - the greylist: a destination that timed out or failed at the transport
//     is still used, but after every other one, for a short while.
// Both are bounded; time is passed in.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <tuple>
#include <vector>

#include "transport/endpoint.hpp"

namespace p2psip::dns {

class failover_lists {
 public:
  using clock = std::chrono::steady_clock;

  struct settings {
    std::chrono::seconds greylist_for{32};       // resiprocate's 32 s: one Timer B/F
    std::chrono::seconds max_retry_after{3600};  // longest Retry-After honoured
    std::size_t max_entries = 1024;              // each list; the soonest to expire goes first
  };

  explicit failover_lists(settings s) : settings_(s) {}

  // A 503 with Retry-After: `retry_after` clamped to [0, max_retry_after];
  // 0 lists nothing.
  void block(const transport::endpoint& d, std::chrono::seconds retry_after, clock::time_point now);
  void greylist(const transport::endpoint& d, clock::time_point now);

  bool blocked(const transport::endpoint& d, clock::time_point now) const;
  bool greylisted(const transport::endpoint& d, clock::time_point now) const;

  // `ds` without the blocklisted destinations, the greylisted ones moved to
  // the end; each part keeps its order. Drops expired entries.
  std::vector<transport::endpoint> apply(const std::vector<transport::endpoint>& ds,
                                         clock::time_point now);

 private:
  // The flow is not part of the key: DNS names addresses, not connections.
  using key = std::tuple<transport::protocol, asio::ip::address, std::uint16_t>;
  using list = std::map<key, clock::time_point>;  // until when

  static key key_of(const transport::endpoint& d) { return {d.proto, d.address, d.port}; }
  static bool listed(const list& l, const transport::endpoint& d, clock::time_point now);
  void add(list& l, const transport::endpoint& d, clock::time_point until, clock::time_point now);
  static void expire(list& l, clock::time_point now);

  settings settings_;
  list blocked_;
  list greylisted_;
};

}  // namespace p2psip::dns
