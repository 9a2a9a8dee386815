// The node's DNS, wired in one place: c-ares on the loop, a cache in front
// of it, and the RFC 3263 locator on top. The proxy holds a client and
// calls locator(); tests build the same object against their own BIND9.
#pragma once

#include <asio/any_io_executor.hpp>
#include <memory>
#include <system_error>

#include "dns/cache.hpp"
#include "dns/caching_resolver.hpp"
#include "dns/cares_resolver.hpp"
#include "dns/locator.hpp"

namespace p2psip::dns {

struct client_settings {
  cares_resolver::settings network;
  dns::cache::settings caching;
  dns::locator::settings locating;
};

class client {
 public:
  // Errors as cares_resolver::create(). `random` feeds the SRV weighting.
  static std::unique_ptr<client> create(asio::any_io_executor executor, client_settings s,
                                        random_source random, std::error_code& ec);

  dns::locator& locator() { return locator_; }
  // The cached resolver, for questions other than RFC 3263's.
  resolver& cached() { return cached_; }
  cares_resolver::counters network_stats() const { return network_->stats(); }
  caching_resolver::counters cache_stats() const { return cached_.stats(); }

 private:
  client(std::unique_ptr<cares_resolver> network, const client_settings& s, random_source random);

  // Declared in the order they depend on each other: destroyed in reverse.
  std::unique_ptr<cares_resolver> network_;
  caching_resolver cached_;
  dns::locator locator_;
};

}  // namespace p2psip::dns
