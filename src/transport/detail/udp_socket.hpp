// One bound UDP socket: every datagram is one message (RFC 3261 §18.3).
#pragma once

#include <asio/ip/udp.hpp>
#include <memory>
#include <string>
#include <vector>

#include "transport/detail/inbound.hpp"
#include "transport/transport_layer.hpp"

namespace p2psip::transport::detail {

class layer_core;

class udp_socket final : public reply_path, public std::enable_shared_from_this<udp_socket> {
 public:
  udp_socket(std::shared_ptr<layer_core> core, asio::ip::udp::socket socket);

  void start() { receive(); }
  void close();
  const endpoint& local() const { return local_; }

  void send(std::string bytes, const asio::ip::udp::endpoint& to,
            transport_layer::send_handler done);
  // Answers go out of the socket the request came in on, to the packet's
  // source address and port, never to a Via the packet merely claims
  // (RFC 3581 §4), so a forged Via cannot aim our 400s at a third party.
  void reply(std::string bytes, const endpoint& to) override;

  // Whether datagrams are waiting in the kernel for this socket faster than
  // the node takes them (check_backlog).
  bool behind() const { return behind_; }

 private:
  void on_stun(std::string_view datagram);
  void receive();
  void on_datagram(std::size_t size);
  void check_backlog();

  std::shared_ptr<layer_core> core_;
  asio::ip::udp::socket socket_;
  endpoint local_;
  // One byte more than the largest message allowed, so that a larger
  // datagram shows as too large rather than silently truncated.
  std::vector<char> buffer_;
  asio::ip::udp::endpoint sender_;
  unsigned since_check_ = 0;
  bool behind_ = false;
};

}  // namespace p2psip::transport::detail
