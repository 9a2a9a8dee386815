// One SIP node as a single process sees it: the transports, the transaction
// layer and the proxy core with its request chain, composed on one asio
// io_context. The location store is the overlay's when the node is a peer
// (node/overlay_location.hpp), otherwise one in memory.
//
// All work runs on the io_context's thread; the server starts no thread.
#pragma once

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "auth/digest.hpp"
#include "node/glue.hpp"
#include "proxy/core.hpp"
#include "proxy/flow_token.hpp"
#include "proxy/location.hpp"
#include "proxy/registrar.hpp"
#include "transport/transport_layer.hpp"
#include "txn/transaction_layer.hpp"

namespace p2psip::node {

struct server_config {
  transport::config transport;
  std::vector<std::string> domains{"p2psip.test"};
  txn::timer_config timers;
  proxy::registrar_policy registrar;  // its domains are filled from `domains`
  bool record_route = true;
  std::string advertise;  // proxy_config::advertise
  bool authenticate_registrations = true;
  bool authenticate_local_requests = false;
  std::string nonce_secret;  // random when empty
  // Offered in this order (RFC 8760: SHA-256 before MD5). Some peers, sipp
  // among them, only answer an MD5 challenge.
  std::vector<auth::algorithm> digest_algorithms{auth::algorithm::sha256, auth::algorithm::md5};
  // Both outlive the server. Null: bindings in memory, no flow tokens.
  proxy::location_store* location = nullptr;
  const proxy::flow_tokens* flow_tokens = nullptr;
  // Redirect role: located requests are answered 302 instead of forwarded.
  bool redirect = false;
  bool registrar_role = true;  // false: REGISTER for our domains gets 403
  // Whether a user exists though it has no binding now (480 rather than 404),
  // besides the users of the user file.
  std::function<bool(std::string_view user)> known_user;
};

class sip_server {
 public:
  // `users` may be null only when no authentication is asked for.
  sip_server(asio::io_context& io, server_config config, const auth::credentials_store* users);
  ~sip_server();

  transport::start_error start();
  void stop();

  std::vector<transport::endpoint> local_endpoints() const;
  const proxy::proxy_core::counters& proxy_stats() const;
  transport::counters transport_stats() const;
  const txn::transaction_layer::counters& txn_stats() const;
  const server_config& config() const { return config_; }

 private:
  void on_message(const transport::received& r);
  void arm_timer();

  asio::io_context& io_;
  server_config config_;
  const auth::credentials_store* users_;
  std::unique_ptr<transport::transport_layer> transport_;
  std::unique_ptr<auth::authenticator> authenticator_;
  proxy::memory_location location_;
  std::unique_ptr<txn_gateway_adapter> gateway_;
  std::unique_ptr<proxy::proxy_core> core_;
  std::unique_ptr<proxy_transaction_user> tu_;
  std::unique_ptr<txn::transaction_layer> txn_;
  asio::steady_timer timer_;
};

}  // namespace p2psip::node
