// The records RFC 3263 needs (NAPTR, SRV, A, AAAA), each answer with the
// TTL the cache honours. Names are kept as the server wrote them, without
// the trailing dot, except the root, which stays "." (RFC 2782: a target of
// "." means the service is not available).
#pragma once

#include <asio/ip/address.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace p2psip::dns {

enum class rr_type : std::uint16_t { a = 1, aaaa = 28, srv = 33, naptr = 35 };

std::string_view to_string(rr_type t);

// RFC 3403 §4.1.
struct naptr_record {
  std::uint16_t order = 0;
  std::uint16_t preference = 0;
  std::string flags;
  std::string service;
  std::string regexp;
  std::string replacement;

  bool operator==(const naptr_record&) const = default;
};

// RFC 2782.
struct srv_record {
  std::uint16_t priority = 0;
  std::uint16_t weight = 0;
  std::uint16_t port = 0;
  std::string target;

  bool operator==(const srv_record&) const = default;
};

// One question's answer: only the vector of the question's type is filled.
// For a positive answer `ttl` is the smallest TTL of the answer section;
// for not_found and no_data it is the negative-caching TTL the server gave
// (RFC 2308 §5: the SOA's TTL capped by its MINIMUM), or nullopt when the
// answer carried no SOA.
struct answer {
  std::vector<naptr_record> naptrs;
  std::vector<srv_record> srvs;
  std::vector<asio::ip::address> addresses;
  std::optional<std::chrono::seconds> ttl;
};

// DNS names compare case-insensitively (RFC 4343) and with or without the
// trailing dot: "Example.COM." and "example.com" are the same name.
std::string canonical_name(std::string_view name);
bool same_name(std::string_view a, std::string_view b);

}  // namespace p2psip::dns
