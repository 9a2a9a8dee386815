// The nonces of this node that phones have used, with the highest nonce
// count seen, so a captured request cannot be played again while its nonce
// is still fresh (RFC 2617 §3.2.2 nc; RFC 7616 §3.3 and §5.4). Only
// requests that carried the right password reach this table, and it is
// bounded all the same: entries leave when their nonce expires, and past the
// capacity the oldest nonce leaves early. A nonce that left early is
// refused from then on — the table cannot tell whether it was used — which
// costs its phone one fresh challenge.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>

namespace p2psip::auth {

class nonce_counts {
 public:
  // What tells our nonces apart: `serial` counts the challenges this node
  // made, in order, whatever its clock does; `issued` (seconds since the
  // epoch) says when the nonce expires.
  struct nonce_id {
    std::uint64_t serial = 0;
    std::int64_t issued = 0;
  };

  nonce_counts(std::size_t capacity, std::chrono::seconds lifetime);

  // Records a use of `nonce` with nonce count `nc`, or without qop (nullopt:
  // such a nonce is good once). False for a replay: a count not above the
  // highest one seen, a second use without qop, or a nonce that left early.
  bool use(nonce_id nonce, std::optional<std::uint32_t> nc, std::int64_t now);

  std::size_t size() const { return used_.size(); }

 private:
  void forget_expired(std::int64_t now);
  void forget_oldest_beyond_capacity();

  std::size_t capacity_;
  std::chrono::seconds lifetime_;
  struct use_record {
    std::int64_t issued = 0;
    std::uint32_t highest = 0;
  };
  std::map<std::uint64_t, use_record> used_;      // by serial: oldest first
  std::optional<std::uint64_t> forgotten_up_to_;  // the newest serial that left early
};

}  // namespace p2psip::auth
