// A bounded DNS cache that honours TTLs: answers for as long as their TTL
// says (clamped to [min_ttl, max_ttl]), and the negative answers not_found
// and no_data for the SOA's negative TTL (RFC 2308 §5), or negative_ttl when
// the server gave none. Other errors are not kept: asking again may work.
// When full, the entry closest to expiry goes first. Time is passed in.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "dns/records.hpp"

namespace p2psip::dns {

class cache {
 public:
  using clock = std::chrono::steady_clock;

  struct settings {
    std::size_t max_entries = 4096;
    std::chrono::seconds min_ttl{0};
    std::chrono::seconds max_ttl{24 * 3600};
    std::chrono::seconds negative_ttl{60};           // not_found/no_data without an SOA
    std::chrono::seconds max_negative_ttl{15 * 60};  // cap on what an SOA asks
  };

  // What the cache holds for a question; `result.ttl` is what remains of it.
  struct entry {
    std::error_code error;  // empty, error::not_found or error::no_data
    answer result;
  };

  explicit cache(settings s) : settings_(s) {}

  std::optional<entry> find(std::string_view name, rr_type type, clock::time_point now) const;

  // Keeps `a` (no `ec`), or the negative answer `ec` is; ignores other
  // errors and TTLs of 0.
  void store(std::string_view name, rr_type type, std::error_code ec, const answer& a,
             clock::time_point now);

  std::size_t size() const { return entries_.size(); }

 private:
  using key = std::pair<std::string, rr_type>;
  struct stored {
    entry value;
    clock::time_point expires;
  };

  std::chrono::seconds lifetime(std::error_code ec, const answer& a) const;
  void erase(std::map<key, stored>::iterator it);

  settings settings_;
  std::map<key, stored> entries_;
  std::set<std::pair<clock::time_point, key>> by_expiry_;
};

}  // namespace p2psip::dns
