// Reads records straight from a zone's primary server, so that a steward
// judges the zone as it is now, not as a cache remembers it.
//
// Queries go over TCP (RFC 7766): the answers are small and rare (one
// round of a steward), a shared SRV RRset of many peers may not fit a
// 512-byte datagram (Kamailio #2651), and a connection is harder to spoof
// off-path than a datagram. The primary is asked without recursion and its
// answer must be authoritative; a name that does not exist is not an
// error, just no records.
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <system_error>
#include <unordered_set>
#include <vector>

#include "dns/update_error.hpp"
#include "dns/update_message.hpp"

namespace p2psip::dns {

// The pure halves, without I/O.

// A query for `type` at the absolute `name`, with message id `id` and RD
// off; empty when the name or type cannot be encoded.
std::vector<std::uint8_t> encode_query(const std::string& name, const std::string& type,
                                       std::uint16_t id);

struct query_answer {
  // Empty for NOERROR and NXDOMAIN; else the RCODE as an update_error,
  // bad_response for what is not an answer to the query, notauth for a
  // server that does not answer with authority.
  std::error_code error;
  std::vector<record> records;  // of the asked name and type, in presentation form
};

query_answer decode_answer(std::span<const std::uint8_t> wire, std::uint16_t id,
                           const std::string& name, const std::string& type);

struct query_settings {
  asio::ip::tcp::endpoint server;           // the zone's primary (its SOA MNAME)
  std::chrono::milliseconds timeout{2000};  // connect, ask and read, in all
};

class zone_reader {
 public:
  // Called once with the error (empty on success) and the records; from
  // the io_context, never inside query(), and not after the reader is destroyed.
  using handler = std::function<void(std::error_code, std::vector<record>)>;

  zone_reader(asio::io_context& io, query_settings settings);
  // Ends every query in flight; their handlers are not called.
  ~zone_reader();
  zone_reader(const zone_reader&) = delete;
  zone_reader& operator=(const zone_reader&) = delete;

  void query(const std::string& name, const std::string& type, handler done);

  const query_settings& settings() const { return settings_; }

  class exchange;  // one query in flight (zone_query.cpp)

 private:
  friend class exchange;
  void forget(const std::shared_ptr<exchange>& e) { in_flight_.erase(e); }

  asio::io_context& io_;
  query_settings settings_;
  std::unordered_set<std::shared_ptr<exchange>> in_flight_;
};

}  // namespace p2psip::dns
