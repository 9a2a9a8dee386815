// Sends RFC 2136 UPDATEs signed with TSIG (RFC 8945) to a zone's primary
// server, on the caller's io_context: no thread, no blocking call.
//
// Each update gets its own UDP socket, connected to the server so that
// only its datagrams reach it. The request is sent again when no answer
// came within `timeout`, up to `tries` times in all, always the same bytes
// (same id, same MAC), so that a late answer to an earlier copy is still
// the answer. A request larger than 512 bytes (RFC 1035 §4.2.1), or whose
// answer comes back truncated, goes over TCP instead, one connection that
// has the time of all the tries. Datagrams that are not a verified answer
// are dropped and the wait goes on (a spoofer cannot end it); when the
// tries end having seen only those, the result is bad_response rather
// than timeout.
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/udp.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <system_error>
#include <unordered_set>

#include "dns/tsig_key.hpp"
#include "dns/update_error.hpp"
#include "dns/update_message.hpp"

namespace p2psip::dns {

struct update_settings {
  asio::ip::udp::endpoint server;           // the zone's primary (its SOA MNAME), port 53 usually
  std::chrono::milliseconds timeout{2000};  // for one try
  unsigned tries = 3;                       // the first send and its retransmissions
  std::chrono::seconds fudge{300};          // RFC 8945 §10: 300 s is what servers expect
};

class update_client {
 public:
  // Called with the outcome: empty for NOERROR, else an update_error (the
  // server's RCODE or TSIG error, timeout, bad_response, bad_request) or
  // the socket's error (e.g. connection_refused when nothing listens).
  using handler = std::function<void(std::error_code)>;

  update_client(asio::io_context& io, update_settings settings, tsig_key key);
  // Stops every update in flight; their handlers are not called.
  ~update_client();
  update_client(const update_client&) = delete;
  update_client& operator=(const update_client&) = delete;

  // Signs and sends `m`. `done` is called exactly once, from the
  // io_context (never from inside send), unless the client is destroyed
  // first. Any number of updates may be in flight; the server applies each
  // atomically, in the order it receives them.
  void send(const update_message& m, handler done);

  const tsig_key& key() const { return key_; }
  const update_settings& settings() const { return settings_; }

  class exchange;  // one update in flight (update.cpp)

 private:
  friend class exchange;
  void forget(const std::shared_ptr<exchange>& e) { in_flight_.erase(e); }

  asio::io_context& io_;
  update_settings settings_;
  tsig_key key_;
  std::unordered_set<std::shared_ptr<exchange>> in_flight_;
};

}  // namespace p2psip::dns
