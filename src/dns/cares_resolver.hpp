// DNS questions over the network with c-ares 1.18, on the node's asio loop.
//
// No thread of its own: c-ares owns its sockets and says which it wants
// watched (ARES_OPT_SOCK_STATE_CB); each is watched by an asio descriptor
// that releases the fd, never closes it, when c-ares lets it go. Readiness
// goes to ares_process_fd, and a steady_timer set from ares_timeout() drives
// c-ares's retransmissions. Queries use EDNS (payload `edns_payload`) and
// fall back to TCP on truncation. Answers are parsed with their TTLs
// (answer_parser.hpp). This resolver does not cache: put a caching_resolver
// in front of it (client.hpp builds both, and the locator).
//
// Contract (resolver.hpp): handlers run later on the executor given, never
// inside query(), and never after the resolver is destroyed — destroying it
// ends every query in flight and drops its handler uncalled. Handlers are
// never called from inside c-ares, so a handler may destroy the resolver.
// The executor must not run handlers concurrently; call every member
// function on it. The executor's context must outlive the resolver.
#pragma once

#include <asio/any_io_executor.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "dns/resolver.hpp"

namespace p2psip::dns {

class cares_resolver final : public resolver {
 public:
  struct settings {
    // "192.0.2.53", "192.0.2.53:5353", "[2001:db8::53]:53"; from
    // /etc/resolv.conf when empty.
    std::vector<std::string> servers;
    // The whole query, every try and server included: then error::timeout.
    std::chrono::milliseconds query_timeout{5000};
    std::chrono::milliseconds try_timeout{1000};  // c-ares's first try; later tries back off
    int tries = 3;
    std::uint16_t edns_payload = 1232;  // the DNS flag day 2020 size: no IP fragmentation
  };

  struct counters {
    std::uint64_t queries = 0;   // sent to c-ares
    std::uint64_t answers = 0;   // with records
    std::uint64_t negative = 0;  // not_found or no_data
    std::uint64_t timeouts = 0;
    std::uint64_t failures = 0;  // every other error
  };

  // error::bad_configuration for a server that does not parse, or when
  // c-ares cannot start (no readable /etc/resolv.conf, no memory).
  static std::unique_ptr<cares_resolver> create(asio::any_io_executor executor, settings s,
                                                std::error_code& ec);
  ~cares_resolver() override;
  cares_resolver(const cares_resolver&) = delete;
  cares_resolver& operator=(const cares_resolver&) = delete;

  void query(std::string_view name, rr_type type, query_handler done) override;
  void post(std::function<void()> f) override;

  counters stats() const;

 private:
  struct impl;
  explicit cares_resolver(std::shared_ptr<impl> i);
  std::shared_ptr<impl> impl_;
};

}  // namespace p2psip::dns
