// [hep] collector: every SIP message of the node, in and out, copied to a
// HEPv3 collector (ops/hep.hpp) as the node saw it: a received message
// from its source to the socket it arrived on, a sent one from the socket
// it leaves to its destination. A sip_traffic tap.
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/udp.hpp>
#include <cstdint>
#include <string>

#include "node/sip_traffic.hpp"
#include "ops/hep.hpp"

namespace p2psip::node {

class hep_mirror {
 public:
  hep_mirror(asio::io_context& io, asio::ip::udp::endpoint collector, std::uint32_t capture_id,
             std::string password);

  void copy(const sip_event& e);
  const ops::hep_sender::counters& stats() const { return sender_.stats(); }

 private:
  ops::hep_sender sender_;
  std::uint32_t capture_id_;
  std::string password_;
};

}  // namespace p2psip::node
