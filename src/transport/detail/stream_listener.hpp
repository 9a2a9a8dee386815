// A listening TCP socket: accepts connections for TCP or, with the
// handshake left to the connection, for TLS.
#pragma once

#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <memory>

#include "transport/endpoint.hpp"

namespace p2psip::transport::detail {

class layer_core;

class stream_listener final : public std::enable_shared_from_this<stream_listener> {
 public:
  stream_listener(std::shared_ptr<layer_core> core, protocol proto,
                  asio::ip::tcp::acceptor acceptor);

  void start() { accept(); }
  void close();
  const endpoint& local() const { return local_; }

 private:
  void accept();
  void accept_later();

  std::shared_ptr<layer_core> core_;
  asio::ip::tcp::acceptor acceptor_;
  asio::steady_timer backoff_;
  endpoint local_;
};

}  // namespace p2psip::transport::detail
