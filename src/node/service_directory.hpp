// One service of the overlay as every node sees it (interwork §3.3, DESIGN.md
// "Keys and records"): the proxy peers under "sip:<overlay>", the relay
// agent peers under "turn:<overlay>".
//
// A node that provides the service offers a record naming where it is
// provided; it is put under each of the service's `density` keys now and
// again every `refresh`, each version living a few refreshes, so a provider
// that dies drops out of the overlay by itself. Withdrawing puts a version
// with no URI, which readers skip at once.
//
// Readers ask read(): the newest record of each provider, read from one
// random key (more when fewer than `want` providers were found there:
// record_store::find_service), cached for `cache_for`. Reads asked while
// one is under way wait for it.
#pragma once

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "overlay/record_store.hpp"

namespace p2psip::node {

struct service_directory_settings {
  std::string overlay_id;
  std::string service;  // "sip:<overlay>", "turn:<overlay>"
  unsigned density = 4;
  std::chrono::seconds refresh{60};
  std::chrono::seconds cache_for{30};
  // Providers a read wants before it stops reading further keys.
  std::size_t want = 1;
};

class service_directory {
 public:
  service_directory(asio::io_context& io, overlay::record_store& records, overlay::signer signer,
                    std::string node_id, service_directory_settings settings);
  ~service_directory();
  service_directory(const service_directory&) = delete;
  service_directory& operator=(const service_directory&) = delete;

  // Offers this node: `offer` says where (uris) and how (realm, scheme,
  // capacity); the service, node id, key index and expiry are filled in.
  // Put now and every refresh until withdraw(); a new offer replaces the last.
  void offer(overlay::service_record offer);
  // Stops offering and puts a version with no URI; `done` once stored (or
  // failed), on the loop.
  void withdraw(std::function<void(std::error_code)> done);
  bool offering() const { return !offer_.uris.empty(); }
  const std::string& node_id() const { return node_id_; }
  const service_directory_settings& settings() const { return settings_; }

  // The providers' newest records, withdrawn ones left out, sorted by node
  // id (this node's own included once stored). `done` is called once, on
  // the loop (possibly before read() returns, from the cache); never after
  // this object is destroyed. An empty answer is cached too unless
  // `retry_empty`, for a reader that needs a provider more than it fears
  // asking again.
  using records_handler = std::function<void(const std::vector<overlay::service_record>&)>;
  void read(records_handler done, bool retry_empty = false);
  // The last read's records, without reading.
  const std::vector<overlay::service_record>& last_read() const { return cached_; }
  // When the last read completed: it changes exactly when last_read() may
  // have, so a reader can keep what it derives from the records until then.
  std::chrono::steady_clock::time_point read_at() const { return cached_at_; }

  struct counters {
    std::uint64_t offers = 0;  // puts of this node's record
    std::uint64_t offer_failures = 0;
    std::uint64_t lookups = 0;          // reads of the service keys
    std::uint64_t lookup_failures = 0;  // reads that found no provider
  };
  const counters& stats() const { return counters_; }

 private:
  void put_offer();
  void schedule_refresh();
  void lookup();
  overlay::service_record versioned(overlay::service_record r) const;

  overlay::record_store& records_;
  overlay::signer signer_;
  std::string node_id_;
  service_directory_settings settings_;
  asio::steady_timer refresh_timer_;
  overlay::service_record offer_;
  std::vector<overlay::service_record> cached_;
  std::chrono::steady_clock::time_point cached_at_{};
  bool looking_up_ = false;
  std::vector<records_handler> waiting_;
  counters counters_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace p2psip::node
