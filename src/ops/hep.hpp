// HEPv3 (the Homer Encapsulation Protocol, github.com/sipcapture/HEP): a
// copy of each SIP message a node sends or receives, with its addresses,
// ports, transport and time, sent over UDP to a collector: Homer
// (heplify-server), sngrep (`sngrep -L udp:ADDR:PORT`), Wireshark's HEP
// dissector, Kamailio's sipcapture. What they show is the node's own view,
// TLS included, without capturing packets.
//
// A packet is "HEP3", its total length (16 bits, network order), then
// chunks: vendor 0 (generic), a type, the chunk's length with its 6-byte
// header, and the value, every integer in network order.
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/address.hpp>
#include <asio/ip/udp.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace p2psip::ops {

struct hep_message {
  asio::ip::address source;
  std::uint16_t source_port = 0;
  asio::ip::address destination;  // of the same family as source
  std::uint16_t destination_port = 0;
  bool over_tcp = false;  // TCP or TLS (IP protocol 6), else UDP (17)
  std::chrono::system_clock::time_point at;
  std::uint32_t capture_id = 0;  // which agent sent it, in the collector's view
  std::string_view password;     // the collector's, when it asks for one; may be empty
  std::string_view correlation;  // what ties messages together: the Call-ID
  std::string_view payload;      // the SIP message
};

// The packet, or nullopt when it would not fit HEP's 16-bit length (a SIP
// message of more than ~65 kB; our transport refuses those before).
std::optional<std::vector<std::uint8_t>> encode_hep3(const hep_message& m);

// Sends encoded messages to one collector from an ephemeral UDP port, on
// the io_context's thread. Fire and forget: a collector that is down or
// slow costs a dropped copy, counted, never a delay to SIP.
class hep_sender {
 public:
  hep_sender(asio::io_context& io, asio::ip::udp::endpoint collector);
  void send(const hep_message& m);

  struct counters {
    std::uint64_t sent = 0;
    std::uint64_t failed = 0;   // the socket refused the datagram
    std::uint64_t too_big = 0;  // over HEP's 64 KiB
  };
  const counters& stats() const { return counters_; }

 private:
  asio::ip::udp::socket socket_;
  asio::ip::udp::endpoint collector_;
  counters counters_;
};

}  // namespace p2psip::ops
