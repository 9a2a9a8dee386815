// The state behind a transport_layer. Sockets, listeners and connections
// hold it by shared_ptr, so a handler still queued after stop() finds it
// alive; stop() breaks the cycle by dropping them.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ip/udp.hpp>
#include <memory>
#include <vector>

#include "transport/config.hpp"
#include "transport/counters.hpp"
#include "transport/detail/connection_table.hpp"
#include "transport/detail/inbound.hpp"
#include "transport/transport_layer.hpp"

namespace asio::ssl {
class context;
}

namespace p2psip::transport::detail {

class udp_socket;
class stream_listener;

class layer_core : public std::enable_shared_from_this<layer_core> {
 public:
  layer_core(asio::any_io_executor executor, config settings,
             transport_layer::message_handler handler);
  ~layer_core();

  start_error start();
  void stop();
  std::vector<endpoint> local_endpoints() const;
  void send(std::string bytes, const endpoint& to, transport_layer::send_handler done);
  bool authenticated(const endpoint& source) const;
  bool behind() const;

  // For the sockets, listeners and connections.
  const config& settings() const { return settings_; }
  counters& stats() { return stats_; }
  inbound_processor& inbound() { return inbound_; }
  // A listener hands over a connection the peer opened.
  void accepted(protocol proto, asio::ip::tcp::socket socket, const endpoint& local);
  // A connection says it has closed.
  void closed(const connection& c);
  // Completes `done` on the executor, never inside the caller.
  void complete(transport_layer::send_handler done, std::error_code ec) const;

 private:
  start_error load_tls();
  void release_sockets();
  start_error open_udp(const listen_spec& spec);
  void record_receive_buffer(asio::ip::udp::socket& socket);
  start_error open_listener(const listen_spec& spec);
  udp_socket* udp_for(const asio::ip::address& to) const;
  void open_connection(std::string bytes, const endpoint& to, transport_layer::send_handler done);
  std::shared_ptr<connection> make_connection(asio::ip::tcp::socket socket, const endpoint& remote,
                                              const endpoint& local, bool accepted);

  asio::any_io_executor executor_;
  config settings_;
  counters stats_;
  inbound_processor inbound_;
  std::unique_ptr<asio::ssl::context> tls_;
  std::vector<std::shared_ptr<udp_socket>> udp_;
  std::vector<std::shared_ptr<stream_listener>> listeners_;
  std::vector<endpoint> bound_;  // in the order of settings_.listen
  connection_table connections_;
  bool running_ = false;
};

}  // namespace p2psip::transport::detail
