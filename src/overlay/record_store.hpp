// The overlay as the rest of the node uses it: typed records, signed when
// published, verified when read. Works over any dht (memory_dht in unit
// tests, opendht_node in a node). Everything runs on the dht's executor;
// handlers are called exactly once, never inside the call.
//
// Versions: every publication gets a sequence number (microseconds of wall
// clock, strictly increasing per store, and above the newest version of the
// record this store has seen), so a refresh from another node still orders
// after the binding it refreshes, even when the other node's clock is ahead. Readers keep the
// newest version of each record and remember the highest sequence seen, so a replayed older version
// loses even when it is all a lookup returns.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "identity/certificate.hpp"
#include "identity/keys.hpp"
#include "overlay/dht.hpp"
#include "overlay/error.hpp"
#include "overlay/record_verifier.hpp"
#include "overlay/records.hpp"

namespace p2psip::overlay {

// The key and certificate a record is signed with.
struct signer {
  identity::private_key key;
  identity::certificate cert;
};

// One value found under a key and what the reader made of it.
template <class Record>
struct checked {
  verdict status = verdict::malformed;
  std::optional<Record> body;  // absent only when malformed
  std::uint64_t sequence = 0;
  content_fault fault = content_fault::none;  // why, when bad_content
};

template <class Record>
std::vector<Record> valid_records(const std::vector<checked<Record>>& found) {
  std::vector<Record> out;
  for (const auto& c : found)
    if (c.status == verdict::valid) out.push_back(*c.body);
  return out;
}

class record_store {
 public:
  using clock_fn = std::function<wall_clock::time_point()>;
  using done_handler = std::function<void(std::error_code)>;
  template <class Record>
  using found_handler = std::function<void(std::vector<checked<Record>>, std::error_code)>;

  record_store(dht& d, std::shared_ptr<const record_verifier> verifier, clock_fn now);

  // Signs and stores a binding, then reads it back: done({}) means a reader
  // can find it now, not merely that a storer was reached.
  void publish(const signer& s, binding_record b, done_handler done);
  // Stores a withdrawal of `b` (same identity, removed): from then on no
  // reader returns `b`, though storers keep the old bytes until they expire.
  void withdraw(const signer& s, binding_record b, done_handler done);
  void publish(const signer& s, node_record n, done_handler done);
  // Stores one copy of `svc` under each of the service's `density` keys.
  void publish(const signer& s, service_record svc, unsigned density, done_handler done);

  // What a reader would make of `data` as the user record of `aor`: callers
  // check before store_user, so a node never spreads what readers drop.
  checked<user_record> check_user(const std::string& aor, std::span<const std::uint8_t> data) const;
  // Stores a user record the enrollment authority made and signed (it cannot
  // be signed here): `data` is the value as `seal` made it for the AOR's user
  // key. done({}) once a reader can find it.
  void store_user(const std::string& aor, std::vector<std::uint8_t> data, done_handler done);

  void lookup_bindings(const std::string& aor, found_handler<binding_record> done);
  // The user record of `aor` (the newest is valid, older ones superseded).
  void lookup_user(const std::string& aor, found_handler<user_record> done);
  void lookup_node(const std::string& node_id, found_handler<node_record> done);
  // Reads one of the service's `density` keys at random, then the others in
  // random order until the records read name `want` different nodes (or no
  // key is left): so no single node serves every lookup of a well-known
  // service (interwork 3.3.3, RFC 6940 §9), yet a seeker that wants several
  // providers (3.2.1: "as many relay agent peers as possible") is not
  // limited to what one key's storers still hold. Everything read is
  // returned, older versions and other keys' copies included.
  void find_service(const std::string& service, unsigned density, std::size_t want,
                    found_handler<service_record> done);

  // Calls `on_change` with the bindings of `aor` as they are published,
  // refreshed or withdrawn, each judged against what this store has seen.
  dht::listen_token listen_bindings(const std::string& aor,
                                    found_handler<binding_record> on_change);
  void cancel_listen(dht::listen_token token) { dht_.cancel_listen(token); }

  const std::string& overlay_id() const { return verifier_->overlay_id(); }

 private:
  void put_and_confirm(const key& k, value v, std::uint64_t sequence, done_handler done);
  bool is_confirmed(const key& k, std::uint64_t id) const;
  void remember_confirmed(const key& k, std::uint64_t id, std::chrono::seconds lifetime);
  std::uint64_t next_sequence();
  std::uint64_t next_sequence(const key& k, const record& body);
  template <class Record>
  std::vector<checked<Record>> judge(const key& k, const std::vector<value>& values);
  template <class Record>
  void lookup(const key& k, found_handler<Record> done);
  struct service_search;
  void try_service_keys(std::shared_ptr<service_search> search);

  dht& dht_;
  std::shared_ptr<const record_verifier> verifier_;
  clock_fn now_;
  std::uint64_t last_sequence_ = 0;
  std::mt19937_64 random_{std::random_device{}()};

  // (key, record identity) -> highest sequence seen, what that version
  // said and when it expires; bounded by pruning expired entries. An older
  // version that says the same (a publisher's periodic re-put signs the same
  // binding again with a higher sequence) is as good as the newest: only an
  // older version that says something else is superseded.
  struct newest {
    std::uint64_t sequence;
    unix_seconds expires_at;
    record body;
  };
  std::map<std::pair<key, std::string>, newest> newest_;
  // Values (key, id) a read after their put found stored, and until when
  // the storers keep them. A newer version under the same key and id (a
  // refresh: same record, same place, higher sequence) goes to the same
  // storers and passes the same checks, so the put's acknowledgement is
  // enough for it; only a value's first version is read back. Bounded by
  // pruning what storers have dropped.
  std::map<std::pair<key, std::uint64_t>, unix_seconds> confirmed_;
  // Handlers still queued in the dht when the store goes hold a weak
  // reference to this and do nothing.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace p2psip::overlay
