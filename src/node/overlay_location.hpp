// The location store of a node in an overlay: the registrar's bindings
// become signed binding records in the DHT, and lookups read them back
// (interwork §5.1, DESIGN.md "Call flow").
//
// Publishing. A binding registered through this node is published with a
// Path whose first hop is this node and whose user part is a flow token
// (RFC 5626 §5.2): any node routing to the phone sends the request here,
// and this node sends it on over the flow the phone opened. The record is
// signed with this node's certificate, which the overlay CA issued with the
// overlay's name: the CA entitles the node to publish for the domain, and
// the node does so only after it authenticated the user (digest). Phones
// hold no keys, so ordinary RFC 3261 phones can register.
//
// The registrar is answered only once every changed record was stored and
// read back; if the overlay cannot take them within `store_bound`, it is
// answered 503 with Retry-After and the phone tries again.
//
// Lookups. Records found for an AOR are cached and kept fresh by a DHT
// listen for `cache_for`; after that the next request looks them up again.
// Expiry is judged at every read, so a cached binding never outlives its
// Expires. An AOR the overlay holds nothing for is neither cached nor
// listened to: callers choose the AORs, and a listen costs every storer.
// Requests for an AOR already being looked up wait for that lookup; past
// `max_lookups` AORs in flight the store is busy (the caller answers 503),
// and past `max_cached` entries the one fetched longest ago goes.
//
// Republishing. OpenDHT does not move a record to new storers when the old
// ones die (maintain_storage is off), and a phone may refresh as seldom as
// once an hour: if every storer of its binding died in between, it would
// be unreachable until then. The node that holds the phone's flow puts the
// binding again now and then (republish(), driven by peer), each time a
// newer version of the same record, so such a loss lasts at most that long.
// It reads the record first: when the newest version is not the one it
// published (the phone registered the same instance at another node, or
// unregistered there), the phone has moved, and the node lets it go rather
// than put its stale binding over the new one.
//
// Known AORs. An AOR whose records a lookup or listen came across stays
// known, so a lookup that finds no live binding answers 480 rather than 404,
// for as long as the DHT may still hold one of those records. The set is
// bounded in time by that lifetime and in size by `max_known`.
#pragma once

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ops/histogram.hpp"
#include "overlay/record_store.hpp"
#include "proxy/flow_token.hpp"
#include "proxy/location.hpp"

namespace p2psip::node {

struct overlay_location_settings {
  // This node as the first hop of a published Path, "host:port;transport=tls".
  std::string path_host;
  std::chrono::milliseconds store_bound{8000};
  std::chrono::seconds cache_for{60};
  // Storers keep a binding record at most its type's lifetime after it was
  // last stored: an AOR none of whose records was seen for that long may
  // have none left in the overlay.
  std::chrono::seconds known_for = overlay::lifetimes{}.binding;
  // Lookups of distinct AORs are the caller's to choose; past this many the
  // AOR seen longest ago is forgotten. About 200 bytes each with a short
  // AOR: some 13 MiB.
  std::size_t max_known = std::size_t{1} << 16;
  // AORs looked up at once, and AORs cached (each with its DHT listen).
  std::size_t max_lookups = 1024;
  std::size_t max_cached = 10000;
};

class overlay_location final : public proxy::location_store {
 public:
  using clock_fn = std::function<std::chrono::steady_clock::time_point()>;

  // `clock` times the cache and the known AORs; tests pass their own.
  overlay_location(asio::io_context& io, overlay::record_store& records, overlay::signer signer,
                   const proxy::flow_tokens& tokens, overlay_location_settings settings,
                   clock_fn clock = std::chrono::steady_clock::now);
  ~overlay_location() override;

  overlay_location(const overlay_location&) = delete;
  overlay_location& operator=(const overlay_location&) = delete;

  void fetch(const std::string& aor, proxy::wall_clock::time_point now,
             fetch_handler done) override;
  void store(const std::string& aor, std::vector<proxy::binding> bindings,
             store_handler done) override;

  void set_path_host(std::string host) { settings_.path_host = std::move(host); }

  // Puts every unexpired binding this node published again, and forgets
  // the expired ones. Paced: republish_batch AORs every republish_pause, so
  // a node holding thousands of phones does not send thousands of lookups
  // into the DHT in one instant (every node of an overlay restarted at once
  // would flood the storers). With a `spread`, the batches are spaced so the
  // round takes about that long: a periodic round is background work, and
  // done in one burst it slowed every lookup of the overlay for seconds
  // (the chaos soak's failed calls came once a minute, with the rounds).
  void republish(proxy::wall_clock::time_point now, std::chrono::milliseconds spread = {});
  static constexpr std::size_t republish_batch = 32;
  static constexpr std::chrono::milliseconds republish_pause{50};

  // Whether this node serves a phone of `aor` now (an unexpired binding it published).
  bool holds(const std::string& aor, proxy::wall_clock::time_point now) const;
  // Told, after the fact, when the bindings this node holds for an AOR
  // changed: a phone registered, refreshed or went, or moved to another
  // node. Called from inside a location call: the listener posts its work.
  void on_held_changed(std::function<void(const std::string& aor)> listener) {
    held_changed_ = std::move(listener);
  }

  // The unexpired bindings this node published for the phones it serves.
  std::map<std::string, std::vector<proxy::binding>> held(proxy::wall_clock::time_point now) const;
  // The overlay held records of `aor` within `known_for`, bindings that may
  // since have been withdrawn or expired: a user that exists but may not be
  // reachable now (480, not 404).
  bool known(const std::string& aor) const;

  struct counters {
    std::uint64_t lookups = 0;     // DHT lookups made
    std::uint64_t cache_hits = 0;  // requests served from the cache
    std::uint64_t published = 0;   // binding records stored and confirmed
    std::uint64_t withdrawn = 0;
    std::uint64_t store_failures = 0;  // REGISTERs answered 503
    std::uint64_t republished = 0;     // bindings put again and confirmed
    std::uint64_t republish_failures = 0;
    std::uint64_t moved = 0;     // held bindings changed at another node, let go
    std::uint64_t busy = 0;      // fetches refused past max_lookups
    std::uint64_t unusable = 0;  // REGISTERs whose binding no storer would take (400)
    // How long the DHT took: a lookup from asked to answered, a binding
    // published or withdrawn from put to confirmed (or failed).
    ops::histogram lookup_seconds = ops::histogram::seconds();
    ops::histogram store_seconds = ops::histogram::seconds();
  };
  std::size_t cached_aors() const { return cache_.size(); }
  std::size_t listens() const;
  const counters& stats() const { return counters_; }

 private:
  using records_by_identity = std::map<std::string, overlay::binding_record>;
  struct cached {
    records_by_identity records;
    std::chrono::steady_clock::time_point fetched_at;
    overlay::dht::listen_token listen = 0;
    bool listening = false;
    std::list<std::string>::iterator age;  // in by_age_
  };
  struct pending_store;
  struct sighting {
    std::string aor;
    std::chrono::steady_clock::time_point at;
  };

  using found_records = std::vector<overlay::checked<overlay::binding_record>>;

  std::vector<proxy::binding> to_bindings(const std::string& aor, const cached* entry,
                                          proxy::wall_clock::time_point now) const;
  overlay::binding_record to_record(const std::string& aor, const proxy::binding& b) const;
  void looked_up(const std::string& aor, const found_records& found, std::error_code ec);
  std::optional<records_by_identity> remember(const std::string& aor, const found_records& found);
  cached& entry(const std::string& aor);
  void touch(cached& entry);
  void drop(std::map<std::string, cached, std::less<>>::iterator it);
  void listen(const std::string& aor, cached& entry);
  void forget_idle();
  void saw(const std::string& aor);
  void put_again(const std::string& aor, const std::vector<proxy::binding>& snapshot,
                 const found_records& found);
  void republish_next_batch();

  asio::io_context& io_;
  overlay::record_store& records_;
  overlay::signer signer_;
  const proxy::flow_tokens& tokens_;
  overlay_location_settings settings_;
  clock_fn clock_;
  std::map<std::string, cached, std::less<>> cache_;
  // The cached AORs, fetched longest ago first.
  std::list<std::string> by_age_;
  // The callers waiting for each AOR being looked up.
  std::map<std::string, std::vector<fetch_handler>, std::less<>> in_flight_;
  // The last sighting of each known AOR, oldest first: every sighting is
  // moved to the back at the clock's time, and the steady clock never goes
  // back. The index holds views of the AORs in the list's nodes, which stay put.
  std::list<sighting> sightings_;
  std::map<std::string_view, std::list<sighting>::iterator, std::less<>> known_;
  // What this node published, with what only it knows: the flow, Call-ID, CSeq.
  std::map<std::string, std::vector<proxy::binding>, std::less<>> held_;
  // The AORs of the round of republish() still to be looked up.
  std::deque<std::string> republish_queue_;
  std::chrono::milliseconds republish_every_batch_ = republish_pause;
  asio::steady_timer republish_timer_;
  counters counters_;
  std::function<void(const std::string& aor)> held_changed_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace p2psip::node
