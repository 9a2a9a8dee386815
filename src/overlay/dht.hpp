// The DHT as the overlay layer sees it: opaque values under 160-bit keys.
// Two implementations keep this contract (tests/unit/overlay/contract_test):
// memory_dht for unit tests and opendht_node for the real overlay.
//
// Contract, for every implementation:
// - All calls and all handlers run on the caller's executor (the node's one
//   io_context); no handler runs inside the call that registers it.
// - A value is identified by (key, id). A put with an id already stored at a
//   storer replaces it only if the type's edit check says yes.
// - Storers keep a value until its type's lifetime passes; there is no
//   delete (a withdrawal is a newer value under the same id).
// - Before keeping a value a storer asks the type's store check; before
//   replacing one, the edit check. A value refused by every storer is never
//   returned by get().
// - put's handler reports whether at least one storer was reached; as
//   OpenDHT reports success without proof of storage, callers that must know
//   read back.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <system_error>
#include <utility>
#include <vector>

#include "overlay/key.hpp"

namespace p2psip::overlay {

enum class value_type : std::uint16_t {
  binding = 0x5301,
  node = 0x5302,
  service = 0x5303,
  user = 0x5304,
};

struct value {
  std::uint64_t id = 0;
  value_type type = value_type::binding;
  std::vector<std::uint8_t> data;
  bool operator==(const value&) const = default;
};

// What storers enforce for one value type.
struct type_policy {
  value_type type;
  std::chrono::seconds lifetime;  // how long a storer keeps a value
  // May a storer keep `v` under `k`? Empty: yes.
  std::function<bool(const key& k, const value& v)> accept_store;
  // May `replacement` take the place of `stored` (same key and id)? Empty: no.
  std::function<bool(const key& k, const value& stored, const value& replacement)> accept_edit;
};

class dht {
 public:
  using put_handler = std::function<void(std::error_code)>;
  // Called once with every value found (possibly none) when the lookup ends.
  using get_handler = std::function<void(std::vector<value>, std::error_code)>;
  // Called with values as they appear (expired=false) or expire (true).
  using listen_handler = std::function<void(const std::vector<value>&, bool expired)>;
  using listen_token = std::uint64_t;

  virtual ~dht() = default;

  // What the values found so far say to a lookup still running: look on,
  // end after a settle time (the live storers' other answers still arrive),
  // or end now.
  enum class progress : std::uint8_t { more, settle, finish };
  using progress_handler = std::function<progress(const std::vector<value>&)>;

  virtual void put(const key& k, value v, put_handler done) = 0;
  virtual void get(const key& k, get_handler done) = 0;
  // Like get(), but the lookup ends early when `judge` says the values found
  // so far suffice: a read-back looks for one value, a reader for a version
  // it can believe, not for every storer's answer. By default it is get(): an
  // implementation that answers at once gains nothing.
  virtual void get_until(const key& k, progress_handler judge, get_handler done) {
    (void)judge;
    get(k, std::move(done));
  }
  virtual listen_token listen(const key& k, listen_handler on_change) = 0;
  virtual void cancel_listen(listen_token token) = 0;
};

}  // namespace p2psip::overlay
