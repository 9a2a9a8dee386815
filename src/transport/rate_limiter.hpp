// A token bucket per source address (as libtorrent's dos_blocker and
// RFC 3261 §21.5.4's 503 expect of an overloaded server). Time is passed
// in, so tests move it by hand.
#pragma once

#include <asio/ip/address.hpp>
#include <chrono>
#include <cstddef>
#include <unordered_map>

namespace p2psip::transport {

class rate_limiter {
 public:
  using clock = std::chrono::steady_clock;

  // A source starts with `burst` tokens and earns `rate_per_second` more
  // every second, up to `burst`. A rate of 0 lets everything through.
  // At most `max_sources` buckets are kept: spoofed UDP sources must not
  // grow the table without bound.
  rate_limiter(double rate_per_second, double burst, std::size_t max_sources = 65536);

  // Takes a token from the source's bucket; false when it is empty or, with
  // the table full of active sources, when the source has no bucket.
  bool take(const asio::ip::address& source, clock::time_point now);

  // Takes a token for a request that continues work the source already had
  // accepted (an ACK, a CANCEL, a request inside a dialog): it may leave the
  // bucket up to `burst` tokens in debt. Refusing the BYE of a call we took
  // wastes the call and leaves its state to time out; the debt is repaid at
  // the same rate before any new request passes, so the source's sustained
  // rate is unchanged and its new requests are the ones that wait.
  bool take_continuing(const asio::ip::address& source, clock::time_point now);

  // Whether the source has a token, without taking it.
  bool has_token(const asio::ip::address& source, clock::time_point now);

  std::size_t tracked_sources() const { return buckets_.size(); }

 private:
  struct bucket {
    double tokens = 0;
    clock::time_point updated;
  };

  bool take_down_to(const asio::ip::address& source, clock::time_point now, double floor);
  bucket* find_or_add(const asio::ip::address& source, clock::time_point now);
  void refill(bucket& b, clock::time_point now) const;
  void forget_full_buckets(clock::time_point now);

  double rate_;
  double burst_;
  std::size_t max_sources_;
  std::unordered_map<asio::ip::address, bucket> buckets_;
  clock::time_point last_sweep_{};
};

}  // namespace p2psip::transport
