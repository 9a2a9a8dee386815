// Whether a value found in (or offered to) the overlay may be believed.
// Readers and storers apply the same checks, in this order:
//   1. it decodes as an envelope of a known version   (else malformed)
//   2. its strings are fit for SIP messages and
//      within bounds (record_content.hpp)            (else bad_content)
//   3. the signature verifies with the carried cert  (else bad_signature)
//   4. the cert chains to the overlay CA, is a leaf
//      and is valid now; a user record's signer is
//      the CA itself                                 (else untrusted_signer)
//   5. the cert's name entitles it to this record,
//      and the record belongs under this key         (else wrong_name)
//   6. the record has not expired                    (else expired)
// The contents are checked before the signature: the check is cheap, a
// record with bad contents is refused whoever signed it, and a fuzzer that
// mutates records reaches it without forging signatures.
// Ordering versions of one record (superseded, withdrawn) needs the other
// values of the key, so it is done by whoever holds them: record_store for
// readers, the storage guard for storers.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "identity/trust.hpp"
#include "overlay/dht.hpp"
#include "overlay/record_codec.hpp"
#include "overlay/record_content.hpp"

namespace p2psip::overlay {

using wall_clock = std::chrono::system_clock;

enum class verdict : std::uint8_t {
  valid,
  malformed,
  bad_content,  // well-formed and perhaps well signed, but unfit to use (checked_value::fault)
  bad_signature,
  untrusted_signer,
  wrong_name,
  expired,
  superseded,  // an older sequence of a record that has a newer one
  withdrawn,   // the newest version is a withdrawal (binding with removed)
};
std::string_view to_string(verdict v);

struct checked_value {
  verdict status = verdict::malformed;
  std::uint64_t id = 0;
  std::optional<envelope> env;                // set unless malformed
  content_fault fault = content_fault::none;  // why, when bad_content
};

// The string that tells versions of one record apart from other records
// under the same key: a binding's instance or contact, a node's id.
std::string record_identity(const record& body);
// The DHT value id of a record. A refresh of the same binding (same contact
// and path) keeps its id, so it replaces the older version at every storer
// that accepts it; a binding that moves or is withdrawn gets a new id, which
// listeners hear about. Versions under different ids are ordered by readers.
std::uint64_t value_id(const key& k, const record& body);

// How long storers keep each type, and so the longest a record may last.
struct lifetimes {
  std::chrono::seconds binding{std::chrono::hours{2}};
  std::chrono::seconds node{std::chrono::hours{1}};
  std::chrono::seconds service{std::chrono::hours{1}};
  // A user record is signed once by the CA, which nodes cannot do again: it
  // lasts as long as the authority said (a year by default) and is kept by
  // storers a little longer, refreshed by the node that was given it.
  std::chrono::seconds user{std::chrono::hours{24 * 400}};

  std::chrono::seconds of(value_type type) const;
};

// Not thread-safe (its caches are updated by check()): one per event loop.
class record_verifier {
 public:
  static constexpr std::size_t default_max_remembered = 8192;

  record_verifier(std::string overlay_id, identity::trust_anchor anchor, lifetimes life = {},
                  std::size_t max_remembered = default_max_remembered);

  // Checks a value, or answers from memory when the same bytes under the
  // same key were found valid before and nothing that made them valid has
  // ended since (the record's expiry, its signer's or the CA's validity).
  checked_value check(const key& k, const value& v, wall_clock::time_point now) const;
  std::size_t remembered() const { return valid_.size(); }
  // Values check() refused, by the verdict (what storers dropped and
  // readers ignored: forgeries, junk, records past their end).
  std::uint64_t refused(verdict v) const { return refused_[static_cast<std::size_t>(v)]; }

  const std::string& overlay_id() const { return overlay_id_; }
  const lifetimes& life() const { return life_; }

 private:
  bool trusted(const identity::certificate& signer, const record& body,
               wall_clock::time_point now) const;
  bool entitled(const identity::certificate& signer, const record& body) const;
  bool belongs_under(const key& k, const record& body) const;
  checked_value check_anew(const key& k, const value& v, wall_clock::time_point now) const;

  std::string overlay_id_;
  identity::trust_anchor anchor_;
  lifetimes life_;
  mutable certificate_cache certificates_;
  // Values found valid, by key, type, id and bytes, with the time (Unix
  // seconds) until which that stays true. One value is checked by its
  // storers on put and on every edit, and by its reader once per storer that
  // returns it and again when the lookup ends: each of those checks costs
  // a signature verification (docs/performance.md). Bounded: cleared when
  // full. Only verdicts of valid are kept: refused values are rare, and
  // checking them afresh keeps this table from being filled by junk.
  struct remembered_valid {
    checked_value result;
    std::int64_t until = 0;
  };
  std::size_t max_remembered_;
  mutable std::unordered_map<std::string, remembered_valid> valid_;
  mutable std::array<std::uint64_t, static_cast<std::size_t>(verdict::withdrawn) + 1> refused_{};
};

// The checks storers run (registered on every node as the types' store and
// edit policies): a value is kept only if record_verifier says valid, and
// replaces a stored one only if it is the same record with a higher
// sequence, so a replayed older version cannot overwrite a newer one.
std::vector<type_policy> storage_policies(std::shared_ptr<const record_verifier> verifier,
                                          std::function<wall_clock::time_point()> now);

}  // namespace p2psip::overlay
